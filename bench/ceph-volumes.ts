/**
 * bench/ceph-volumes: 50 CephVolumes created through the store, timed to two points, each against
 * a baseline run in the same process, with the same number in flight, on the same pool:
 *
 * - **→ Ready** (the goal of issue 6: ≤ 1.3×): every volume is usable (its `rbd create` returned
 *   success after our intent was recorded: the image exists as specified and is ours), against 50
 *   bare `rbd create` calls.
 * - **→ mirrored**: every volume's PVC keys are written (`/ceph/volumes/<pool>/<volume>` with
 *   `stats` from a real `rbd info`, status `imageId`/`stats`, condition Mirrored), against what
 *   PVC's node daemon ran per volume: `rbd create`, then `rbd info` for the stats key.
 *
 * The two differ because on this 2-core machine rbd processes are CPU-bound (~35 ms each, mostly
 * librados start-up): the controller says Ready right after `rbd create`, and its mirror lane runs
 * the `rbd info`s once the creates are done (controllers/ceph/volume.ts), instead of a second
 * process per volume inside each reconcile (which measured 2.0–2.3× to Ready).
 *
 * Each side runs once per round, alternating who goes first, after a warm-up round that is thrown
 * away (the first run of our code pays the JIT, the pool's first images cost more); medians.
 *
 *   eval "$(npx pvcctl stack up)" && node --import tsx bench/ceph-volumes.ts [count] [in-flight] [rounds]
 */
import { cephPoolController } from "../controllers/ceph/pool.ts";
import { cephVolumeController } from "../controllers/ceph/volume.ts";
import { CephClient } from "../src/ceph/client.ts";
import type { Resource } from "../src/resources/types.ts";
import { startHarness } from "../test/helpers/controllers.ts";
import {
  alternatingRounds,
  benchZkConnect,
  median,
  printResult,
  report,
  roundsText,
  runConcurrent,
} from "./lib.ts";

const COUNT = Number(process.argv[2] ?? 50);
const IN_FLIGHT = Number(process.argv[3] ?? 8);
const ROUNDS = Number(process.argv[4] ?? 3);
const API = "pvc.parallelvirtualcluster.org/v1";
const SIZE = 64 * 1024 * 1024;

