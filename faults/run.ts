/**
 * The fault suite (issue 16): `npm run faults` boots a stack of its own (a ZooKeeper ensemble of
 * 3, Ceph, hollow nodes), runs every scenario against `pvcctl serve` child processes, prints the
 * table (scenario, runs, converged, lost, duplicated, orphaned, max time to converge) and exits 1
 * if any run did not converge or lost, duplicated or orphaned anything.
 *
 *   npm run faults                 # the full form
 *   npm run faults -- --short      # the CI form (test/integration/fault-suite.test.ts)
 *   npm run faults -- --only osd   # scenarios whose name contains "osd" (--skip: all but those)
 *
 * Ports: PVC_FAULTS_PORT (default 24000, below Linux's ephemeral range where a port can be briefly
 * taken by any outgoing connection) and the next 400; the stack lives in a temporary dir
 * (`--dir DIR` to choose, `--keep` to leave it running for a look afterwards).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FaultEnv } from "./env.ts";
import { cephOsdKilled } from "./scenarios/ceph-osd-killed.ts";
import { replicaLeaderKilled } from "./scenarios/replica-leader-killed.ts";
import { serveKilled } from "./scenarios/serve-killed.ts";
import { zkLeaderKilled } from "./scenarios/zk-leader-killed.ts";
import { zkSingleRestarted } from "./scenarios/zk-single-restarted.ts";
import { FaultStack } from "./stack.ts";
import { formatTable } from "./table.ts";
import { clean, emptyResult, type Scenario, type ScenarioResult } from "./types.ts";

export const SCENARIOS: Scenario[] = [
  zkLeaderKilled,
  zkSingleRestarted,
  serveKilled,
  replicaLeaderKilled,
  cephOsdKilled,
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      short: { type: "boolean", default: false },
      only: { type: "string" },
      skip: { type: "string" },
      dir: { type: "string" },
      keep: { type: "boolean", default: false },
      seed: { type: "string" },
    },
  });
  const base = Number(process.env.PVC_FAULTS_PORT ?? 24000);
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), "pvc-faults-"));
  const seed = Number(values.seed ?? Date.now() % 1_000_000);
  process.env.PVC_FAULTS_SEED = String(seed);
  const stack = new FaultStack(join(dir, "stack"), {
    zk: base,
    mon: base + 100,
    monV2: base + 101,
    msMin: base + 200,
    msMax: base + 399,
  });
  const started = Date.now();
  const rows: ScenarioResult[] = [];
  let env: FaultEnv | undefined;
  // Interrupted (a CI timeout, Ctrl-C): no server or daemon of ours may outlive us.
  const interrupted = async (signal: NodeJS.Signals) => {
    process.stderr.write(`faults: ${signal}: stopping the servers and the stack\n`);
    // What finished is still worth its table (the interrupted scenario is missing from it).
    console.log(formatTable(rows));
    console.log(`faults: interrupted after ${rows.length} scenarios, seed ${seed}`);
    await env?.killAll();
    if (!values.keep) await stack.down();
    if (!values.keep && !values.dir) rmSync(dir, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGTERM", (s) => void interrupted(s));
  process.once("SIGINT", (s) => void interrupted(s));
  try {
    await stack.up();
    env = await FaultEnv.open(stack, join(dir, "serve"));
    const chosen = SCENARIOS.filter(
      (s) =>
        (!values.only || s.name.includes(values.only)) && (!values.skip || !s.name.includes(values.skip)),
    );
    for (const s of chosen) {
      const runs = values.short ? s.runs.short : s.runs.full;
      const t0 = Date.now();
      try {
        rows.push(await s.run({ runs, short: values.short, env }));
        // Its servers go with it: one left running would load the next scenario's machine.
        await env.killAll();
      } catch (err) {
        const row = emptyResult(s.name, runs);
        row.notes.push(`failed: ${err instanceof Error ? err.message : String(err)}`);
        rows.push(row);
      }
      process.stderr.write(
        `faults: ${s.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(rows.at(-1))}\n`,
      );
    }
  } finally {
    await env?.close();
    if (!values.keep) {
      await stack.down();
      if (!values.dir) rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(formatTable(rows));
  console.log(
    `faults: ${values.short ? "short" : "full"} form, seed ${seed}, ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
  );
  console.log(`faults JSON ${JSON.stringify(rows)}`);
  return rows.length > 0 && rows.every(clean) ? 0 : 1;
}

process.exitCode = await main();
