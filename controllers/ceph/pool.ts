/**
 * The CephPool controller: converges a replicated RBD pool and PVC's mirror of it.
 *
 * One reconcile: observe (`ceph osd pool ls detail`, one call) → create if missing, behind an
 * intent (`status.pendingCreate`) so that a crash mid-create never creates twice nor forgets what
 * it made → converge size, min_size, pg_num (against pg_num_target: `pool get` lags) and the rbd
 * application → mirror `/ceph/pools/<pool>` (`pgs`, `stats`) and the empty parents
 * `/ceph/volumes/<pool>`, `/ceph/snapshots/<pool>` in one multi → Ready.
 *
 * A poller compares `osd pool ls detail` with every pool each `cephPollIntervalMs` and wakes the
 * pools that drifted (pg count, replication, pool deleted behind our back: reported, never
 * recreated silently, as every volume in it is gone); a slower loop refreshes `stats` (PVC's
 * shape, from `ceph df` + `rados df`) in one multi for all pools.
 *
 * Before it creates or changes a pool, it asks CRUSH how many copies the cluster can place apart
 * (placement.ts): a min_size above that is Stalled `Undersized`, naming copies and OSDs, and
 * nothing is done in Ceph (such a pool's placement groups never become active and every command
 * on it hangs); it is looked at again every max(cephPollIntervalMs, 5 s), as OSDs may be added.
 *
 * Deletion runs behind a finalizer: a pool that still holds RBD images keeps the finalizer and a
 * DeletionBlocked condition naming them, until they are gone or `spec.confirmDeleteWithVolumes`
 * equals the pool's name. deletionPolicy Retain leaves the pool in Ceph and drops the mirror.
 */
import { undersized } from "../../src/ceph/placement.ts";
import type { PoolDetail } from "../../src/ceph/types.ts";
import type { CephPoolSpec } from "../../src/resources/specs.ts";
import type { Resource, ResourceStatus } from "../../src/resources/types.ts";
import { deletionBlocked, ready, stalled } from "../../src/runtime/conditions.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import { specOrMetadataChanged } from "../../src/runtime/predicates.ts";
import { writeStatusIfChanged } from "../../src/runtime/status.ts";
import { kindController } from "../build.ts";
import type { ControllerContext, KindController } from "../types.ts";
import {
  ADOPT_ANNOTATION,
  CephShared,
  cephOf,
  createdAfterIntent,
  errorMessage,
  fieldsStatus,
  hooksOf,
  isEnoent,
  nextStatus,
  type PendingCreate,
  POOL_FINALIZER,
  reportingCephFailures,
} from "./common.ts";

type CephPool = Resource<CephPoolSpec>;

/** Stalled reason of a pool whose min_size the cluster's failure domains cannot meet. */
export const UNDERSIZED = "Undersized";

export interface CephPoolStatus extends ResourceStatus {
  /** The Ceph pool id this object created or adopted (ownership proof). */
  poolId?: number;
  pendingCreate?: PendingCreate;
  /** RBD images found in the pool at the last listing. */
  volumes?: number;
}

