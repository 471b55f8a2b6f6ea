/**
 * `pvcctl serve` and `pvcctl up`: the API and the controllers in the foreground until SIGINT or
 * SIGTERM, then a graceful stop (controllers first, so leadership passes on at once).
 * - `serve [--config FILE]`: production; the config file (or PVC_CONFIG_FILE) is PVC's pvc-api.yaml
 *   plus our `reconciler:` section (src/config.ts).
 * - `up [--dir DIR] [--config FILE] [--port N]`: the README's "bring up the whole thing": the local
 *   stack (started if it does not run; it keeps running after `up` stops), then the API and the
 *   controllers against it with a generated dev config (auth off, 127.0.0.1:7370).
 * Progress and how to reach the API go to stderr; stdout carries the server's log: readable lines on
 * a terminal, pino's JSON lines otherwise (`--log-format`), at the config's level or `--log-level`.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { Option } from "commander";
import { createLogger, defaultLogFormat, LOG_FORMATS, type LogFormat } from "../../../api/logging.ts";
import type { App } from "../../app.ts";
import { type Config, DEFAULT_LISTEN_PORT, devConfig, type LogLevel, loadConfig } from "../../config.ts";
import { GITOPS_DIR_ENV } from "../../gitops/env.ts";
import { API_GROUP } from "../../resources/types.ts";
import { DEFAULT_SETTINGS, DEFAULT_STACK_DIR, parsePort } from "../../stack/settings.ts";

const say = (message: string) => process.stderr.write(`${message}\n`);

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      const force = () => {
        say("second signal: exiting without a graceful stop");
        process.exit(130);
      };
      process.once("SIGINT", force);
      process.once("SIGTERM", force);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** `--log-level` and `--log-format`, shared by serve and up. */
interface LogOptions {
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function withLogOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        "--log-level <level>",
        "log level (default: the config's reconciler.log_level, else info)",
      ).choices(LOG_LEVELS),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "log lines as JSON or readable (default: readable on a terminal)",
      ).choices(LOG_FORMATS),
    );
}

/** Serves until a signal, then stops gracefully. `extras` run after the start and stop before the app. */
async function runInForeground(
  config: Config,
  log: LogOptions,
  extras: Array<(app: App) => Promise<() => Promise<void>>> = [],
) {
  // The flag wins over the file, as for every other setting given both ways.
  if (log.logLevel) config.reconciler.logLevel = log.logLevel;
  const logger = createLogger({
    level: config.reconciler.logLevel,
    format: log.logFormat ?? defaultLogFormat(process.stdout),
  });
  // Loaded here, not at the top: every other pvcctl command would pay for the whole server.
  const { startApp } = await import("../../app.ts");
  const app = await startApp(config, { logger });
  const stops: Array<() => Promise<void>> = [];
  try {
    for (const start of extras) stops.push(await start(app));
    say(`pvc-reconciler: serving on ${app.url} (Ctrl-C stops)`);
    const signal = await untilSignal();
    say(`pvc-reconciler: ${signal}: stopping`);
  } finally {
    for (const stop of stops.reverse()) await stop();
    await app.close();
  }
}

/** The GitOps watcher of `up`: the folder given (default manifests/), unless --no-gitops. */
function gitOpsOf(dir: string | false): (app: App) => Promise<() => Promise<void>> {
  return async (app) => {
    if (dir === false) return async () => undefined;
    const { startGitOpsFor } = await import("../../gitops/index.ts");
    return startGitOpsFor(app, resolve(dir));
  };
}

interface UpOptions extends LogOptions {
  dir: string;
  config?: string;
  port: number;
  /** The folder to watch, or false with --no-gitops. */
  gitops: string | false;
}

export function registerServeCommands(program: Command): void {
  withLogOptions(
    program
      .command("serve")
      .description("run the API and the controllers in the foreground until SIGINT/SIGTERM")
      .option("--config <file>", "configuration file (pvc-api.yaml structure); default: $PVC_CONFIG_FILE"),
  ).action(async (o: { config?: string } & LogOptions) => {
    await runInForeground(loadConfig(o.config), o);
  });

  const up = program
    .command("up")
    .description(
      "bring up the whole thing: the local stack (if it does not run), then the API and the controllers in the foreground",
    )
    .addOption(
      new Option("--dir <dir>", "state directory of the stack")
        .env("PVC_STACK_DIR")
        .default(DEFAULT_STACK_DIR),
    )
    .option("--config <file>", "serve with this configuration instead of the generated dev one")
    .addOption(
      new Option("--port <port>", "API port of the dev configuration")
        .default(DEFAULT_LISTEN_PORT)
        .argParser((v) => parsePort("--port", v)),
    )
    .addOption(
      new Option("--gitops <dir>", "GitOps folder to watch and converge the store to")
        .env(GITOPS_DIR_ENV)
        .default("manifests"),
    )
    .option("--no-gitops", "do not watch a GitOps folder");
  withLogOptions(up).action(async (o: UpOptions) => {
    const { stackUp } = await import("../../stack/stack.ts");
    const stack = await stackUp({
      dir: o.dir,
      settings: DEFAULT_SETTINGS,
      install: true,
      progress: (m) => say(`stack: ${m}`),
    });
    const config = o.config
      ? loadConfig(o.config)
      : devConfig({
          connectString: stack.env.PVC_ZK_CONNECT,
          cephConf: stack.env.CEPH_CONF,
          listenPort: o.port,
        });
    say(
      `stack: ${stack.alreadyRunning ? "already running" : "started"} in ${stack.record.dir} (ZooKeeper ` +
        `${stack.env.PVC_ZK_CONNECT}); it keeps running after this stops: pvcctl stack down --dir ${o.dir}`,
    );
    const tips = async (app: App) => {
      say(
        [
          `api: ${app.url}${config.api.auth.enabled ? "" : " (authentication off)"}`,
          `  try: curl ${app.url}/api/v1`,
          `       curl ${app.url}/apis/${API_GROUP}/v1`,
        ].join("\n"),
      );
      return async () => undefined;
    };
    await runInForeground(config, o, [tips, gitOpsOf(o.gitops)]);
  });
}
