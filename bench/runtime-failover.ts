/**
 * bench/runtime-failover: how fast the control plane reacts, on the real ZooKeeper.
 * - leader failover: the leader's client closes → the next elector is elected (N rounds);
 * - mirror latency: an out-of-band set → the TreeCache mirror's `change` (how every kind sees drift
 *   in PVC's keys), against a bare one-shot ZooKeeper watch on another client (baseline, same run).
 *
 *   eval "$(npx pvcctl stack up)" && npx tsx bench/runtime-failover.ts [rounds]
 */
import { LeaderElector } from "../src/runtime/leader.ts";
import { ZkClient } from "../src/zk/client.ts";
import { TreeCache } from "../src/zk/tree-cache.ts";
import { benchZkConnect, figure, median, percentile, printResult, report } from "./lib.ts";

const ROUNDS = Number(process.argv[2] ?? 20);

async function failover(connect: string, root: string): Promise<number[]> {
  const path = `${root}/leader`;
  const times: number[] = [];
  let current = await ZkClient.connect({ connectString: connect });
  let leader = new LeaderElector({ zk: current, path });
  const first = new Promise<void>((r) => leader.once("elected", () => r()));
  await leader.start();
  await first;
  for (let i = 0; i < ROUNDS; i++) {
    const zk = await ZkClient.connect({ connectString: connect });
    const next = new LeaderElector({ zk, path });
    const elected = new Promise<void>((r) => next.once("elected", () => r()));
    await next.start();
    const started = performance.now();
    current.close();
    await elected;
    times.push(performance.now() - started);
    current = zk;
    leader = next;
  }
  await leader.stop();
  current.close();
  return times;
}

async function watchLatency(connect: string, root: string): Promise<{ bare: number[]; ours: number[] }> {
  const writer = await ZkClient.connect({ connectString: connect });
  const watcher = await ZkClient.connect({ connectString: connect });
  const key = `${root}/owned/key`;
  await writer.mkdirp(key);
  const bare: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const fired = new Promise<void>((r) => {
      void watcher.get(key, { watch: () => r() });
    });
    await watcher.exists(key); // the get with its watch has been answered before this one
    const started = performance.now();
    await Promise.all([writer.set(key, `b${i}`), fired]);
    bare.push(performance.now() - started);
  }
  let notify: (() => void) | undefined;
  const w = new TreeCache(watcher, `${root}/owned`);
  w.on("change", () => notify?.());
  await w.start();
  for (let i = 0; i < ROUNDS; i++) {
    const seen = new Promise<void>((r) => {
      notify = r;
    });
    const started = performance.now();
    await Promise.all([writer.set(key, `o${i}`), seen]);
    ours.push(performance.now() - started);
  }
  w.stop();
  watcher.close();
  writer.close();
  return { bare, ours };
}

async function main() {
  const connect = benchZkConnect();
  const root = `/bench-runtime-${process.pid}`;
  const admin = await ZkClient.connect({ connectString: connect });
  await admin.mkdirp(root);
  try {
    const f = (await failover(connect, root)).sort((a, b) => a - b);
    console.log(
      `leader failover (client closed → next elected), ${ROUNDS} rounds: median ${median(f).toFixed(1)} ms, p95 ${percentile(f, 95).toFixed(1)} ms, max ${f.at(-1)?.toFixed(1)} ms`,
    );
    figure("leader failover, median (ms)", median(f), "ms");
    figure("leader failover, max (ms)", f.at(-1) ?? Number.NaN, "ms");
    const { bare, ours } = await watchLatency(connect, root);
    report("watch latency, median", median(bare), median(ours), "ms");
    console.log(
      `runtime-failover JSON ${JSON.stringify({ failoverMedianMs: median(f), failoverP95Ms: percentile(f, 95), watchBareMs: median(bare), watchOursMs: median(ours) })}`,
    );
  } finally {
    await admin.deleteRecursive(root);
    admin.close();
  }
  printResult(
    "runtime-failover",
    "leader election: the leader's session closed → the other replica leads; watch latency",
  );
}

await main();
