/**
 * bench/runtime-queue: the WorkQueue's own cost over bare p-queue (its engine), same run.
 * - distinct keys: every add runs once (the bookkeeping of merging, serialising and backoff);
 * - hot keys: many adds over few keys, where merging saves runs (reported: runs per add).
 * No ZooKeeper needed.   npx tsx bench/runtime-queue.ts [count]
 */
import PQueue from "p-queue";
import { WorkQueue } from "../src/runtime/queue.ts";
import { perSecond, printResult, report } from "./lib.ts";

const COUNT = Number(process.argv[2] ?? 200_000);
const CONCURRENCY = 16;
const ROUNDS = 3;

const work = async () => {
  await Promise.resolve();
};

async function bare(): Promise<number> {
  const q = new PQueue({ concurrency: CONCURRENCY });
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) void q.add(work);
  await q.onIdle();
  return perSecond(COUNT, performance.now() - started);
}

async function ours(keyCount: number): Promise<{ perSec: number; runs: number }> {
  let runs = 0;
  const q = new WorkQueue({
    concurrency: CONCURRENCY,
    handler: async () => {
      runs++;
      await work();
    },
  });
  const started = performance.now();
  const last = new Map<string, Promise<unknown>>();
  for (let i = 0; i < COUNT; i++) {
    const key = `k${i % keyCount}`;
    last.set(key, q.add(key));
  }
  await Promise.all(last.values());
  await q.shutdown();
  return { perSec: perSecond(COUNT, performance.now() - started), runs };
}

async function main() {
  console.log(`runtime-queue: ${COUNT} adds, concurrency ${CONCURRENCY}, best of ${ROUNDS} rounds`);
  let baseline = 0;
  let distinct = 0;
  let hot = 0;
  let hotRuns = 0;
  for (let r = 0; r < ROUNDS; r++) {
    baseline = Math.max(baseline, await bare());
    distinct = Math.max(distinct, (await ours(COUNT)).perSec);
    const h = await ours(100);
    hot = Math.max(hot, h.perSec);
    hotRuns = h.runs;
  }
  report("adds/s, distinct keys", baseline, distinct, "ops/s");
  report("adds/s, 100 hot keys (merged)", baseline, hot, "ops/s");
  console.log(`hot keys: ${hotRuns} runs for ${COUNT} adds (${((hotRuns / COUNT) * 100).toFixed(2)}%)`);
  console.log(`runtime-queue JSON ${JSON.stringify({ baseline, distinct, hot, hotRuns })}`);
  printResult("runtime-queue", "the controllers' work queue: adds/s against a bare queue");
}

await main();
