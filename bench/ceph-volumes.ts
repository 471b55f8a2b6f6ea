/**
 * bench/ceph-volumes: 50 CephVolumes created → all Ready (the CephVolume controller: intent
 * recorded, `rbd create`, `rbd info`, PVC's mirror in one multi, status) against the same 50 bare
 * `rbd create` calls, with the same number in flight, in the same run on the same pool; and, for
 * reference, against what PVC's node daemon ran per volume (`rbd create`, then `rbd info` to fill
 * `/ceph/volumes/<pool>/<volume>/stats`). Goal (issue 6): ≤ 1.3× bare `rbd create`.
 *
 * The controller runs two rbd processes per volume (create, then info for the mirror's stats and
 * the image id that proves ownership), and on this 2-core machine rbd processes are CPU-bound
 * (each ~150 ms, mostly librados start-up), so ~2× bare `rbd create` is the floor of this design.
 *
 *   eval "$(npx pvcctl stack up)" && node --import tsx bench/ceph-volumes.ts [count] [in-flight]
 */
import pino from "pino";
import { cephPoolController } from "../controllers/ceph/pool.ts";
import { cephVolumeController } from "../controllers/ceph/volume.ts";
import type { ControllerContext } from "../controllers/types.ts";
import { CephClient } from "../src/ceph/client.ts";
import { PvcKeys } from "../src/pvc/keys.ts";
import { KINDS } from "../src/resources/kinds.ts";
import type { Resource } from "../src/resources/types.ts";
import { validateResource } from "../src/resources/validate.ts";
import { RuntimeMetrics } from "../src/runtime/metrics.ts";
import { EventRecorder } from "../src/store/events.ts";
import { Informer } from "../src/store/informer.ts";
import { ResourceStore } from "../src/store/store.ts";
import { ZkClient } from "../src/zk/client.ts";
import { benchZkConnect, report, runConcurrent } from "./lib.ts";

const COUNT = Number(process.argv[2] ?? 50);
const IN_FLIGHT = Number(process.argv[3] ?? 8);
const API = "pvc.parallelvirtualcluster.org/v1";
const SIZE = 64 * 1024 * 1024;

const ready = (r: Resource | undefined) =>
  r !== undefined &&
  r.status?.observedGeneration === r.metadata.generation &&
  (r.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

async function main() {
  const connect = benchZkConnect();
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
  const zk = await ZkClient.connect({ connectString: connect });
  const root = `/bench-ceph-volumes-${process.pid}`;
  const pool = `benchvol${process.pid}`;
  const store = new ResourceStore(zk, {
    root: `${root}/store`,
    kinds: KINDS,
    validate: validateResource,
    defaultFinalizers: {
      CephPool: cephPoolController.finalizers ?? [],
      CephVolume: cephVolumeController.finalizers ?? [],
    },
  });
  await store.init();
  const informers = new Map(KINDS.map((k) => [k.kind, new Informer(store, k.kind)]));
  await Promise.all([...informers.values()].map((i) => i.start()));
  const ctx: ControllerContext = {
    zk,
    store,
    informer: (kind) => informers.get(store.kindInfo(kind).kind) as Informer,
    events: new EventRecorder(zk, store.layout),
    pvc: new PvcKeys(`${root}/pvc`),
    metrics: new RuntimeMetrics({ processMetrics: false }),
    logger: pino({ level: "warn" }),
    settings: { resyncPeriodMs: 0, cephPollIntervalMs: 10_000, concurrency: IN_FLIGHT },
    services: { ceph },
  };
  const controllers = [cephPoolController, cephVolumeController].map((k) => k.create(ctx));
  await Promise.all(controllers.map((c) => c.start()));
  const volumes = informers.get("CephVolume") as Informer;

  try {
    await store.create({
      apiVersion: API,
      kind: "CephPool",
      metadata: { name: pool },
      spec: { pgs: 8, replication: { copies: 1, minCopies: 1 } },
    });
    const pools = informers.get("CephPool") as Informer;
    while (!ready(pools.get(pool))) await new Promise((r) => setTimeout(r, 20));
    // Warm up both paths once (first librbd connection, first pool objects).
    await ceph.rbdCreate(pool, "warm", SIZE);
    await ceph.rbdRm(pool, "warm");

    console.log(`ceph-volumes: ${COUNT} volumes of 64 MiB, ${IN_FLIGHT} in flight, pool ${pool}`);
    const baselineMs = await runConcurrent(COUNT, IN_FLIGHT, (i) => ceph.rbdCreate(pool, `bare${i}`, SIZE));
    // What PVC's node daemon ran per volume: rbd create, then rbd info for the stats key.
    const pvcMs = await runConcurrent(COUNT, IN_FLIGHT, async (i) => {
      await ceph.rbdCreate(pool, `pvc${i}`, SIZE);
      await ceph.rbdInfo(pool, `pvc${i}`);
    });

    calls.clear();
    const started = performance.now();
    const allReady = new Promise<void>((resolve) => {
      const check = () => {
        let n = 0;
        for (let i = 0; i < COUNT; i++) if (ready(volumes.get(`${pool}.ours${i}`))) n++;
        if (n === COUNT) {
          volumes.off("update", check);
          resolve();
        }
      };
      volumes.on("update", check);
    });
    await runConcurrent(COUNT, IN_FLIGHT, (i) =>
      store.create({
        apiVersion: API,
        kind: "CephVolume",
        metadata: { name: `${pool}.ours${i}` },
        spec: { pool, size: SIZE },
      }),
    );
    await allReady;
    const oursMs = performance.now() - started;

    const spent = [...calls].map(([k, c]) => `${k} ×${c.n} (avg ${(c.ms / c.n).toFixed(0)} ms)`).join(", ");
    const images = (await ceph.rbdLs(pool)).filter((e) => e.snapshot === undefined).length;
    if (images !== 3 * COUNT) throw new Error(`expected ${3 * COUNT} images, found ${images}`);
    report(`${COUNT} volumes created → Ready`, baselineMs, oursMs, "ms");
    report("  vs rbd create + rbd info (PVC's)", pvcMs, oursMs, "ms");
    console.log(
      `Ceph calls of ours: ${spent}\nper volume: baseline ${(baselineMs / COUNT).toFixed(1)} ms, ours ${(oursMs / COUNT).toFixed(1)} ms (wall time / count)`,
    );
  } finally {
    await Promise.all(controllers.map((c) => c.stop()));
    for (const i of informers.values()) i.stop();
    await ceph.poolRm(pool).catch(() => undefined);
    await zk.deleteRecursive(root).catch(() => undefined);
    zk.close();
  }
}

await main();
