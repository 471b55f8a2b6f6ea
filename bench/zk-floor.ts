/**
 * bench/zk-floor: this machine's raw ZooKeeper floor with the project's client — creates/s,
 * gets/s and multi transactions/s at 32 in flight. Later benchmarks compare against these numbers.
 * The baseline is bare node-zookeeper-client in the same run, so the ratio shows what our
 * wrapper (timeouts, typed errors, in-flight tracking) costs. Each measure runs three rounds,
 * alternating which client goes first, and keeps each client's best round: disk syncs on a shared
 * machine are noisy, and the order of measures must not decide the ratio.
 *
 *   eval "$(npx pvcctl stack up)" && npx tsx bench/zk-floor.ts [count]
 */
import zookeeper from "node-zookeeper-client";
import { ZkClient } from "../src/zk/client.ts";
import { alternatingRounds, benchZkConnect, perSecond, printResult, report, runConcurrent } from "./lib.ts";

const COUNT = Number(process.argv[2] ?? 3000);
const IN_FLIGHT = 32;
const ROUNDS = 3;

function bare(connectString: string): Promise<zookeeper.Client> {
  return new Promise((resolve) => {
    const c = zookeeper.createClient(connectString);
    c.once("connected", () => resolve(c));
    c.connect();
  });
}

function cb<T>(fn: (done: (err: unknown, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

type Op = (round: number, i: number) => Promise<unknown>;

/** Best ops/s of each side over ROUNDS rounds, alternating who goes first. */
async function measure(baseline: Op, ours: Op): Promise<{ baseline: number; ours: number }> {
  const ops = { baseline, ours };
  const perSec = await alternatingRounds(["baseline", "ours"] as const, ROUNDS, async (side, round) =>
    perSecond(COUNT, await runConcurrent(COUNT, IN_FLIGHT, (i) => ops[side](round, i))),
  );
  return { baseline: Math.max(...perSec.baseline), ours: Math.max(...perSec.ours) };
}

async function main() {
  const connect = benchZkConnect();
  const raw = await bare(connect);
  const ours = await ZkClient.connect({ connectString: connect });
  const root = `/bench-zk-floor-${process.pid}`;
  for (let r = 0; r < ROUNDS; r++) {
    await ours.mkdirp(`${root}/r${r}/bare`);
    await ours.mkdirp(`${root}/r${r}/ours`);
  }
  const payload = Buffer.from("x".repeat(200));
  const text = payload.toString();
  const bareNode = (r: number, i: number) => `${root}/r${r}/bare/n${i}`;
  const ourNode = (r: number, i: number) => `${root}/r${r}/ours/n${i}`;

  console.log(
    `zk-floor: ${COUNT} ops per measure, ${IN_FLIGHT} in flight, best of ${ROUNDS} rounds, ZooKeeper at ${connect}`,
  );

  const creates = await measure(
    (r, i) => cb((d) => raw.create(bareNode(r, i), payload, d)),
    (r, i) => ours.create(ourNode(r, i), text),
  );
  report("creates/s", creates.baseline, creates.ours, "ops/s");

  const gets = await measure(
    (r, i) => cb((d) => raw.getData(bareNode(r, i), d)),
    (r, i) => ours.get(ourNode(r, i)),
  );
  report("gets/s", gets.baseline, gets.ours, "ops/s");

  // A multi of 4 ops: the shape of a small resource write (a check and three sets).
  const multis = await measure(
    (r, i) =>
      cb((d) => {
        const n = bareNode(r, i);
        raw
          .transaction()
          .check(n, -1)
          .setData(n, payload, -1)
          .setData(n, payload, -1)
          .setData(n, payload, -1)
          .commit(d);
      }),
    (r, i) => {
      const n = ourNode(r, i);
      return ours.multi([
        { op: "check", path: n, version: -1 },
        { op: "set", path: n, data: text },
        { op: "set", path: n, data: text },
        { op: "set", path: n, data: text },
      ]);
    },
  );
  report("multi tx/s (4 ops)", multis.baseline, multis.ours, "tx/s");

  console.log(
    `zk-floor JSON ${JSON.stringify({ createsPerSec: creates.ours, getsPerSec: gets.ours, multiPerSec: multis.ours })}`,
  );
  await ours.deleteRecursive(root);
  ours.close();
  raw.close();
  printResult("zk-floor", "raw ZooKeeper with our client against bare node-zookeeper-client, 32 in flight");
}

await main();