/** `2026-11-26T18:00:33.911616+0000` (osd pool ls detail's create_time) in ms. */
export function poolCreateTime(detail: PoolDetail): number {
  const text = detail.raw.create_time;
  if (typeof text !== "string") return Number.NaN;
  return Date.parse(text.replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
}

/** PVC's `/ceph/pools/<pool>/stats` from `ceph df` and `rados df` raw pool entries. */
export function poolStats(dfPool: Record<string, unknown>, radosPool: Record<string, unknown>): string {
  const stats = (dfPool.stats ?? {}) as Record<string, unknown>;
  return JSON.stringify({
    id: dfPool.id,
    free_bytes: stats.max_avail,
    used_bytes: stats.bytes_used,
    used_percent: stats.percent_used,
    num_objects: stats.objects,
    num_object_clones: radosPool.num_object_clones,
    num_object_copies: radosPool.num_object_copies,
    num_objects_missing_on_primary: radosPool.num_objects_missing_on_primary,
    num_objects_unfound: radosPool.num_objects_unfound,
    num_objects_degraded: radosPool.num_objects_degraded,
    read_ops: radosPool.read_ops,
    read_bytes: radosPool.read_bytes,
    write_ops: radosPool.write_ops,
    write_bytes: radosPool.write_bytes,
  });
}

/** How far a pool is from its spec (empty when converged). */
export function poolDrift(spec: CephPoolSpec, d: PoolDetail): string[] {
  const out: string[] = [];
  if (d.pgNumTarget !== spec.pgs) out.push(`pg_num_target ${d.pgNumTarget} (want ${spec.pgs})`);
  if (d.size !== spec.replication.copies) out.push(`size ${d.size} (want ${spec.replication.copies})`);
  if (d.minSize !== spec.replication.minCopies)
    out.push(`min_size ${d.minSize} (want ${spec.replication.minCopies})`);
  if (!d.applicationMetadata.rbd) out.push("application rbd not enabled");
  return out;
}

export const cephPoolController: KindController = {
  kind: "CephPool",
  finalizers: [POOL_FINALIZER],
  create(ctx: ControllerContext): Controller {
    const { store, pvc, events } = ctx;
    const informer = ctx.informer("CephPool");
    const volumes = ctx.informer("CephVolume");
    const shared = CephShared.of(ctx);
    const ceph = cephOf(ctx);
    const hooks = hooksOf(ctx);
    const pools = (): CephPool[] => informer.list() as unknown as CephPool[];

    const writeStatus = (pool: CephPool, status: CephPoolStatus): Promise<CephPool> =>
      writeStatusIfChanged(store, pool, status);

    async function detailOf(name: string): Promise<PoolDetail | undefined> {
      return (await ceph.poolLsDetail()).find((p) => p.name === name);
    }

    async function finalize(pool: CephPool): Promise<{ requeueAfter?: number } | undefined> {
      const name = pool.metadata.name;
      const st = (pool.status ?? {}) as CephPoolStatus;
      const owned = st.poolId !== undefined || st.pendingCreate !== undefined;
      if (pool.spec.deletionPolicy === "Delete" && owned) {
        const d = await detailOf(name);
        if (d && (st.poolId === undefined || d.id === st.poolId)) {
          const confirmed = pool.spec.confirmDeleteWithVolumes === name;
          let images: string[] = [];
          if (!confirmed) {
            try {
              images = (await ceph.rbdLs(name).catch((err) => (isEnoent(err) ? [] : Promise.reject(err))))
                .filter((e) => e.snapshot === undefined)
                .map((e) => e.image);
            } catch (err) {
              // A pool whose placement groups cannot serve I/O (e.g. more copies than OSDs) cannot
              // even be listed: say so, and how to delete it anyway, instead of retrying forever.
              const message = `cannot list the volumes of pool ${name} (${errorMessage(err)}); set spec.confirmDeleteWithVolumes to "${name}" to delete it without looking`;
              await writeStatus(
                pool,
                nextStatus<CephPoolStatus>(
                  pool,
                  {},
                  deletionBlocked("PoolUnreadable", message, pool.metadata.generation),
                ),
              );
              return { requeueAfter: ctx.settings.cephPollIntervalMs };
            }
          }
          if (images.length > 0 && !confirmed) {
            const shown =
              images.slice(0, 10).join(", ") + (images.length > 10 ? ` (+${images.length - 10})` : "");
            const message = `pool ${name} still holds ${images.length} volume(s): ${shown}; delete them first, or set spec.confirmDeleteWithVolumes to "${name}" to delete the pool with them`;
            await writeStatus(
              pool,
              nextStatus<CephPoolStatus>(
                pool,
                { volumes: images.length },
                deletionBlocked("PoolHasVolumes", message, pool.metadata.generation),
              ),
            );
            return { requeueAfter: ctx.settings.cephPollIntervalMs };
          }
          await ceph.poolRm(name).catch((err) => (isEnoent(err) ? undefined : Promise.reject(err)));
          await events.record("cephpools", name, "Normal", "Deleted", `Removed pool ${name}`);
        }
      }
      // The mirror is ours only if the pool was (a foreign pool's PVC keys stay).
      if (owned) {
        await shared.removeTrees([
          pvc.cephPool(name),
          pvc.cephPoolVolumes(name),
          pvc.cephPoolSnapshots(name),
        ]);
      }
      await store.removeFinalizer("CephPool", name, POOL_FINALIZER);
      return undefined;
    }

    async function reconcile(name: string): Promise<{ requeueAfter?: number } | undefined> {
      let pool = (await store.tryGet("CephPool", name)) as unknown as CephPool | null;
      if (!pool) return undefined;
      if (pool.metadata.deletionTimestamp) {
        if (pool.metadata.finalizers?.includes(POOL_FINALIZER)) return finalize(pool);
        return undefined;
      }
      if (!pool.metadata.finalizers?.includes(POOL_FINALIZER)) {
        const updated = (await store.addFinalizer("CephPool", name, POOL_FINALIZER)) as unknown as CephPool;
        pool = { ...updated, status: pool.status };
      }
      const spec = pool.spec;
      const generation = pool.metadata.generation;
      let st = (pool.status ?? {}) as CephPoolStatus;
      if (st.pendingCreate && st.pendingCreate.uid !== pool.metadata.uid)
        st = { ...st, pendingCreate: undefined };
      let d = await detailOf(name);

      if (d && st.poolId === undefined) {
        // A pool of this name exists and we have no record of it: ours only if our intent made it.
        const ours = st.pendingCreate ? createdAfterIntent(poolCreateTime(d), st.pendingCreate.at) : false;
        const adopt = pool.metadata.annotations?.[ADOPT_ANNOTATION] === "true";
        if (ours === undefined && !adopt) {
          await writeStatus(
            pool,
            nextStatus<CephPoolStatus>(
              pool,
              {},
              stalled(
                "CreateOutcomeUnknown",
                `pool ${name} exists but its creation time cannot be compared with our create intent of ${st.pendingCreate?.at}; annotate ${ADOPT_ANNOTATION}=true to take it over`,
                generation,
              ),
            ),
          );
          return undefined;
        }
        if (!ours && !adopt) {
          await writeStatus(
            pool,
            nextStatus<CephPoolStatus>(
              pool,
              {},
              stalled(
                "PoolExists",
                `a Ceph pool named ${name} already exists and was not created by this object; annotate ${ADOPT_ANNOTATION}=true to take it over`,
                generation,
              ),
            ),
          );
          return undefined;
        }
        pool = await writeStatus(
          pool,
          fieldsStatus<CephPoolStatus>(pool, { poolId: d.id, pendingCreate: undefined }),
        );
        st = pool.status as CephPoolStatus;
      }

      if (!d && st.poolId !== undefined) {
        await writeStatus(
          pool,
          nextStatus<CephPoolStatus>(
            pool,
            {},
            stalled(
              "PoolLost",
              `pool ${name} (id ${st.poolId}) was deleted outside our control, with every volume in it; it is not recreated silently: delete and recreate this object to start over`,
              generation,
            ),
          ),
        );
        return undefined;
      }
      if (d && st.poolId !== undefined && d.id !== st.poolId) {
        await writeStatus(
          pool,
          nextStatus<CephPoolStatus>(
            pool,
            {},
            stalled(
              "PoolReplaced",
              `pool ${name} now has id ${d.id}, not ${st.poolId}: it was deleted and recreated outside our control`,
              generation,
            ),
          ),
        );
        return undefined;
      }

      // Before creating or changing the pool: can the cluster serve it as asked? A min_size above
      // the failure domains gives placement groups that never become active, and every command
      // on the pool (`rbd pool init` first) would hang until killed; refuse, and look again later
      // (OSDs may be added). Only when something is to be done: a converged pool costs no calls.
      let degraded: string | undefined;
      if (!d || poolDrift(spec, d).length > 0) {
        const crushRule = typeof d?.raw.crush_rule === "number" ? d.raw.crush_rule : undefined;
        const short = undersized(
          name,
          spec.replication.copies,
          spec.replication.minCopies,
          await ceph.placement(crushRule),
        );
        if (short?.refuse) {
          await writeStatus(
            pool,
            nextStatus<CephPoolStatus>(pool, {}, stalled(UNDERSIZED, short.message, generation)),
          );
          return { requeueAfter: Math.max(ctx.settings.cephPollIntervalMs, 5000) };
        }
        degraded = short?.message;
      }

      if (!d) {
        // Create, behind an intent.
        const intent: PendingCreate = {
          op: "pool-create",
          at: new Date().toISOString(),
          uid: pool.metadata.uid ?? "",
        };
        pool = await writeStatus(pool, fieldsStatus<CephPoolStatus>(pool, { pendingCreate: intent }));
        await hooks.afterIntent?.("CephPool", name, intent);
        await ceph.poolCreate(name, spec.pgs, {
          size: spec.replication.copies,
          minSize: spec.replication.minCopies,
        });
        await hooks.afterCreate?.("CephPool", name, intent);
        d = await detailOf(name);
        if (!d) throw new Error(`pool ${name} is missing right after ceph osd pool create succeeded`);
        pool = await writeStatus(
          pool,
          fieldsStatus<CephPoolStatus>(pool, { poolId: d.id, pendingCreate: undefined }),
        );
        await events.record("cephpools", name, "Normal", "Created", `Created pool ${name} (id ${d.id})`);
        if (degraded)
          await events.record("cephpools", name, "Warning", UNDERSIZED, `Pool ${name} ${degraded}`);
      }

      // Converge the settings.
      const drift = poolDrift(spec, d);
      if (drift.length > 0) {
        try {
          if (d.size !== spec.replication.copies)
            await ceph.poolSet(name, "size", spec.replication.copies, { confirm: true });
          if (d.minSize !== spec.replication.minCopies)
            await ceph.poolSet(name, "min_size", spec.replication.minCopies, { confirm: true });
          if (d.pgNumTarget !== spec.pgs) await ceph.poolSet(name, "pg_num", spec.pgs);
          if (!d.applicationMetadata.rbd) await ceph.rbdPoolInit(name);
        } catch (err) {
          await writeStatus(
            pool,
            nextStatus<CephPoolStatus>(
              pool,
              {},
              stalled("CephRefused", `converging ${drift.join(", ")}: ${errorMessage(err)}`, generation),
            ),
          );
          return { requeueAfter: Math.max(ctx.settings.cephPollIntervalMs, 5000) };
        }
        if ((pool.status as CephPoolStatus).observedGeneration === generation) {
          controller.driftRepaired(name, drift.join(", "));
          await events.record("cephpools", name, "Normal", "DriftRepaired", `Repaired ${drift.join(", ")}`);
        }
      }

      // Mirror, exactly as PVC's add_pool writes it (stats are the stats loop's).
      const cache = await shared.mirror();
      const statsPath = pvc.cephPoolKey(name, "stats");
      const desired = new Map([
        [pvc.cephPool(name), ""],
        [pvc.cephPoolKey(name, "pgs"), String(spec.pgs)],
        [statsPath, cache.get(statsPath)?.data ?? "{}"],
        [pvc.cephPoolVolumes(name), ""],
        [pvc.cephPoolSnapshots(name), ""],
      ]);
      const roots = [pvc.cephPool(name), pvc.cephPoolVolumes(name), pvc.cephPoolSnapshots(name)];
      const isChildOf = (p: string) =>
        p.startsWith(`${pvc.cephPoolVolumes(name)}/`) || p.startsWith(`${pvc.cephPoolSnapshots(name)}/`);
      await shared.sync(
        desired,
        roots.map((r) => r),
        isChildOf,
      );
      const listing = shared.listings.get(name);
      const count = listing ? listing.filter((e) => e.snapshot === undefined).length : undefined;
      await writeStatus(
        pool,
        nextStatus<CephPoolStatus>(
          pool,
          { poolId: d.id, volumes: count ?? (pool.status as CephPoolStatus).volumes },
          ready(
            "Converged",
            `pool ${name} (id ${d.id}): ${spec.pgs} PGs, ${spec.replication.copies} copies, min ${spec.replication.minCopies}`,
            generation,
          ),
        ),
      );
      return undefined;
    }

    // --- drift and stats loops ---------------------------------------------------------------
    let detailTimer: NodeJS.Timeout | undefined;
    let statsTimer: NodeJS.Timeout | undefined;
    let running = false;

    async function pollDetail(): Promise<void> {
      const managed = pools().filter((p) => !p.metadata.deletionTimestamp);
      if (managed.length === 0) return;
      const details = new Map((await ceph.poolLsDetail()).map((d) => [d.name, d]));
      for (const p of managed) {
        const st = (p.status ?? {}) as CephPoolStatus;
        if (st.poolId === undefined) continue; // not created yet: its own reconcile handles it
        const d = details.get(p.metadata.name);
        if (!d || d.id !== st.poolId || poolDrift(p.spec, d).length > 0)
          void controller.enqueue(p.metadata.name);
      }
    }

    async function refreshStats(): Promise<void> {
      const managed = new Set(
        pools()
          .filter((p) => (p.status as CephPoolStatus | undefined)?.poolId !== undefined)
          .map((p) => p.metadata.name),
      );
      if (managed.size === 0) return;
      const [df, rados] = await Promise.all([ceph.df(), ceph.radosDf()]);
      const radosByName = new Map(
        ((rados.raw.pools ?? []) as Record<string, unknown>[]).map((p) => [String(p.name), p]),
      );
      const cache = await shared.mirror();
      const ops = [];
      for (const dfPool of (df.raw.pools ?? []) as Record<string, unknown>[]) {
        const pool = String(dfPool.name);
        if (!managed.has(pool)) continue;
        const path = pvc.cephPoolKey(pool, "stats");
        const node = cache.get(path);
        if (!node) continue; // not mirrored yet
        const stats = poolStats(dfPool, radosByName.get(pool) ?? {});
        if (node.data !== stats) ops.push({ op: "set" as const, path, data: stats });
      }
      if (ops.length > 0) await shared.commit(ops);
    }

    const loop = (fn: () => Promise<void>, ms: number, set: (t: NodeJS.Timeout | undefined) => void) => {
      const tick = () => {
        const t = setTimeout(() => {
          void fn()
            .catch((err) => ctx.logger.warn({ err }, "ceph pool poll failed; trying again next interval"))
            .finally(() => {
              if (running) tick();
            });
        }, ms);
        t.unref();
        set(t);
      };
      tick();
    };

    const controller = kindController(
      ctx,
      "CephPool",
      reportingCephFailures(ctx, "CephPool", (key) => reconcile(key)),
    );
    // Our own status writes come back as status-only updates: nothing to do for them.
    controller.watchInformer(informer, { updateIf: specOrMetadataChanged });
    // A volume going away may unblock its pool's deletion.
    volumes.on("delete", (v) => {
      const pool = String((v.spec as { pool?: string }).pool ?? "");
      if (informer.get(pool)?.metadata.deletionTimestamp) void controller.enqueue(pool);
    });
    controller.resync(() => informer.list().map((p) => p.metadata.name));
    let unsubscribe: (() => void) | undefined;
    controller.on("started", () => {
      running = true;
      shared.acquire();
      unsubscribe = shared.onPathChange((path) => {
        const prefix = `${pvc.cephPools()}/`;
        for (const base of [prefix, `${pvc.cephVolumes()}/`, `${pvc.cephSnapshots()}/`]) {
          if (!path.startsWith(base)) continue;
          const rest = path.slice(base.length).split("/");
          // /ceph/pools/<p>[/...], and the pool-level parents /ceph/volumes/<p>, /ceph/snapshots/<p>
          if (base === prefix || rest.length === 1) {
            if (informer.get(rest[0])) void controller.enqueue(rest[0]);
          }
        }
      });
      loop(pollDetail, ctx.settings.cephPollIntervalMs, (t) => {
        detailTimer = t;
      });
      loop(refreshStats, Math.max(ctx.settings.cephPollIntervalMs, 5000), (t) => {
        statsTimer = t;
      });
    });
    controller.on("stopped", () => {
      running = false;
      clearTimeout(detailTimer);
      clearTimeout(statsTimer);
      unsubscribe?.();
      shared.release();
    });
    return controller;
  },
};
