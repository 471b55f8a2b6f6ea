/**
 * The CephVolume controller: converges one RBD image and PVC's mirror of it
 * (`/ceph/volumes/<pool>/<volume>/stats` = `rbd info --format json`, plus the empty
 * `/ceph/snapshots/<pool>/<volume>` parent).
 *
 * The story of one reconcile (each step a module of volume/): read the object fresh from the
 * store (its status holds the intent record) → wait for the pool → observe (`rbd info`, or the
 * mirror lane's read) → make a missing image: create, copy (spec.source) or rename (rename-from)
 * behind an intent (create.ts) — or claim the image found (claim.ts) → converge the size
 * (resize.ts: grow; shrink only with allowShrink) → a rename's remaining steps (rename.ts) →
 * mirror and status in one multi (mirror.ts) → Ready and Mirrored with the image id.
 *
 * Two conditions, because a volume is usable before PVC's keys say so:
 * - **Ready**: the image exists as specified and is ours. A plain `rbd create` that returned
 *   success proves both (it made exactly the size asked, with PVC's features, after our intent),
 *   so Ready is written right after it, with `status.createdAt` (the intent's time) as the record
 *   of ownership and `sizeBytes`, but no image id and no stats yet.
 * - **Mirrored**: PVC's keys hold a real `rbd info` of that image, written in one multi with the
 *   status that gives `imageId` and `stats` (never a volume key without its stats, never stats we
 *   did not read). After a create, that `rbd info` runs in the mirror lane (mirror-lane.ts): in the
 *   background, while no reconcile is running or waiting, so that it does not slow the creates
 *   down (each rbd process costs ~35 ms of CPU, mostly librados start-up; a second one per volume
 *   in the reconcile doubled the time to Ready). The lane only reads; its result wakes the
 *   reconcile, which checks it against `createdAt` and writes. Copy, rename, adoption, resize and
 *   drift read `rbd info` inline (they need the size, or the id, before they may say Ready), so
 *   they are Ready and Mirrored at once. The /api/v1 facade waits for both, as PVC v0.6 answered
 *   only after its `rbd info` and ZooKeeper write.
 *
 * No leaks, no duplicates: `status.pendingCreate = {op, at, uid}` is written before the command
 * runs and replaced after it by `status.createdAt` (plain create) or `status.imageId`, and
 * `createdAt` by `imageId` once the image is read. A reconcile that finds an intent checks Ceph
 * (claim.ts). A `createdAt` counts as ours the same way (finalizers remove such an image too).
 *
 * Drift: the shared image poller lists each pool once per `cephPollIntervalMs` (`rbd ls -l`) and
 * wakes the volumes whose image went missing, changed id, size or snapshot count; an out-of-band
 * edit of the volume's keys wakes it through the mirror. A missing image is re-created empty
 * (onExternalDelete=recreate) or reported (report); a size or keys changed behind our back are
 * put back (a size that would shrink without allowShrink is reported), or with driftPolicy
 * Report kept and named in the Drifted condition.
 */
import type { RbdImageInfo } from "../../src/ceph/types.ts";
import type { CephSnapshot, CephVolume } from "../../src/resources/specs.ts";
import type { CephVolumeStatus } from "../../src/resources/statuses.ts";
import { applyConditions, convergedFingerprint, ready } from "../../src/runtime/conditions.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import { convergedBefore } from "../../src/runtime/drift.ts";
import { type Indexer, indexInformer } from "../../src/store/indexer.ts";
import type { Informer } from "../../src/store/informer.ts";
import { kindController } from "../build.ts";
import type { ControllerContext, KindController } from "../types.ts";
import {
  ADOPT_ANNOTATION,
  errorMessage,
  fieldsStatus,
  isMirroredStatus,
  isReadyStatus,
  RENAME_FROM_ANNOTATION,
  type ReconcileResult,
  reportingCephFailures,
  VOLUME_FINALIZER,
} from "./common.ts";
import { CephKeys } from "./keys.ts";
import { MirrorLane } from "./mirror-lane.ts";
import { claimImage } from "./volume/claim.ts";
import { madeImage, makeMissingImage, recordMade } from "./volume/create.ts";
import { finalizeVolume } from "./volume/finalize.ts";
import { keysAsWritten, mirrorAndReport } from "./volume/mirror.ts";
import { mirrored, VolumeOps, withCondition } from "./volume/ops.ts";
import { RenameSaga } from "./volume/rename.ts";
import { convergeSize } from "./volume/resize.ts";
import { VolumeWakes } from "./volume/wakes.ts";

