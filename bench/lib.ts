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

export function perSecond(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** One result line: what, baseline, ours, ratio (ours / baseline), with the unit. */
export function report(what: string, baseline: number, ours: number, unit: string): void {
  const ratio = ours / baseline;
  console.log(
    `${what.padEnd(34)} baseline ${fmt(baseline)} ${unit}   ours ${fmt(ours)} ${unit}   ratio ${ratio.toFixed(2)}`,
  );
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
