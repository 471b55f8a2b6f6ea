/**
 * Which files in bench/ are benchmarks, and how bench/run-all.ts runs each: its arguments in the
 * full and the quick form, node flags, and what it needs besides the stack. A bench not listed here
 * (one added later) is still found and run with its own defaults; PVC_BENCH_QUICK=1 tells it the
 * run is the quick form, should it want to shrink itself.
 */
import { readdirSync } from "node:fs";

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
};

/** Files in bench/ that are helpers, not benchmarks (besides bench/runner/, which is not scanned). */
const HELPER = /^(lib|run-all)\.ts$|-(baseline|load)\.ts$|^_/;

/** Every benchmark in `dir` (bench/*.ts but the helpers), by name, known ones in PLANS' order first. */
export function discoverBenches(dir: string): string[] {
  const found = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !HELPER.test(f))
    .map((f) => f.slice(0, -3));
  const known = Object.keys(PLANS).filter((n) => found.includes(n));
  return [...known, ...found.filter((n) => !(n in PLANS)).sort()];
}

export function planOf(name: string): BenchPlan {
  return PLANS[name] ?? { full: [], quick: [] };
}