export type { CephVolumeStatus } from "../../src/resources/statuses.ts";
export { imagePrints } from "./volume/wakes.ts";

/** Reads started at once by the mirror lane while the controller is idle (measured: bench/ceph-volumes). */
const LANE_CONCURRENCY = 2;
/** While the controller stays busy, the lane still starts one read per this long. */
const LANE_MAX_YIELD_MS = 2000;

/** The image as this reconcile sees it: read now, or the lane's read (undefined: not looked at). */
type Look = RbdImageInfo | null | undefined;

class CephVolumeReconciler {
  readonly #ctx: ControllerContext;
  readonly #ops: VolumeOps;
  readonly informer: Informer<CephVolume>;
  readonly keys: CephKeys;
  readonly saga: RenameSaga;
  readonly wakes: VolumeWakes;
  /** The lane of `rbd info` reads after creates (set once the Controller exists). */
  lane!: MirrorLane<RbdImageInfo | null>;
  /** Counts a repair (set once the Controller exists). */
  onDriftRepaired: (name: string, what: string) => void = () => undefined;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.informer = ctx.informer("CephVolume");
    this.keys = new CephKeys(ctx);
    this.#ops = new VolumeOps(ctx, this.keys);
    // Indexes kept from the informers (before the controller watches them): wake-ups and lookups
    // ask them, not a walk over every object per event.
    const snapshots: Informer<CephSnapshot> = ctx.informer("CephSnapshot");
    const snapshotsOf: Indexer<CephSnapshot, string> = indexInformer(snapshots, (s) => [
      `${s.spec.pool}.${s.spec.volume}`,
    ]);
    this.wakes = new VolumeWakes(ctx, this.informer);
    this.saga = new RenameSaga(this.#ops, this.informer, snapshots, snapshotsOf);
  }

