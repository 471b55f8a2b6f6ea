/**
 * The CephPool controller: converges a replicated RBD pool and PVC's mirror of it.
 *
 * The story of one reconcile: observe (the object fresh from the store, whose status holds the
 * intent record; `ceph osd pool ls detail`, one call) → claim (a pool of that name is ours only if
 * our intent made it, or adopted) → check placement → create if missing, behind an intent
 * (`status.pendingCreate`) so that a crash mid-create never creates twice nor forgets what it made
 * → converge size, min_size, pg_num (against pg_num_target: `pool get` lags) and the rbd
 * application → mirror `/ceph/pools/<pool>` (`pgs`, `stats`) and the empty parents
 * `/ceph/volumes/<pool>`, `/ceph/snapshots/<pool>` in one multi → report Ready.
 *
 * A poll compares `osd pool ls detail` with every pool each `cephPollIntervalMs` and wakes the
 * pools that drifted (pg count, replication, pool deleted behind our back: reported, never
 * recreated silently, as every volume in it is gone); a slower loop refreshes `stats` (PVC's
 * shape, from `ceph df` + `rados df`) in one multi for all pools. An out-of-band edit of the
 * pool's keys wakes it through the mirror. With `driftPolicy: Report`, settings or keys changed
 * behind our back after the pool converged are kept and named by a Drifted condition instead.
 *
 * Before it creates or changes a pool, it asks CRUSH how many copies the cluster can place apart
 * (placement.ts): a min_size above that is Stalled `Undersized`, naming copies and OSDs, and
 * nothing is done in Ceph (such a pool's placement groups never become active and every command
 * on it hangs); it is looked at again every max(cephPollIntervalMs, 5 s), as OSDs may be added.
 *
 * Deletion runs behind a finalizer (pool-finalize.ts).
 */
import { undersized } from "../../src/ceph/placement.ts";
import type { PoolDetail } from "../../src/ceph/types.ts";
import type { CephPool, CephVolume } from "../../src/resources/specs.ts";
import type { CephPoolStatus, PendingCreate } from "../../src/resources/statuses.ts";
import { type ConditionPatch, ready, stalled } from "../../src/runtime/conditions.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import { drifted, notDrifted, reportsDrift, topmost, withConditions } from "../../src/runtime/drift.ts";
import { specOrMetadataChanged } from "../../src/runtime/predicates.ts";
import { nextStatus, writeStatusIfChanged } from "../../src/runtime/status.ts";
import type { Informer } from "../../src/store/informer.ts";
import { kindController } from "../build.ts";
import type { ControllerContext, KindController } from "../types.ts";
import {
  ADOPT_ANNOTATION,
  createdAfterIntent,
  errorMessage,
  fieldsStatus,
  POOL_FINALIZER,
  type ReconcileResult,
  reportingCephFailures,
} from "./common.ts";
import { CephKeys } from "./keys.ts";
import { finalizePool } from "./pool-finalize.ts";
import { PoolLoops } from "./pool-loops.ts";
import { desiredPoolKeys, poolCreateTime, poolDrift, poolRoots } from "./pool-state.ts";

export type { CephPoolStatus } from "../../src/resources/statuses.ts";
export { poolCreateTime, poolDrift, poolStats } from "./pool-state.ts";

/** Stalled reason of a pool whose min_size the cluster's failure domains cannot meet. */
export const UNDERSIZED = "Undersized";

/** How long a pool the cluster cannot serve (or that Ceph refused to change) waits to be looked at again. */
const retryMs = (ctx: ControllerContext) => Math.max(ctx.settings.cephPollIntervalMs, 5000);

class CephPoolReconciler {
  readonly #ctx: ControllerContext;
  readonly informer: Informer<CephPool>;
  readonly keys: CephKeys;
  /** Counts a repair (set once the Controller exists). */
  onDriftRepaired: (name: string, what: string) => void = () => undefined;

