/**
 * The CephSnapshot controller: takes one RBD snapshot, once, and mirrors it at
 * `/ceph/snapshots/<pool>/<volume>/<snapshot>` (child `stats`: the `rbd snap ls` entry as JSON).
 *
 * The story of one reconcile: observe (the object fresh from the store; its volume from the
 * informer; `rbd snap ls`) → wait for the volume to serve snapshots → take the snapshot behind an
 * intent (`status.pendingCreate`), or claim one found (taken after our intent → ours; adopted;
 * otherwise someone else's) → mirror and report Ready. A snapshot removed behind our back is
 * reported (Stalled SnapshotLost), never retaken: a new snapshot would hold different data. The
 * shared image poller's `rbd ls -l` (which lists snapshots too) wakes the snapshots that went
 * missing; an out-of-band edit of the keys wakes the snapshot through the mirror (repaired, or
 * kept and reported as Drifted under driftPolicy Report). Deletion (finalizer): `rbd snap rm`
 * under deletionPolicy Delete, then the mirror goes.
 */
import type { RbdLsEntry, RbdSnapshot } from "../../src/ceph/types.ts";
import type { CephSnapshot, CephVolume } from "../../src/resources/specs.ts";
import type { CephSnapshotStatus, PendingCreate } from "../../src/resources/statuses.ts";
import { ready, reconciling, stalled } from "../../src/runtime/conditions.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import { drifted, notDrifted, reportsDrift, topmost, withConditions } from "../../src/runtime/drift.ts";
import { specOrMetadataChanged } from "../../src/runtime/predicates.ts";
import { nextStatus, writeStatusIfChanged } from "../../src/runtime/status.ts";
import { type Indexer, indexInformer } from "../../src/store/indexer.ts";
import type { Informer } from "../../src/store/informer.ts";
import { kindController } from "../build.ts";
import type { ControllerContext, KindController } from "../types.ts";
import {
  ADOPT_ANNOTATION,
  cephTime,
  createdAfterIntent,
  fieldsStatus,
  isEnoent,
  isStalledStatus,
  reportingCephFailures,
  SNAPSHOT_FINALIZER,
  servesSnapshots,
} from "./common.ts";
import { CephKeys, cephPathOf } from "./keys.ts";

export type { CephSnapshotStatus } from "../../src/resources/statuses.ts";

/** The name of the CephVolume a snapshot is of (`<pool>.<volume>`). */
const volumeOf = (s: CephSnapshot) => `${s.spec.pool}.${s.spec.volume}`;

