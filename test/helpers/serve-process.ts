/**
 * `pvcctl serve` as a child process of its own, from a config file in PVC's `pvc-api.yaml` shape:
 * what the fault tests need to kill it (SIGKILL, SIGSTOP), restart it on the same port and root,
 * and run two replicas side by side. Shared by test/integration/zk-ensemble.test.ts,
 * zk-faults.test.ts, provisioner-resume.test.ts and the fault suite (faults/).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PVCCTL = fileURLToPath(new URL("../../bin/pvcctl.js", import.meta.url));

export interface ServeOptions {
  /** Folder for the config file (`<name>.yaml`). */
  dir: string;
  /** Config file name and label in errors; default "pvc-api". */
  name?: string;
  /** PVC's `coordinators:` list: one `host:port` per ZooKeeper server. */
  coordinators: string[];
  cephConf: string;
  storeRoot?: string;
  pvcRoot?: string;
  sessionTimeoutS?: number;
  facadeWaitTimeoutS?: number;
  resyncPeriodS?: number;
  logLevel?: string;
  /** Default: a free port picked now (kept across restarts). */
  port?: number;
  /** More arguments for `serve` (e.g. `--log-format json`). */
  args?: string[];
  /** The child's environment; default this process's. */
  env?: NodeJS.ProcessEnv;
  /**
   * Runs it in a process group of its own, and signals the whole group: what a crash test needs
   * when the server's own children (a provisioning script) must die with it.
   */
  processGroup?: boolean;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function configText(o: ServeOptions, port: number): string {
  const optional = (key: string, value: string | number | undefined) =>
    value === undefined ? [] : [`  ${key}: ${value}`];
  return [
    "pvc:",
    "  debug: false",
    `  coordinators: [${o.coordinators.map((c) => `"${c}"`).join(", ")}]`,
    "  api:",
    "    listen_address: 127.0.0.1",
    `    listen_port: ${port}`,
    "    authentication: {enabled: false}",
    "    ssl: {enabled: false}",
    "reconciler:",
    ...optional("store_root", o.storeRoot),
    ...optional("pvc_root", o.pvcRoot),
    `  ceph_conf: ${o.cephConf}`,
    ...optional("zookeeper_session_timeout", o.sessionTimeoutS),
    ...optional("resync_period", o.resyncPeriodS),
    `  facade_wait_timeout: ${o.facadeWaitTimeoutS ?? 5}`,
    `  log_level: ${o.logLevel ?? "warn"}`,
    "",
  ].join("\n");
}

/** One `pvcctl serve` child; `start()` again after a kill runs it anew on the same port and config. */
export class ServeProcess {
  readonly url: string;
  readonly configFile: string;
  #child: ChildProcess | undefined;
  #output = "";
  /** The current child's first 64 KiB of output (where its start-up lines are). */
  #runHead = "";
  #exited: string | undefined;

  private constructor(
    readonly port: number,
    configFile: string,
    readonly options: ServeOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.configFile = configFile;
  }

  static async create(options: ServeOptions): Promise<ServeProcess> {
    const port = options.port ?? (await freePort());
    const configFile = join(options.dir, `${options.name ?? "pvc-api"}.yaml`);
    writeFileSync(configFile, configText(options, port));
    return new ServeProcess(port, configFile, options);
  }

  /** Spawns the server (not waiting for it: see `ready` and `listening`). */
  start(): this {
    this.#exited = undefined;
    this.#runHead = "";
    const { args = [], env, processGroup = false } = this.options;
    const child = spawn(process.execPath, [PVCCTL, "serve", "--config", this.configFile, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(env ? { env } : {}),
      detached: processGroup,
    });
    const keep = (d: unknown) => {
      // The last 64 KiB are enough to say why it failed; a long run must not grow without bound.
      this.#output = (this.#output + String(d)).slice(-65_536);
      if (this.#runHead.length < 65_536) this.#runHead = (this.#runHead + String(d)).slice(0, 65_536);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("exit", (code, signal) => {
      if (this.#child === child) this.#exited = `exit code ${code}, signal ${signal}`;
    });
    this.#child = child;
    return this;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Why the current child ended; undefined while it runs. */
  get exited(): string | undefined {
    return this.#exited;
  }

  output(tail = 4000): string {
    return this.#output.slice(-tail);
  }

  /** Throws with the child's last output if it has exited. */
  assertAlive(): void {
    if (this.#exited) throw new Error(`serve exited (${this.#exited}):\n${this.output()}`);
  }

  /** Waits for this run's `serving on <url>` line: the app has started (controllers included). */
  async listening(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#runHead.includes(`serving on ${this.url}`)) {
      this.assertAlive();
      if (Date.now() > deadline) throw new Error(`serve not listening in ${timeoutMs} ms:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.assertAlive();
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(
        () => undefined,
      );
      if (res?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`serve not ready in ${timeoutMs} ms:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends `signal` to the server (to its whole group with `processGroup`). */
  signal(signal: NodeJS.Signals): void {
    const child = this.#child;
    if (this.options.processGroup && child?.pid !== undefined) process.kill(-child.pid, signal);
    else child?.kill(signal);
  }

  /**
   * SIGKILL (or `signal`), and wait until the process is gone (its port is free again); with
   * `processGroup`, until its output pipes have closed too, i.e. until its children are gone.
   */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) =>
      child.once(this.options.processGroup ? "close" : "exit", () => resolve()),
    );
    this.signal("SIGCONT");
    this.signal(signal);
    await gone;
  }
}
