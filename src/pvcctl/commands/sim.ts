/**
 * `pvcctl sim run`: hollow PVC node daemons (a simulator, see src/sim/cluster.ts) on a ZooKeeper,
 * until SIGTERM/SIGINT. Once every node is registered and in `run`, the ready file (if asked for)
 * holds the node names, one per line. Every reaction is one JSON line on stderr (pino); stdout
 * stays empty.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { pino } from "pino";
import { ErrorCodes, PvcError } from "../../errors.ts";
import { HollowCluster } from "../../sim/cluster.ts";
import { parseNodeSpec } from "../../sim/spec.ts";
import { ZkClient } from "../../zk/client.ts";

interface SimRunOptions {
  zk: string;
  nodes: string;
  root: string;
  readyFile?: string;
  keepaliveInterval: number;
  shutdownGrace: number;
}

/** A duration in seconds (fractions allowed) → milliseconds. */
export function parseSeconds(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new PvcError(ErrorCodes.CONFIG_INVALID, `${flag}: "${value}" is not a positive number of seconds`);
  }
  return Math.round(n * 1000);
}

/** Written whole or not at all (a reader polling for it never sees half a file). */
function writeReadyFile(path: string, names: readonly string[]): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${names.join("\n")}\n`);
  renameSync(tmp, path);
}

function waitForSignal(): { signal: Promise<NodeJS.Signals>; dispose: () => void } {
  let onSignal!: (sig: NodeJS.Signals) => void;
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return {
    signal,
    dispose: () => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    },
  };
}

async function simRun(options: SimRunOptions): Promise<void> {
  const nodes = parseNodeSpec(options.nodes);
  const log = pino({ name: "pvc-sim", base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  // Installed first: a SIGTERM while we start must still end in an orderly stop.
  const stop = waitForSignal();
  const zk = await ZkClient.connect({ connectString: options.zk });
  try {
    const cluster = new HollowCluster({
      zk,
      nodes,
      root: options.root,
      logger: log,
      timings: { keepaliveIntervalMs: options.keepaliveInterval, shutdownGraceMs: options.shutdownGrace },
    });
    try {
      await cluster.start();
      if (options.readyFile) writeReadyFile(options.readyFile, cluster.nodeNames);
      log.info({ readyFile: options.readyFile ?? null }, "ready");
      const sig = await stop.signal;
      log.info({ signal: sig }, "signal received: stopping");
    } finally {
      await cluster.stop();
      if (options.readyFile) rmSync(options.readyFile, { force: true });
    }
  } finally {
    stop.dispose();
    zk.close();
  }
}

export function registerSimCommands(program: Command): void {
  const sim = program
    .command("sim")
    .description("hollow PVC node daemons: a simulator writing PVC's node keys (no VMs, no libvirt)");

  sim
    .command("run")
    .description("run hollow nodes until SIGTERM/SIGINT")
    .requiredOption("--zk <connect>", "ZooKeeper connect string, host:port[,host:port…]")
    .requiredOption(
      "--nodes <spec>",
      "nodes as name:mode[:memMiB[:vcpus]],… e.g. hv1:coordinator,hv2:hypervisor",
    )
    .option("--root <pvc-root>", 'PVC root prefix in ZooKeeper ("" = /, as PVC uses it)', "")
    .option("--ready-file <path>", "written with the node names, one per line, once every node runs")
    .option(
      "--keepalive-interval <s>",
      "seconds between keepalives (PVC: 5)",
      (v) => parseSeconds("--keepalive-interval", v),
      5000,
    )
    .option(
      "--shutdown-grace <s>",
      "seconds a simulated VM takes to shut down",
      (v) => parseSeconds("--shutdown-grace", v),
      500,
    )
    .action(async (options: SimRunOptions) => {
      await simRun(options);
    });
}