class CephSnapshotReconciler {
  readonly #ctx: ControllerContext;
  readonly informer: Informer<CephSnapshot>;
  readonly keys: CephKeys;
  /**
   * Snapshots by the name of the CephVolume they are of, kept from the informer: a volume's
   * change wakes its snapshots without a walk over all of them.
   */
  readonly #byVolume: Indexer<CephSnapshot, string>;
  /** Snapshots by pool: what a pool's listing is checked against, without a walk over all. */
  readonly #byPool: Indexer<CephSnapshot, string>;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.informer = ctx.informer("CephSnapshot");
    this.keys = new CephKeys(ctx);
    this.#byVolume = indexInformer(this.informer, (s) => [volumeOf(s)]);
    this.#byPool = indexInformer(this.informer, (s) => [s.spec.pool]);
  }

  async reconcile(key: string): Promise<undefined> {
    const { store } = this.#ctx;
    let snap = await store.tryGet("CephSnapshot", key);
    if (!snap) return undefined;
    if (snap.metadata.deletionTimestamp) {
      if (snap.metadata.finalizers?.includes(SNAPSHOT_FINALIZER)) await this.#finalize(snap);
      return undefined;
    }
    if (snap.status?.snapId === undefined && !(await this.#volumeServes(snap))) return undefined;
    if (!snap.metadata.finalizers?.includes(SNAPSHOT_FINALIZER)) {
      const updated = await store.addFinalizer("CephSnapshot", key, SNAPSHOT_FINALIZER);
      snap = { ...updated, status: snap.status };
    }
    if (snap.status?.pendingCreate && snap.status.pendingCreate.uid !== snap.metadata.uid)
      snap = { ...snap, status: { ...snap.status, pendingCreate: undefined } };
    const { pool, volume, name } = snap.spec;
    let found = await this.#find(pool, volume, name);
    if (!found) {
      if (snap.status?.snapId !== undefined) {
        await this.#stall(
          snap,
          "SnapshotLost",
          `snapshot ${pool}/${volume}@${name} (id ${snap.status.snapId}) was removed outside our control; a new one would hold different data, so it is not retaken`,
        );
        return undefined;
      }
      ({ snap, found } = await this.#take(snap));
    } else if (!(await this.#isOurs(snap, found))) return undefined;
    await this.#mirrorAndReport(snap, found);
    return undefined;
  }

  /** Whether the snapshot's volume serves snapshots (Ready and Mirrored); says what it waits for if not. */
  async #volumeServes(snap: CephSnapshot): Promise<boolean> {
    const { pool, volume } = snap.spec;
    const vol = this.#ctx.informer("CephVolume").get(volumeOf(snap));
    if (servesSnapshots(vol)) return true;
    const message = vol
      ? `waiting for CephVolume ${pool}.${volume} to be Ready and Mirrored`
      : `CephVolume ${pool}.${volume} does not exist`;
    const next = nextStatus<CephSnapshotStatus>(
      snap,
      {},
      reconciling("WaitingForVolume", message, snap.metadata.generation),
    );
    await writeStatusIfChanged(this.#ctx.store, snap, next);
    return false;
  }

  #stall(snap: CephSnapshot, reason: string, message: string, patch: Partial<CephSnapshotStatus> = {}) {
    const next = nextStatus<CephSnapshotStatus>(
      snap,
      patch,
      stalled(reason, message, snap.metadata.generation),
    );
    return writeStatusIfChanged(this.#ctx.store, snap, next);
  }

  async #find(pool: string, volume: string, name: string): Promise<RbdSnapshot | null> {
    try {
      return (await this.#ctx.ceph.snapLs(pool, volume)).find((s) => s.name === name) ?? null;
    } catch (err) {
      if (isEnoent(err)) return null;
      throw err;
    }
  }

  /** Takes the snapshot behind an intent. */
  async #take(snap: CephSnapshot): Promise<{ snap: CephSnapshot; found: RbdSnapshot }> {
    const { store, ceph } = this.#ctx;
    const { pool, volume, name } = snap.spec;
    const intent: PendingCreate = {
      op: "snap-create",
      at: new Date().toISOString(),
      uid: snap.metadata.uid ?? "",
    };
    snap = await writeStatusIfChanged(
      store,
      snap,
      fieldsStatus<CephSnapshotStatus>(snap, { pendingCreate: intent }),
    );
    await ceph.snapCreate(pool, volume, name);
    const found = await this.#find(pool, volume, name);
    if (!found) throw new Error(`${pool}/${volume}@${name} is missing right after rbd snap create succeeded`);
    await this.#ctx.eventsOf(snap).normal("Created", `Created ${pool}/${volume}@${name}`);
    return { snap, found };
  }

  /** A snapshot of that name exists: whether it is ours (stalling, saying why, when it is not). */
  async #isOurs(snap: CephSnapshot, found: RbdSnapshot): Promise<boolean> {
    const { pool, volume, name } = snap.spec;
    const st = snap.status ?? {};
    if (st.snapId !== undefined) {
      if (found.id === st.snapId) return true;
      await this.#stall(
        snap,
        "SnapshotReplaced",
        `snapshot ${pool}/${volume}@${name} now has id ${found.id}, not ${st.snapId}: it was replaced outside our control`,
      );
      return false;
    }
    let ours: boolean | undefined = false;
    if (st.pendingCreate) ours = createdAfterIntent(cephTime(found.timestamp), st.pendingCreate.at);
    if (snap.metadata.annotations?.[ADOPT_ANNOTATION] === "true") ours = true;
    if (ours === undefined) {
      await this.#stall(
        snap,
        "CreateOutcomeUnknown",
        `snapshot ${pool}/${volume}@${name} exists but its time (${found.timestamp}) cannot be compared with our intent of ${st.pendingCreate?.at}; annotate ${ADOPT_ANNOTATION}=true to take it over`,
      );
      return false;
    }
    if (!ours) {
      await this.#stall(
        snap,
        "SnapshotExists",
        `snapshot ${pool}/${volume}@${name} already exists and was not taken by this object; annotate ${ADOPT_ANNOTATION}=true to take it over`,
        { pendingCreate: undefined },
      );
    }
    return ours;
  }

  /** PVC's keys for the snapshot (kept, and reported, when they drifted under driftPolicy Report), then Ready. */
  async #mirrorAndReport(snap: CephSnapshot, found: RbdSnapshot): Promise<void> {
    const { pvc, store } = this.#ctx;
    const { pool, volume, name } = snap.spec;
    const root = pvc.cephSnapshot(pool, volume, name);
    const desired = new Map([
      [root, ""],
      [pvc.cephSnapshotStats(pool, volume, name), JSON.stringify(found.raw)],
    ]);
    let drift: string[] = [];
    if (reportsDrift(snap)) {
      const observed = await this.keys.observed([root]);
      const differs = [...desired].filter(([p, v]) => observed.get(p) !== v).map(([p]) => p);
      drift = topmost([...differs, ...[...observed.keys()].filter((p) => !desired.has(p))]);
    }
    if (drift.length === 0) await this.keys.sync(desired, [root]);
    const generation = snap.metadata.generation;
    const verdict = ready("Converged", `snapshot ${pool}/${volume}@${name} (id ${found.id})`, generation);
    const conditions =
      drift.length > 0 ? withConditions(verdict, drifted(drift, generation)) : notDrifted(verdict);
    const fields = {
      snapId: found.id,
      stats: found.raw,
      pendingCreate: undefined,
      drift: drift.length > 0 ? drift : undefined,
    };
    await writeStatusIfChanged(store, snap, nextStatus<CephSnapshotStatus>(snap, fields, conditions));
    if (drift.length > 0 && drift.join() !== (snap.status?.drift ?? []).join())
      void this.#ctx
        .eventsOf(snap)
        .warning("DriftDetected", `Changed out of band and kept (driftPolicy Report): ${drift.join(", ")}`);
  }

  async #finalize(snap: CephSnapshot): Promise<void> {
    const { pool, volume, name } = snap.spec;
    const st = snap.status ?? {};
    const owned = st.snapId !== undefined || st.pendingCreate !== undefined;
    if (snap.spec.deletionPolicy === "Delete" && owned) {
      const found = await this.#find(pool, volume, name);
      const ours =
        found &&
        (st.snapId !== undefined
          ? found.id === st.snapId
          : createdAfterIntent(cephTime(found.timestamp), st.pendingCreate?.at ?? "") === true);
      if (found && ours) {
        await this.#ctx.ceph
          .snapRm(pool, volume, name)
          .catch((err) => (isEnoent(err) ? undefined : Promise.reject(err)));
        await this.#ctx.eventsOf(snap).normal("Deleted", `Removed ${pool}/${volume}@${name}`);
      }
    }
    if (owned) await this.keys.removeTrees([this.#ctx.pvc.cephSnapshot(pool, volume, name)]);
    await this.#ctx.store.removeFinalizer("CephSnapshot", snap.metadata.name, SNAPSHOT_FINALIZER);
  }

  /** A volume's change wakes its snapshots still waiting to be taken. */
  waitingOn(volumeName: string): string[] {
    return this.#byVolume
      .get(volumeName)
      .filter((name) => this.informer.get(name)?.status?.snapId === undefined);
  }

  /** `/ceph/snapshots/<pool>/<volume>/<snapshot>[/stats]` wakes that snapshot's object. */
  ownerOfPath(path: string): string[] {
    const where = cephPathOf(this.#ctx.pvc, path);
    if (where?.area !== "snapshots" || where.parts.length < 3) return [];
    const [pool, volume, name] = where.parts;
    const key = `${pool}.${volume}@${name}`;
    return this.informer.get(key) ? [key] : [];
  }

  /** The pools whose listings the poller should bring. */
  pools(): Set<string> {
    return new Set(this.#byPool.keys());
  }

  /** A listing of `pool`: the snapshots of ours that went missing (and are not already reported). */
  lostIn(pool: string, entries: RbdLsEntry[] | null): string[] {
    const present = new Set(
      (entries ?? []).filter((e) => e.snapshot !== undefined).map((e) => `${e.image}@${e.snapshot}`),
    );
    return this.#byPool
      .get(pool)
      .sort()
      .flatMap((name) => this.informer.get(name) ?? [])
      .filter(
        (s) =>
          s.spec.pool === pool &&
          !s.metadata.deletionTimestamp &&
          s.status?.snapId !== undefined &&
          !present.has(`${s.spec.volume}@${s.spec.name}`) &&
          !isStalledStatus(s),
      )
      .map((s) => s.metadata.name);
  }
}

export const cephSnapshotController: KindController = {
  kind: "CephSnapshot",
  finalizers: [SNAPSHOT_FINALIZER],
  create(ctx: ControllerContext): Controller {
    const r = new CephSnapshotReconciler(ctx);
    const controller = kindController(
      ctx,
      "CephSnapshot",
      reportingCephFailures(ctx, "CephSnapshot", (key) => r.reconcile(key)),
    );
    // Our own status writes come back as status-only updates: nothing to do for them.
    controller.watchInformer(r.informer, { updateIf: specOrMetadataChanged });
    // A volume becoming Ready and Mirrored wakes the snapshots waiting for it.
    controller.watchInformer<CephVolume>(ctx.informer("CephVolume"), {
      keysFor: (v) => r.waitingOn(v.metadata.name),
    });
    controller.useMirror(r.keys.mirror, (path) => r.ownerOfPath(path));
    controller.watch((enqueue) =>
      ctx.cephImages.subscribe(
        () => r.pools(),
        (pool, entries) => {
          for (const name of r.lostIn(pool, entries)) enqueue(name);
        },
      ),
    );
    controller.resync(() => r.informer.names());
    return controller;
  },
};
