/**
 * `npm run bench`: every benchmark in bench/ against a fresh local stack of its own, then one
 * report, bench/REPORT.md (the machine, each bench's figures with the baseline from the same run,
 * the ratio, the goal and whether it was met).
 *
 *   npm run bench -- [--quick] [--only name,name] [--port-base N] [--out FILE]
 *
 * - The stack: `pvcctl stack up` in a temp dir on ports from --port-base (default 24000: it may
 *   use up to 24999; see runner/stack.ts), torn down at the end, on failure and on Ctrl-C. A 3-server ensemble is brought
 *   up only for the benches that need one, and down right after.
 * - The benches: bench/*.ts but the helpers (runner/benches.ts), so a new bench joins by being
 *   there; each runs in its own process with the stack's PVC_ZK_CONNECT and CEPH_CONF, one after
 *   the other (they would measure each other otherwise). --quick runs each at sizes that finish in a
 *   few minutes. Each prints a last line `RESULT {json}` (bench/lib.ts printResult); a bench that
 *   fails or prints none is in the report as such, and the run goes on.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Figure } from "./lib.ts";
import { type BenchPlan, discoverBenches, planOf } from "./runner/benches.ts";
import { describeMachine, loadAverage } from "./runner/machine.ts";
import { type BenchRun, renderReport } from "./runner/report.ts";
import { type RunningStack, stackDown, stackUp } from "./runner/stack.ts";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

interface Options {
  quick: boolean;
  only: string[] | undefined;
  portBase: number;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, only: undefined, portBase: 24000, out: join(BENCH_DIR, "REPORT.md") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") o.quick = true;
    else if (a === "--only") o.only = (argv[++i] ?? "").split(",").filter((s) => s !== "");
    else if (a === "--port-base") o.portBase = Number(argv[++i]);
    else if (a === "--out") o.out = argv[++i] ?? o.out;
    else throw new Error(`unknown argument ${a} (use --quick, --only a,b, --port-base N, --out FILE)`);
  }
  if (!Number.isInteger(o.portBase) || o.portBase < 1024 || o.portBase > 64000)
    throw new Error(`--port-base must be a port number 1024-64000, got ${o.portBase}`);
  return o;
}

/** Runs one bench in a child process; its output is echoed and kept; stopped at its time limit. */
function runBench(name: string, plan: BenchPlan, args: string[], env: NodeJS.ProcessEnv, limitMs: number) {
  const file = join(BENCH_DIR, `${name}.ts`);
  const child = spawn(process.execPath, [...(plan.nodeFlags ?? []), "--import", "tsx", file, ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
    text += chunk.toString();
    to.write(chunk);
  };
  child.stdout.on("data", (c: Buffer) => keep(c, process.stdout));
  child.stderr.on("data", (c: Buffer) => keep(c, process.stderr));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, limitMs);
  return new Promise<{ exit: number | string; text: string }>((resolve) => {
    child.on("error", (err) => resolve({ exit: `could not start: ${err.message}`, text }));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const exit = timedOut ? `stopped after ${limitMs / 60_000} min` : (code ?? `killed by ${signal}`);
      resolve({ exit, text });
    });
  });
}

/** The RESULT line's content, and the lines for people. */
function readOutput(text: string): { measures?: string; figures: Figure[]; lines: string[] } {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const resultLine = [...lines].reverse().find((l) => l.startsWith("RESULT {"));
  let parsed: { measures?: string; figures?: Figure[] } = {};
  if (resultLine) {
    try {
      parsed = JSON.parse(resultLine.slice("RESULT ".length));
    } catch {
      parsed = {};
    }
  }
  return {
    measures: parsed.measures,
    figures: parsed.figures ?? [],
    lines: lines.filter((l) => !l.startsWith("RESULT {")),
  };
}

async function measureOne(name: string, o: Options, tmp: string, main: RunningStack): Promise<BenchRun> {
  const plan = planOf(name);
  const args = o.quick ? plan.quick : plan.full;
  const env: NodeJS.ProcessEnv = { ...process.env, ...main.env, PVC_BENCH_QUICK: o.quick ? "1" : "" };
  let ensemble: RunningStack | undefined;
  const loadBefore = loadAverage();
  const started = performance.now();
  console.log(`\n=== ${name} ${args.join(" ")} (load average ${loadBefore})`);
  try {
    if (plan.ensemble) {
      ensemble = await stackUp(tmp, o.portBase, true);
      env.PVC_BENCH_ENSEMBLE_DIR = ensemble.dir;
    }
    const limitMs = (plan.limitMin ?? 20) * 60_000 * (o.quick ? 0.5 : 1);
    const { exit, text } = await runBench(name, plan, args, env, limitMs);
    return { name, args, exit, ...readOutput(text), loadBefore, loadAfter: loadAverage(), seconds: 0 };
  } catch (err) {
    const exit = `could not run: ${err instanceof Error ? err.message : String(err)}`;
    return { name, args, exit, figures: [], lines: [], loadBefore, loadAfter: loadAverage(), seconds: 0 };
  } finally {
    if (ensemble) await stackDown(ensemble.dir);
    const seconds = (performance.now() - started) / 1000;
    console.log(`=== ${name} took ${seconds.toFixed(0)} s`);
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const all = discoverBenches(BENCH_DIR);
  const unknown = (o.only ?? []).filter((n) => !all.includes(n));
  if (unknown.length > 0)
    throw new Error(`no such bench: ${unknown.join(", ")} (there are: ${all.join(", ")})`);
  const names = o.only ? all.filter((n) => o.only?.includes(n)) : all;
  const tmp = mkdtempSync(join(tmpdir(), "pvc-bench-"));
  const loadStart = loadAverage();
  const started = performance.now();
  console.log(`bench: ${names.join(", ")}${o.quick ? " (quick)" : ""}; a fresh stack in ${tmp}`);
  let stack: RunningStack | undefined;
  const cleanUp = async () => {
    if (stack) await stackDown(stack.dir);
    rmSync(tmp, { recursive: true, force: true });
  };
  process.once("SIGINT", () => {
    console.error("interrupted: stopping the stack");
    void cleanUp().then(() => process.exit(130));
  });
  try {
    stack = await stackUp(tmp, o.portBase, false);
    const machine = await describeMachine(stack.zkPort);
    const runs: BenchRun[] = [];
    for (const name of names) {
      const t = performance.now();
      const run = await measureOne(name, o, tmp, stack);
      runs.push({ ...run, seconds: (performance.now() - t) / 1000 });
    }
    const command = `npm run bench --${o.quick ? " --quick" : ""}${o.only ? ` --only ${o.only.join(",")}` : ""}`;
    const info = {
      machine,
      quick: o.quick,
      command,
      loadStart,
      loadEnd: loadAverage(),
      totalSeconds: (performance.now() - started) / 1000,
    };
    writeFileSync(o.out, `${renderReport(info, runs)}\n`);
    console.log(`\nwrote ${o.out}`);
    for (const r of runs)
      console.log(
        `  ${r.name.padEnd(18)} ${r.seconds.toFixed(0).padStart(5)} s  ${r.exit === 0 ? "ok" : r.exit}`,
      );
  } finally {
    await cleanUp();
  }
}

await main();
