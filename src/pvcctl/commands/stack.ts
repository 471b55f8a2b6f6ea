/**
 * `pvcctl stack up|down|status|env`: the throwaway local ZooKeeper + Ceph (+ hollow nodes) that tests
 * and developers run against. stdout carries only machine-usable output (shell exports, status
 * table) so `eval "$(pvcctl stack up)"` works; progress goes to stderr.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { stackDown } from "../../stack/down.ts";
import type { StackSettings } from "../../stack/settings.ts";
import {
  DEFAULT_SETTINGS,
  DEFAULT_STACK_DIR,
  parseCephAuth,
  parseEnsembleSize,
  parseNodeSpec,
  parseOsdSize,
  parsePort,
} from "../../stack/settings.ts";
import { stackUp } from "../../stack/stack.ts";
import { stackEnv, stackStatusWithRoles } from "../../stack/status.ts";

const progress = (message: string) => process.stderr.write(`stack: ${message}\n`);

function dirOption(): Option {
  return new Option("--dir <dir>", "state directory of the stack")
    .env("PVC_STACK_DIR")
    .default(DEFAULT_STACK_DIR);
}

function portOption(flags: string, description: string, env: string, value: number): Option {
  return new Option(flags, description)
    .env(env)
    .default(value)
    .argParser((v) => parsePort(flags.split(" ")[0], v));
}

interface UpCliOptions {
  dir: string;
  zkPort: number;
  zkEnsemble: number;
  monPort: number;
  monV2Port: number;
  msPortMin: number;
  msPortMax: number;
  cephAuth: StackSettings["cephAuth"];
  osdSize: string;
  nodes: string;
  hollowNodes: boolean;
  install: boolean;
}

export function registerStackCommands(program: Command): void {
  const stack = program
    .command("stack")
    .description("run a local ZooKeeper + one-node Ceph (+ hollow PVC nodes)");

  stack
    .command("up")
    .description("start the stack (a no-op if it runs) and print its connection settings as shell exports")
    .addOption(dirOption())
    .addOption(
      portOption("--zk-port <port>", "ZooKeeper client port", "PVC_STACK_ZK_PORT", DEFAULT_SETTINGS.zkPort),
    )
    .addOption(
      new Option(
        "--zk-ensemble <n>",
        "ZooKeeper servers: 1 (standalone) or an ensemble of 3, 5 or 7, on ports from --zk-port (3 per server)",
      )
        .env("PVC_STACK_ZK_ENSEMBLE")
        .default(DEFAULT_SETTINGS.zkEnsemble)
        .argParser(parseEnsembleSize),
    )
    .addOption(
      portOption("--mon-port <port>", "Ceph mon v1 port", "PVC_STACK_MON_PORT", DEFAULT_SETTINGS.monPort),
    )
    .addOption(
      portOption(
        "--mon-v2-port <port>",
        "Ceph mon v2 port",
        "PVC_STACK_MON_V2_PORT",
        DEFAULT_SETTINGS.monV2Port,
      ),
    )
    .addOption(
      portOption(
        "--ms-port-min <port>",
        "lowest port for OSD/mgr",
        "PVC_STACK_MS_PORT_MIN",
        DEFAULT_SETTINGS.msPortMin,
      ),
    )
    .addOption(
      portOption(
        "--ms-port-max <port>",
        "highest port for OSD/mgr",
        "PVC_STACK_MS_PORT_MAX",
        DEFAULT_SETTINGS.msPortMax,
      ),
    )
    .addOption(
      new Option("--ceph-auth <mode>", "none or cephx")
        .env("PVC_STACK_CEPH_AUTH")
        .default(DEFAULT_SETTINGS.cephAuth)
        .argParser(parseCephAuth),
    )
    .addOption(
      new Option("--osd-size <size>", "size of the sparse bluestore file")
        .env("PVC_STACK_OSD_SIZE")
        .default(DEFAULT_SETTINGS.osdSize)
        .argParser(parseOsdSize),
    )
    .addOption(
      new Option("--nodes <spec>", "hollow nodes, name:coordinator|hypervisor,...")
        .env("PVC_STACK_NODES")
        .default(DEFAULT_SETTINGS.nodes)
        .argParser((v) => {
          parseNodeSpec(v);
          return v;
        }),
    )
    .addOption(
      new Option("--no-hollow-nodes", "do not start the node simulator").env("PVC_STACK_NO_HOLLOW_NODES"),
    )
    .addOption(
      new Option("--no-install", "do not apt-get install missing packages").env("PVC_STACK_NO_INSTALL"),
    )
    .action(async (o: UpCliOptions) => {
      const settings: StackSettings = {
        zkPort: o.zkPort,
        zkEnsemble: o.zkEnsemble,
        monPort: o.monPort,
        monV2Port: o.monV2Port,
        msPortMin: o.msPortMin,
        msPortMax: o.msPortMax,
        cephAuth: o.cephAuth,
        osdSize: o.osdSize,
        nodes: o.hollowNodes ? o.nodes : null,
      };
      const result = await stackUp({ dir: o.dir, settings, install: o.install, progress });
      process.stdout.write(result.envText);
    });

  stack
    .command("down")
    .description(
      "stop every process of the stack (SIGTERM, then SIGKILL); keeps data and logs unless --purge",
    )
    .addOption(dirOption())
    .option("--purge", "also delete the state directory", false)
    .action(async (o: { dir: string; purge: boolean }) => {
      await stackDown({ dir: o.dir, purge: o.purge, progress });
    });

  stack
    .command("status")
    .description(
      "show which components run (and each ZooKeeper server's role); exit code 0 only if all of them do",
    )
    .addOption(dirOption())
    .action(async (o: { dir: string }) => {
      const s = await stackStatusWithRoles(o.dir);
      const lines = [`stack ${s.dir}${s.bootstrapped ? "" : " (not started)"}`];
      for (const c of s.components) {
        const pid = c.pid === null ? "" : `pid ${c.pid}`.padEnd(12);
        const nodes =
          c.component === "sim" && s.hollowNodes.length > 0 ? `  nodes: ${s.hollowNodes.join(" ")}` : "";
        const zk = c.zookeeper
          ? `  port ${c.zookeeper.port}${c.state === "running" ? ` ${c.zookeeper.role ?? "not serving"}` : ""}`
          : "";
        lines.push(`${c.component.padEnd(11)} ${c.state.padEnd(8)} ${pid}${zk}${nodes}`.trimEnd());
      }
      process.stdout.write(`${lines.join("\n")}\n`);
      process.exitCode = s.allRunning ? 0 : 1;
    });

  stack
    .command("env")
    .description("print the connection settings of a running stack as shell exports")
    .addOption(dirOption())
    .action((o: { dir: string }) => {
      process.stdout.write(stackEnv(o.dir));
    });
}
