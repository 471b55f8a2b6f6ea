/**
 * Small shared helpers for benchmarks: bounded concurrency, timing, and the one output format
 * (baseline and ours from the same run, and their ratio).
 */

/** Runs `count` calls of `fn(i)` with at most `concurrency` in flight; returns elapsed ms. */
export async function runConcurrent(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return performance.now() - started;
}

/**
 * Runs every side once per round, alternating who goes first, after `warmUp` rounds that are run
 * the same way and thrown away. Why: the first run of code both sides share (the ZooKeeper
 * library's encoding, say) pays the JIT's compile time, and a machine's load drifts; either would
 * otherwise land on one side only and decide the ratio. `run` returns the side's measure for that
 * round; the result has each side's measures in round order.
 */
export async function alternatingRounds<S extends string>(
  sides: readonly S[],
  rounds: number,
  run: (side: S, round: number) => Promise<number>,
  warmUp = 0,
): Promise<Record<S, number[]>> {
  const kept = Object.fromEntries(sides.map((s) => [s, [] as number[]])) as Record<S, number[]>;
  for (let round = -warmUp; round < rounds; round++) {
    const order = round % 2 === 0 ? [...sides] : [...sides].reverse();
    for (const side of order) {
      const value = await run(side, round);
      if (round >= 0) kept[side].push(value);
    }
  }
  return kept;
}

/** Each round's measure, rounded, in round order: "412, 398, 405". */
export function roundsText(xs: readonly number[]): string {
  return xs.map((x) => x.toFixed(0)).join(", ");
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function perSecond(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** A goal a figure is held to, as the issue states it, and whether this run met it. */
export interface Goal {
  text: string;
  met: boolean;
}

/** One figure of a run, as the RESULT line carries it (bench/run-all.ts reads it into the report). */
export interface Figure {
  what: string;
  unit: string;
  ours: number;
  baseline?: number;
  /** ours / baseline. */
  ratio?: number;
  goal?: Goal;
}

const figures: Figure[] = [];

/** One result line: what, baseline, ours, ratio (ours / baseline), with the unit (and its goal). */
export function report(what: string, baseline: number, ours: number, unit: string, goal?: Goal): void {
  const ratio = ours / baseline;
  figures.push({ what: what.trim(), unit, ours, baseline, ratio, ...(goal ? { goal } : {}) });
  console.log(
    `${what.padEnd(34)} baseline ${fmt(baseline)} ${unit}   ours ${fmt(ours)} ${unit}   ratio ${ratio.toFixed(2)}${goalText(goal)}`,
  );
}

/** A figure without a baseline of its own (a latency, a size), printed and kept for the RESULT line. */
export function figure(what: string, ours: number, unit: string, goal?: Goal): void {
  figures.push({ what: what.trim(), unit, ours, ...(goal ? { goal } : {}) });
  console.log(`${what.padEnd(34)} ${fmt(ours)} ${unit}${goalText(goal)}`);
}

/** A figure kept for the RESULT line only, for a bench that prints its own table. */
export function keepFigure(f: Figure): void {
  figures.push(f);
}

function goalText(goal: Goal | undefined): string {
  return goal ? `   goal ${goal.text}: ${goal.met ? "met" : "NOT met"}` : "";
}

/**
 * The bench's last line, `RESULT {json}`: its name, what it measures, its arguments and every figure
 * reported, so that bench/run-all.ts reads figures without parsing the lines meant for people.
 */
export function printResult(bench: string, measures: string): void {
  const args = process.argv.slice(2);
  console.log(`RESULT ${JSON.stringify({ bench, measures, args, figures })}`);
}

function fmt(n: number): string {
  return n >= 100 ? String(Math.round(n)) : n.toFixed(2);
}

export function benchZkConnect(): string {
  const connect = process.env.PVC_ZK_CONNECT;
  if (!connect) {
    console.error(
      "PVC_ZK_CONNECT is not set: start a stack (npx pvcctl stack up) and eval its exports first",
    );
    process.exit(2);
  }
  return connect;
}