  constructor(ctx: ControllerContext, keys: CephKeys) {
    this.#ctx = ctx;
    this.informer = ctx.informer("CephPool");
    this.keys = keys;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const { store } = this.#ctx;
    let pool = await store.tryGet("CephPool", name);
    if (!pool) return undefined;
    if (pool.metadata.deletionTimestamp) {
      if (pool.metadata.finalizers?.includes(POOL_FINALIZER)) return finalizePool(this.#ctx, this.keys, pool);
      return undefined;
    }
    if (!pool.metadata.finalizers?.includes(POOL_FINALIZER)) {
      const updated = await store.addFinalizer("CephPool", name, POOL_FINALIZER);
      pool = { ...updated, status: pool.status };
    }
    if (pool.status?.pendingCreate && pool.status.pendingCreate.uid !== pool.metadata.uid)
      pool = { ...pool, status: { ...pool.status, pendingCreate: undefined } };
    let d = await this.#detail(name);
    if (d && pool.status?.poolId === undefined) {
      const claimed = await this.#claim(pool, d);
      if (!claimed) return undefined;
      pool = claimed;
    }
    if (await this.#lostOrReplaced(pool, d)) return undefined;
    let drift = d ? poolDrift(pool.spec, d) : [];
    const report = drift.length > 0 && reportsDrift(pool);
    let degraded: string | undefined;
    if (!report && (!d || drift.length > 0)) {
      const short = await this.#placementProblem(pool, d);
      if (short?.refuse) {
        await this.#stall(pool, UNDERSIZED, short.message);
        return { requeueAfter: retryMs(this.#ctx) };
      }
      degraded = short?.message;
    }
    if (!d) {
      ({ pool, d } = await this.#create(pool, degraded));
      drift = poolDrift(pool.spec, d); // e.g. the rbd application, which create does not enable
    }
    if (drift.length > 0 && !report) {
      const refused = await this.#converge(pool, d, drift);
      if (refused) return { requeueAfter: retryMs(this.#ctx) };
    }
    await this.#mirrorAndReport(pool, d, report ? drift : []);
    return undefined;
  }

  async #detail(name: string): Promise<PoolDetail | undefined> {
    return (await this.#ctx.ceph.poolLsDetail()).find((p) => p.name === name);
  }

  #stall(pool: CephPool, reason: string, message: string): Promise<CephPool> {
    const next = nextStatus<CephPoolStatus>(pool, {}, stalled(reason, message, pool.metadata.generation));
    return writeStatusIfChanged(this.#ctx.store, pool, next);
  }

  /** A pool of this name exists and we have no record of it: ours only if our intent made it, or adopted. */
  async #claim(pool: CephPool, d: PoolDetail): Promise<CephPool | undefined> {
    const name = pool.metadata.name;
    const intent = pool.status?.pendingCreate;
    const ours = intent ? createdAfterIntent(poolCreateTime(d), intent.at) : false;
    const adopt = pool.metadata.annotations?.[ADOPT_ANNOTATION] === "true";
    if (ours === undefined && !adopt) {
      await this.#stall(
        pool,
        "CreateOutcomeUnknown",
        `pool ${name} exists but its creation time cannot be compared with our create intent of ${intent?.at}; annotate ${ADOPT_ANNOTATION}=true to take it over`,
      );
      return undefined;
    }
    if (!ours && !adopt) {
      await this.#stall(
        pool,
        "PoolExists",
        `a Ceph pool named ${name} already exists and was not created by this object; annotate ${ADOPT_ANNOTATION}=true to take it over`,
      );
      return undefined;
    }
    const status = fieldsStatus<CephPoolStatus>(pool, { poolId: d.id, pendingCreate: undefined });
    return writeStatusIfChanged(this.#ctx.store, pool, status);
  }

  /** Our pool went away or was replaced behind our back: reported (Stalled), never recreated silently. */
  async #lostOrReplaced(pool: CephPool, d: PoolDetail | undefined): Promise<boolean> {
    const name = pool.metadata.name;
    const poolId = pool.status?.poolId;
    if (poolId === undefined) return false;
    if (!d) {
      await this.#stall(
        pool,
        "PoolLost",
        `pool ${name} (id ${poolId}) was deleted outside our control, with every volume in it; it is not recreated silently: delete and recreate this object to start over`,
      );
      return true;
    }
    if (d.id !== poolId) {
      await this.#stall(
        pool,
        "PoolReplaced",
        `pool ${name} now has id ${d.id}, not ${poolId}: it was deleted and recreated outside our control`,
      );
      return true;
    }
    return false;
  }

  /**
   * Before creating or changing the pool: can the cluster serve it as asked? A min_size above the
   * failure domains gives placement groups that never become active, and every command on the
   * pool (`rbd pool init` first) would hang until killed. Only asked when something is to be
   * done: a converged pool costs no calls.
   */
  async #placementProblem(pool: CephPool, d: PoolDetail | undefined) {
    const { copies, minCopies } = pool.spec.replication;
    const crushRule = typeof d?.raw.crush_rule === "number" ? d.raw.crush_rule : undefined;
    return undersized(pool.metadata.name, copies, minCopies, await this.#ctx.ceph.placement(crushRule));
  }

  /** Creates the pool behind an intent; returns the object as written and the pool's detail. */
  async #create(pool: CephPool, degraded: string | undefined): Promise<{ pool: CephPool; d: PoolDetail }> {
    const { store, ceph } = this.#ctx;
    const name = pool.metadata.name;
    const { spec } = pool;
    const intent: PendingCreate = {
      op: "pool-create",
      at: new Date().toISOString(),
      uid: pool.metadata.uid ?? "",
    };
    pool = await writeStatusIfChanged(
      store,
      pool,
      fieldsStatus<CephPoolStatus>(pool, { pendingCreate: intent }),
    );
    await ceph.poolCreate(name, spec.pgs, {
      size: spec.replication.copies,
      minSize: spec.replication.minCopies,
    });
    const d = await this.#detail(name);
    if (!d) throw new Error(`pool ${name} is missing right after ceph osd pool create succeeded`);
    const recorded = fieldsStatus<CephPoolStatus>(pool, { poolId: d.id, pendingCreate: undefined });
    pool = await writeStatusIfChanged(store, pool, recorded);
    const events = this.#ctx.eventsOf(pool);
    await events.normal("Created", `Created pool ${name} (id ${d.id})`);
    if (degraded) await events.warning(UNDERSIZED, `Pool ${name} ${degraded}`);
    return { pool, d };
  }

  /** Sets what differs from the spec; true when Ceph refused (the pool is then Stalled CephRefused). */
  async #converge(pool: CephPool, d: PoolDetail, drift: string[]): Promise<boolean> {
    const { ceph } = this.#ctx;
    const name = pool.metadata.name;
    const { spec } = pool;
    try {
      if (d.size !== spec.replication.copies)
        await ceph.poolSet(name, "size", spec.replication.copies, { confirm: true });
      if (d.minSize !== spec.replication.minCopies)
        await ceph.poolSet(name, "min_size", spec.replication.minCopies, { confirm: true });
      if (d.pgNumTarget !== spec.pgs) await ceph.poolSet(name, "pg_num", spec.pgs);
      if (!d.applicationMetadata.rbd) await ceph.rbdPoolInit(name);
    } catch (err) {
      await this.#stall(pool, "CephRefused", `converging ${drift.join(", ")}: ${errorMessage(err)}`);
      return true;
    }
    if (pool.status?.observedGeneration === pool.metadata.generation) {
      this.onDriftRepaired(name, drift.join(", "));
      await this.#ctx.eventsOf(pool).normal("DriftRepaired", `Repaired ${drift.join(", ")}`);
    }
    return false;
  }