const holds = (r: Resource | undefined, type: string) =>
  r !== undefined &&
  r.status?.observedGeneration === r.metadata.generation &&
  (r.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");
const ready = (r: Resource | undefined) => holds(r, "Ready");
const mirrored = (r: Resource | undefined) => holds(r, "Ready") && holds(r, "Mirrored");

async function main() {
  benchZkConnect();
  if (!process.env.CEPH_CONF) {
    console.error("CEPH_CONF is not set: start a stack (npx pvcctl stack up) and eval its exports first");
    process.exit(2);
  }
  const calls = new Map<string, { n: number; ms: number }>();
  const ceph = new CephClient({
    onCall: (s) => {
      const k = s.cmd.split(" ").slice(0, 2).join(" ");
      const c = calls.get(k) ?? { n: 0, ms: 0 };
      c.n++;
      c.ms += s.ms;
      calls.set(k, c);
    },
  });
  const pool = `benchvol${process.pid}`;
  const h = await startHarness("bench-ceph-volumes", [cephPoolController, cephVolumeController], {
    // The drift poller and the pool stats loop cost the same per interval whatever the number of
    // volumes (a `ceph df`, `rados df`, `rbd ls -l`: ~1.5 s of CPU here); at 10 s they fell into
    // the timed window in some runs and not others, so they are kept out of it.
    settings: { cephPollIntervalMs: 60_000, concurrency: IN_FLIGHT },
    ceph,
  });
  const { store, zk } = h;
  const volumes = h.informer("CephVolume");

  try {
    await store.create({
      apiVersion: API,
      kind: "CephPool",
      metadata: { name: pool },
      spec: { pgs: 8, replication: { copies: 1, minCopies: 1 } },
    });
    const pools = h.informer("CephPool");
    while (!ready(pools.get(pool))) await new Promise((r) => setTimeout(r, 20));
    // Warm up both paths once (first librbd connection, first pool objects).
    await ceph.rbdCreate(pool, "warm", SIZE);
    await ceph.rbdRm(pool, "warm");

    console.log(
      `ceph-volumes: ${COUNT} volumes of 64 MiB, ${IN_FLIGHT} in flight, pool ${pool}, median of ${ROUNDS} rounds after a warm-up`,
    );
    // Image names carry the round (r-1 is the warm-up): every round creates new images.
    const name = (side: string, round: number, i: number) => `${side}r${round + 1}i${i}`;
    const mirroredMs: number[] = [];
    let spent = "";

    /** Ours: the volumes created through the store; timed to Ready, and (kept aside) to mirrored. */
    async function ours(round: number): Promise<number> {
      calls.clear();
      const started = performance.now();
      const all = (done: (r: Resource | undefined) => boolean) =>
        new Promise<number>((resolve) => {
          const check = () => {
            for (let i = 0; i < COUNT; i++)
              if (!done(volumes.get(`${pool}.${name("ours", round, i)}`))) return;
            volumes.off("update", check);
            resolve(performance.now() - started);
          };
          volumes.on("update", check);
        });
      const allReady = all(ready);
      const allMirrored = all(mirrored);
      await runConcurrent(COUNT, IN_FLIGHT, (i) =>
        store.create({
          apiVersion: API,
          kind: "CephVolume",
          metadata: { name: `${pool}.${name("ours", round, i)}` },
          spec: { pool, size: SIZE },
        }),
      );
      const readyMs = await allReady;
      const toMirrored = await allMirrored;
      if (round >= 0) mirroredMs.push(toMirrored);
      spent = [...calls].map(([k, c]) => `${k} ×${c.n} (avg ${(c.ms / c.n).toFixed(0)} ms)`).join(", ");
      // Mirrored means real stats in PVC's key: each one must name its image's id.
      const listing = await ceph.rbdLs(pool);
      const ids = new Map(listing.filter((e) => e.snapshot === undefined).map((e) => [e.image, e.raw.id]));
      for (let i = 0; i < COUNT; i++) {
        const image = name("ours", round, i);
        const stats = JSON.parse((await zk.tryGet(h.pvc.cephVolumeStats(pool, image)))?.data ?? "{}");
        if (stats.id === undefined || stats.id !== ids.get(image))
          throw new Error(`${image}: stats ${JSON.stringify(stats)}`);
      }
      return readyMs;
    }

    const run = {
      bare: (round: number) =>
        runConcurrent(COUNT, IN_FLIGHT, (i) => ceph.rbdCreate(pool, name("bare", round, i), SIZE)),
      // What PVC's node daemon ran per volume: rbd create, then rbd info for the stats key.
      pvc: (round: number) =>
        runConcurrent(COUNT, IN_FLIGHT, async (i) => {
          await ceph.rbdCreate(pool, name("pvc", round, i), SIZE);
          await ceph.rbdInfo(pool, name("pvc", round, i));
        }),
      ours,
    };
    const ms = await alternatingRounds(
      ["bare", "pvc", "ours"] as const,
      ROUNDS,
      (side, round) => run[side](round),
      1,
    );
    const images = (await ceph.rbdLs(pool)).filter((e) => e.snapshot === undefined).length;
    if (images !== 3 * COUNT * (ROUNDS + 1))
      throw new Error(`expected ${3 * COUNT * (ROUNDS + 1)} images, found ${images}`);
    console.log(
      `  rounds (ms): bare create ${roundsText(ms.bare)}; create + info ${roundsText(ms.pvc)}; ours to Ready ${roundsText(ms.ours)}, to mirrored ${roundsText(mirroredMs)}`,
    );
    const readyMs = median(ms.ours);
    report(`${COUNT} volumes created → Ready`, median(ms.bare), readyMs, "ms", {
      text: "≤ 1.3× bare rbd create",
      met: readyMs / median(ms.bare) <= 1.3,
    });
    report("  → mirrored, vs create + info (PVC)", median(ms.pvc), median(mirroredMs), "ms");
    console.log(
      `Ceph calls of ours (last round): ${spent}\nper volume: bare create ${(median(ms.bare) / COUNT).toFixed(1)} ms, ours to Ready ${(readyMs / COUNT).toFixed(1)} ms, to mirrored ${(median(mirroredMs) / COUNT).toFixed(1)} ms (wall time / count)`,
    );
  } finally {
    await ceph.poolRm(pool).catch(() => undefined);
    await h.close();
  }
  printResult(
    "ceph-volumes",
    `${COUNT} CephVolumes → Ready (and mirrored), against bare rbd create (and create + info)`,
  );
}

await main();