  /**
   * What a resync of a converged volume would look at: the object and PVC's keys of it (the
   * image itself, as the pool's listing shows it, wakes the volume when it changes: wakes.ts).
   */
  fingerprint(name: string): string | undefined {
    const vol = this.informer.get(name);
    if (!vol) return undefined;
    return convergedFingerprint(
      vol,
      this.keys.mirror.version(this.#ctx.pvc.cephVolume(vol.spec.pool, vol.spec.name)),
    );
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    let vol = await this.#ctx.store.tryGet("CephVolume", name);
    if (!vol) return undefined;
    if (vol.metadata.deletionTimestamp) {
      this.lane.forget(name);
      if (vol.metadata.finalizers?.includes(VOLUME_FINALIZER)) return finalizeVolume(this.#ops, vol);
      return undefined;
    }
    if (!(await this.#poolAllows(vol))) return undefined; // the pool's informer wakes us
    vol = await this.#withFinalizer(vol);
    // Created by us, not read yet: the mirror lane's read, if it is done, is the look.
    const createdAt = !vol.status?.imageId && !vol.status?.pendingCreate ? vol.status?.createdAt : undefined;
    let current: Look;
    if (createdAt) {
      const look = await this.#laneLook(vol, createdAt);
      if (look === "later") return undefined;
      current = look;
    } else {
      this.lane.forget(name);
      if (await this.#settled(vol)) return undefined;
    }
    if (current === undefined && !isFresh(vol, createdAt))
      current = await this.#ops.info(vol.spec.pool, vol.spec.name);
    if (!current) {
      const made = await makeMissingImage(this.#ops, this.#missingDeps, vol, createdAt);
      if (!made.done) return made.result;
      vol = made.vol;
      if (made.op === "create") return this.#created(vol, made.intent.at, made.sizeBytes);
      recordMade(this.#ops, vol, made.op);
      current = await madeImage(this.#ops, vol, made.op);
    } else {
      const claimed = await claimImage(this.#ops, vol, current, createdAt);
      if (!claimed) return undefined;
      vol = claimed;
    }
    await this.#converge(vol, current);
    return undefined;
  }

  /**
   * Converged for this generation, mirrored, no drift kept, the image as the pool's last listing
   * showed it and PVC's keys as written: a resync has nothing to look at. Without this check every
   * resync ran one `rbd info` per volume (3,917 for 400 volumes in one 2,000-resource run), which
   * kept the queue full; changes of the image still wake the volume through the listing, changes
   * of its keys through the mirror, and those reconciles read `rbd info` as before.
   */
  async #settled(vol: CephVolume): Promise<boolean> {
    const st = vol.status;
    const annotations = vol.metadata.annotations ?? {};
    if (!st?.imageId || (st.drift?.length ?? 0) > 0 || st.pendingCreate) return false;
    if (annotations[RENAME_FROM_ANNOTATION] || annotations[ADOPT_ANNOTATION] === "true") return false;
    if (!convergedBefore(vol) || !isMirroredStatus(vol)) return false;
    if (!this.wakes.listedAsStatus(vol)) return false;
    return keysAsWritten(this.#ops, vol);
  }

  readonly #missingDeps = {
    volumeOfImage: (pool: string, volume: string) => this.wakes.volumeOfImage(pool, volume),
    retireOld: (vol: CephVolume) => this.saga.retireOld(vol),
  };

  /** `rbd info` (null: no such image), for the mirror lane. */
  info(vol: CephVolume): Promise<RbdImageInfo | null> {
    return this.#ops.info(vol.spec.pool, vol.spec.name);
  }

  /** Size, a rename's remaining steps, keys and status; then, a rename done, the old object goes. */
  async #converge(vol: CephVolume, found: RbdImageInfo): Promise<void> {
    const repaired = (what: string) => this.onDriftRepaired(vol.metadata.name, what);
    const size = await convergeSize(this.#ops, vol, found, repaired);
    const renaming = vol.metadata.annotations?.[RENAME_FROM_ANNOTATION]
      ? await this.saga.afterMove(vol, size.current.id)
      : undefined;
    const drift = size.drift ? [size.drift] : [];
    await mirrorAndReport(
      this.#ops,
      vol,
      { current: size.current, sizeProblem: size.problem, drift, renaming },
      repaired,
    );
    if (vol.metadata.annotations?.[RENAME_FROM_ANNOTATION] && !renaming && !size.problem)
      await this.saga.deleteOld(vol, size.current.id);
  }

  /** Whether the pool lets the volume act (an image of ours already made needs nothing more of it). */
  async #poolAllows(vol: CephVolume): Promise<boolean> {
    const st = vol.status ?? {};
    if (st.imageId || st.createdAt) return true;
    const { pool } = vol.spec;
    const poolRes = this.#ctx.informer("CephPool").get(pool);
    if (poolRes && !poolRes.metadata.deletionTimestamp && isReadyStatus(poolRes)) return true;
    const message = poolRes ? `waiting for CephPool ${pool} to be Ready` : `CephPool ${pool} does not exist`;
    await this.#ops.waiting(vol, "WaitingForPool", message);
    return false;
  }

  async #withFinalizer(vol: CephVolume): Promise<CephVolume> {
    if (vol.status?.pendingCreate && vol.status.pendingCreate.uid !== vol.metadata.uid)
      vol = { ...vol, status: { ...vol.status, pendingCreate: undefined } };
    if (vol.metadata.finalizers?.includes(VOLUME_FINALIZER)) return vol;
    const updated = await this.#ctx.store.addFinalizer("CephVolume", vol.metadata.name, VOLUME_FINALIZER);
    return { ...updated, status: vol.status };
  }

  /**
   * The lane's read of an image we created, if it is done ("later": nothing changed since Ready,
   * so the read belongs to the lane, which wakes us). A failed read is reported on Mirrored and
   * thrown: the retry asks the lane again, whose backoff paces the read.
   */
  async #laneLook(vol: CephVolume, createdAt: string): Promise<Look | "later"> {
    const name = vol.metadata.name;
    const got = this.lane.take(name, createdAt);
    if (got?.ok) return got.value;
    if (got) {
      const { pool, name: image } = vol.spec;
      const message = `rbd info ${pool}/${image} failed (trying again): ${errorMessage(got.error)}`;
      const failed = mirrored("False", "ReadFailed", message, vol.metadata.generation);
      const conditions = applyConditions(vol.status?.conditions, { set: [failed] }).conditions;
      await this.#ops.write(vol, fieldsStatus<CephVolumeStatus>(vol, { conditions }));
      throw got.error;
    }
    if (vol.status?.observedGeneration !== vol.metadata.generation) return undefined;
    this.lane.submit(name, createdAt);
    return "later";
  }

  /**
   * rbd create made exactly this size with PVC's features, after our intent: usable and ours, so
   * Ready now; the id and PVC's keys follow from the mirror lane's rbd info.
   */
  async #created(vol: CephVolume, at: string, sizeBytes: number | undefined): Promise<undefined> {
    const { pool, name: image } = vol.spec;
    const generation = vol.metadata.generation;
    const conditions = withCondition(
      ready("Created", `image ${pool}/${image} created, ${sizeBytes} bytes`, generation),
      mirrored(
        "False",
        "Pending",
        `waiting for rbd info of ${pool}/${image} to write PVC's keys`,
        generation,
      ),
    );
    const fields = {
      createdAt: at,
      pendingCreate: undefined,
      imageId: undefined,
      sizeBytes,
      stats: undefined,
    };
    await this.#ops.write(vol, this.#ops.next(vol, fields, conditions));
    recordMade(this.#ops, vol, "create");
    this.lane.submit(vol.metadata.name, at);
    return undefined;
  }
}

/**
 * A fresh object (no intent, no image of ours, nothing to rename or adopt) skips the look:
 * `rbd create` itself fails with EEXIST, changing nothing, if the name is taken.
 */
function isFresh(vol: CephVolume, createdAt: string | undefined): boolean {
  const st = vol.status ?? {};
  const annotations = vol.metadata.annotations ?? {};
  return (
    !st.imageId &&
    !createdAt &&
    !st.pendingCreate &&
    !annotations[RENAME_FROM_ANNOTATION] &&
    annotations[ADOPT_ANNOTATION] !== "true"
  );
}

export const cephVolumeController: KindController = {
  kind: "CephVolume",
  finalizers: [VOLUME_FINALIZER],
  create(ctx: ControllerContext): Controller {
    const r = new CephVolumeReconciler(ctx);
    // Reconciles running now: the mirror lane reads only while none runs or waits.
    let active = 0;
    const reconcile = reportingCephFailures(ctx, "CephVolume", (key) => r.reconcile(key));
    const controller = kindController(
      ctx,
      "CephVolume",
      async (key, run) => {
        active++;
        try {
          return await reconcile(key, run);
        } finally {
          active--;
          // After the queue has taken its next key (if any), so that idle() sees it.
          if (active === 0) setImmediate(() => r.lane.kick());
        }
      },
      { fingerprint: (key) => r.fingerprint(key) },
    );
    r.lane = new MirrorLane({
      concurrency: LANE_CONCURRENCY,
      maxYieldMs: LANE_MAX_YIELD_MS,
      idle: () => active === 0 && controller.depth === 0,
      read: (key) => {
        const vol = r.informer.get(key);
        if (!vol) return Promise.reject(new Error(`CephVolume ${key} is not in the informer`));
        return r.info(vol);
      },
      done: (key) => void controller.enqueue(key),
    });
    r.onDriftRepaired = (name, what) => controller.driftRepaired(name, what);
    r.wakes.attach(controller, r.keys, r.lane);
    controller.resync(() => r.informer.names());
    return controller;
  },
};