  /**
   * Writes PVC's keys as `add_pool` does (unless they drifted under driftPolicy Report), then the
   * status: Ready, and Drifted naming what is kept when the policy reports.
   */
  async #mirrorAndReport(pool: CephPool, d: PoolDetail, settingsDrift: string[]): Promise<void> {
    const { pvc, store } = this.#ctx;
    const name = pool.metadata.name;
    const { spec } = pool;
    const cache = await this.keys.ready();
    const roots = poolRoots(pvc, name);
    const { desired, othersOwn } = desiredPoolKeys(
      pvc,
      name,
      spec.pgs,
      cache.get(pvc.cephPoolKey(name, "stats"))?.data,
    );
    let keysDrift: string[] = [];
    if (reportsDrift(pool)) keysDrift = await this.#keysDrift(desired, roots, othersOwn);
    if (keysDrift.length === 0) {
      const changed = await this.keys.sync(desired, roots, othersOwn);
      if (changed.length > 0 && pool.status?.observedGeneration === pool.metadata.generation)
        this.onDriftRepaired(name, changed.join(", "));
    }
    const drift = [...settingsDrift, ...topmost(keysDrift)];
    const listing = this.#ctx.cephImages.listings.get(name);
    const count = listing ? listing.filter((e) => e.snapshot === undefined).length : undefined;
    const verdict = ready(
      "Converged",
      `pool ${name} (id ${d.id}): ${spec.pgs} PGs, ${spec.replication.copies} copies, min ${spec.replication.minCopies}`,
      pool.metadata.generation,
    );
    const conditions: ConditionPatch =
      drift.length > 0
        ? withConditions(verdict, drifted(drift, pool.metadata.generation))
        : notDrifted(verdict);
    const fields = {
      poolId: d.id,
      volumes: count ?? pool.status?.volumes,
      drift: drift.length > 0 ? drift : undefined,
    };
    await writeStatusIfChanged(store, pool, nextStatus<CephPoolStatus>(pool, fields, conditions));
    if (drift.length > 0 && drift.join() !== (pool.status?.drift ?? []).join())
      void this.#ctx
        .eventsOf(pool)
        .warning("DriftDetected", `Changed out of band and kept (driftPolicy Report): ${drift.join(", ")}`);
  }

  /** The pool's keys that differ from what we wrote (only asked under driftPolicy Report). */
  async #keysDrift(
    desired: Map<string, string>,
    roots: string[],
    othersOwn: (p: string) => boolean,
  ): Promise<string[]> {
    const observed = await this.keys.observed(roots);
    const changed: string[] = [];
    for (const [p, v] of desired) if (observed.get(p) !== v) changed.push(p);
    for (const p of observed.keys()) if (!desired.has(p) && !othersOwn(p)) changed.push(p);
    return changed;
  }
}

export const cephPoolController: KindController = {
  kind: "CephPool",
  finalizers: [POOL_FINALIZER],
  create(ctx: ControllerContext): Controller {
    const keys = new CephKeys(ctx);
    const r = new CephPoolReconciler(ctx, keys);
    const controller = kindController(
      ctx,
      "CephPool",
      reportingCephFailures(ctx, "CephPool", (key) => r.reconcile(key)),
    );
    r.onDriftRepaired = (name, what) => controller.driftRepaired(name, what);
    const loops = new PoolLoops(ctx, keys, r.informer);
    // Our own status writes come back as status-only updates: nothing to do for them.
    controller.watchInformer(r.informer, { updateIf: specOrMetadataChanged });
    // A volume going away may unblock its pool's deletion.
    controller.watchInformer<CephVolume>(ctx.informer("CephVolume"), {
      keysFor: (v) => loops.deletingPool(v.spec.pool),
      updateIf: () => false,
    });
    controller.useMirror(keys.mirror, (path) => loops.ownerOfPath(path));
    controller.watch(loops.detailPoll());
    controller.watch(loops.statsRefresh());
    controller.resync(() => r.informer.names());
    return controller;
  },
};
