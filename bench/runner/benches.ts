/**
 * Which files in bench/ are benchmarks, and how bench/run-all.ts runs each: its arguments in the
 * full and the quick form, node flags, and what it needs besides the stack. A bench not listed here
 * (one added later) is still found and run with its own defaults; PVC_BENCH_QUICK=1 tells it the
 * run is the quick form, should it want to shrink itself.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface BenchPlan {
  /** Arguments of the full form (the sizes the README's figures come from). */
  full: string[];
  /** Arguments of the quick form: the same measures at sizes that finish in a few minutes. */
  quick: string[];
  nodeFlags?: string[];
  /** Runs against a 3-server ensemble as well as the single server. */
  ensemble?: boolean;
  /** Longest a run may take before it is stopped, in minutes (full form; quick: half). */
  limitMin?: number;
}

export const PLANS: Record<string, BenchPlan> = {
  "zk-floor": { full: ["3000"], quick: ["1000"] },
  store: { full: ["1000,10000"], quick: ["1000"], nodeFlags: ["--expose-gc"] },
  drift: { full: ["200"], quick: ["50"] },
  "runtime-queue": { full: ["200000"], quick: ["50000"] },
  "runtime-failover": { full: ["20"], quick: ["5"] },
  "apply-networks": { full: ["1000", "3"], quick: ["300", "1"] },
  "ceph-volumes": { full: ["50", "8", "3"], quick: ["10", "4", "1"] },
  "v1-vm": { full: ["1000"], quick: ["1000"] },
  "v1-lookups": { full: ["10000", "500"], quick: ["1000", "200"], limitMin: 30 },
  "gitops-latency": { full: ["100", "10000"], quick: ["30", "1000"], limitMin: 40 },
  "ui-load": { full: ["10000", "3"], quick: ["2000", "1"], limitMin: 30 },
  "zk-ensemble": { full: ["3000", "3"], quick: ["1000", "1"], ensemble: true },
  provision: { full: ["3"], quick: ["1"] },
  // The full form wants the stack's ZooKeeper with more heap: PVC_STACK_ZK_HEAP=1g npm run bench.
  "scale-10k": { full: ["10000", "10"], quick: ["1000", "10"], limitMin: 60 },
};

/**
 * A file in bench/ is a helper, not a benchmark, when another file there imports it (lib.ts,
 * v1-vm-baseline.ts, v1-vm-load.ts…), and the runner itself; a name cannot say it (ui-load is a
 * bench, v1-vm-load a helper).
 */
function helpers(dir: string, files: string[]): Set<string> {
  const imported = new Set<string>(["run-all.ts"]);
  for (const f of files) {
    for (const m of readFileSync(join(dir, f), "utf8").matchAll(/from "\.\/([^/"]+\.ts)"/g))
      imported.add(m[1]);
  }
  return imported;
}

/** Every benchmark in `dir` (bench/*.ts but the helpers), by name, known ones in PLANS' order first. */
export function discoverBenches(dir: string): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  const skip = helpers(dir, files);
  const found = files.filter((f) => !skip.has(f)).map((f) => f.slice(0, -3));
  const known = Object.keys(PLANS).filter((n) => found.includes(n));
  return [...known, ...found.filter((n) => !(n in PLANS)).sort()];
}

export function planOf(name: string): BenchPlan {
  return PLANS[name] ?? { full: [], quick: [] };
}
