/**
 * The CephVolume controller: converges one RBD image and PVC's mirror of it
 * (`/ceph/volumes/<pool>/<volume>/stats` = `rbd info --format json`, plus the empty
 * `/ceph/snapshots/<pool>/<volume>` parent).
 *
 * One reconcile: read the object fresh from the store (its status holds the intent record) →
 * wait for the pool → observe (`rbd info`) → create, copy (spec.source) or rename (the facade's
 * rename-from annotation) behind an intent → converge the size (grow; shrink only with
 * allowShrink) → mirror and status in one multi → Ready and Mirrored with the image id.
 *
 * Two conditions, because a volume is usable before PVC's keys say so:
 * - **Ready**: the image exists as specified and is ours. A plain `rbd create` that returned
 *   success proves both (it made exactly the size asked, with PVC's features, after our intent),
 *   so Ready is written right after it, with `status.createdAt` (the intent's time) as the record
 *   of ownership and `sizeBytes`, but no image id and no stats yet.
 * - **Mirrored**: PVC's keys (`/ceph/volumes/<pool>/<volume>` with `stats`, and the snapshots
 *   parent) hold a real `rbd info` of that image, written in one multi with the status that gives
 *   `imageId` and `stats` (never a volume key without its stats, never stats we did not read).
 *   After a create, that `rbd info` runs in the mirror lane (mirror-lane.ts): in the background,
 *   while no reconcile is running or waiting, so that it does not slow the creates down (each rbd
 *   process costs ~35 ms of CPU, mostly librados start-up; a second one per volume in the
 *   reconcile doubled the time to Ready). The lane only reads; its result wakes the reconcile,
 *   which checks it against `createdAt` and writes. Copy, rename, adoption, resize and drift
 *   read `rbd info` inline (they need the size, or the id, before they may say Ready), so they are
 *   Ready and Mirrored at once. The /api/v1 facade waits for both, as PVC v0.6 answered only
 *   after its `rbd info` and ZooKeeper write.
 *
 * No leaks, no duplicates: `status.pendingCreate = {op, at, uid}` is written before the command
 * runs and replaced after it by `status.createdAt` (plain create) or `status.imageId`, and
 * `createdAt` by `imageId` once the image is read. A reconcile that finds an intent checks Ceph:
 * no image → the command never took effect, run it again; an image created after the intent →
 * ours, record it; an image created before it → someone else's (ImageExists); an interrupted
 * `rbd copy` (the image may be partial) or an unreadable creation time → Stalled
 * CreateOutcomeUnknown, never a guess. A `createdAt` counts as ours the same way (finalizers
 * remove such an image too).
 *
 * Drift: the shared poller lists each pool once per `cephPollIntervalMs` (`rbd ls -l`) and wakes
 * the volumes whose image went missing, changed id, size or snapshot count. A missing image is
 * re-created empty (onExternalDelete=recreate) or reported (report); a size changed behind our
 * back is grown back, or reported when going back would shrink without allowShrink.
 */
import type { RbdImageInfo, RbdLsEntry } from "../../src/ceph/types.ts";
import { ErrorCodes } from "../../src/errors.ts";
import type { CephVolumeSpec } from "../../src/resources/specs.ts";
import type { Resource, ResourceStatus } from "../../src/resources/types.ts";
import {
  applyConditions,
  type ConditionInput,
  type ConditionPatch,
  deletionBlocked,
  ready,
  reconciling,
  stalled,
  statusEqual,
} from "../../src/runtime/conditions.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import { specOrMetadataChanged } from "../../src/runtime/predicates.ts";
import { writeStatusIfChanged } from "../../src/runtime/status.ts";
import { type Indexer, indexInformer } from "../../src/store/indexer.ts";
import { kindController } from "../build.ts";
import type { ControllerContext, KindController } from "../types.ts";
import {
  ADOPT_ANNOTATION,
  CephShared,
  cephOf,
  cephTime,
  createdAfterIntent,
  errorMessage,
  fieldsStatus,
  hooksOf,
  IMAGE_ID_ANNOTATION,
  isCode,
  isEnoent,
  isReadyStatus,
  MIRRORED,
  nextStatus,
  type PendingCreate,
  RENAME_FROM_ANNOTATION,
  reportingCephFailures,
  VOLUME_FINALIZER,
} from "./common.ts";
import { MirrorLane } from "./mirror-lane.ts";

type CephVolume = Resource<CephVolumeSpec>;

export interface CephVolumeStatus extends ResourceStatus {
  /** rbd image id of the image this object created or adopted (ownership proof). */
  imageId?: string;
  /**
   * Our `rbd create` returned success for the intent of this time (ISO): the image is ours, its id
   * is not read yet (the mirror lane reads it). Replaced by `imageId`.
   */
  createdAt?: string;
  pendingCreate?: PendingCreate;
  sizeBytes?: number;
  /** `rbd info --format json`, as PVC stores it. */
  stats?: Record<string, unknown>;
}

/** Reads started at once by the mirror lane while the controller is idle (measured: bench/ceph-volumes). */
const LANE_CONCURRENCY = 2;
/** While the controller stays busy, the lane still starts one read per this long. */
const LANE_MAX_YIELD_MS = 2000;

/** The Mirrored condition; `ready()` and friends leave it alone, so it rides along with them. */
function mirrored(
  status: "True" | "False",
  reason: string,
  message: string,
  observedGeneration: number | undefined,
): ConditionInput {
  return { type: MIRRORED, status, reason, message, observedGeneration };
}

function withCondition(patch: ConditionPatch, extra: ConditionInput): ConditionPatch {
  return { ...patch, set: [...patch.set, extra] };
}

/** What the poller compares: id, size and snapshot names of one image in an `rbd ls -l` listing. */
export function imagePrints(entries: RbdLsEntry[]): Map<string, { id: string; size: number; snaps: number }> {
  const out = new Map<string, { id: string; size: number; snaps: number }>();
  for (const e of entries) {
    const cur = out.get(e.image) ?? { id: String(e.raw.id ?? ""), size: 0, snaps: 0 };
    if (e.snapshot === undefined) cur.size = e.size;
    else cur.snaps++;
    out.set(e.image, cur);
  }
  return out;
}

export const cephVolumeController: KindController = {
  kind: "CephVolume",
  finalizers: [VOLUME_FINALIZER],
  create(ctx: ControllerContext): Controller {
    const { store, pvc, events } = ctx;
    const informer = ctx.informer("CephVolume");
    const poolInformer = ctx.informer("CephPool");
    const shared = CephShared.of(ctx);
    const ceph = cephOf(ctx);
    const hooks = hooksOf(ctx);
    const volumes = (): CephVolume[] => informer.list() as unknown as CephVolume[];
    // Indexes kept from the informer (before the controller watches it): wake-ups and the source
    // lookup ask them, not a walk over every volume per event.
    const imageKey = (pool: string, image: string) => `${pool}/${image}`;
    const specOf = (v: Resource) => v.spec as unknown as CephVolumeSpec;
    const byPool = indexInformer(informer, (v) => [specOf(v).pool]);
    const byImage = indexInformer(informer, (v) => [imageKey(specOf(v).pool, specOf(v).name)]);
    const bySource = indexInformer(informer, (v) => {
      const source = specOf(v).source;
      return source ? [imageKey(source.pool, source.volume)] : [];
    });
    const volumesIn = (index: Indexer<Resource, string>, key: string): CephVolume[] =>
      index
        .get(key)
        .sort()
        .flatMap((name) => {
          const v = informer.get(name);
          return v ? [v as unknown as CephVolume] : [];
        });

    const writeStatus = (vol: CephVolume, status: CephVolumeStatus): Promise<CephVolume> =>
      writeStatusIfChanged(store, vol, status);

    const stall = (vol: CephVolume, reason: string, message: string, patch: Partial<CephVolumeStatus> = {}) =>
      writeStatus(
        vol,
        nextStatus<CephVolumeStatus>(vol, patch, stalled(reason, message, vol.metadata.generation)),
      );

    async function info(pool: string, image: string): Promise<RbdImageInfo | null> {
      try {
        return await ceph.rbdInfo(pool, image);
      } catch (err) {
        if (isEnoent(err)) return null;
        throw err;
      }
    }

    const mirrorRoots = (pool: string, image: string) => [
      pvc.cephVolume(pool, image),
      pvc.cephVolumeSnapshots(pool, image),
    ];

    async function finalize(vol: CephVolume): Promise<{ requeueAfter?: number } | undefined> {
      const { pool, name: image } = vol.spec;
      const st = (vol.status ?? {}) as CephVolumeStatus;
      lane.forget(vol.metadata.name);
      const owned = st.imageId || st.createdAt || st.pendingCreate;
      if (vol.spec.deletionPolicy === "Delete" && owned) {
        const found = await info(pool, image).catch((err) => {
          // The pool itself is gone (deleted with its volumes): nothing left to remove.
          if (isCode(err, ErrorCodes.CEPH_ENOENT)) return null;
          throw err;
        });
        const created = found ? cephTime(found.raw.create_timestamp) : Number.NaN;
        const ours =
          found &&
          (st.imageId
            ? found.id === st.imageId
            : st.createdAt
              ? createdAfterIntent(created, st.createdAt) !== false // our create returned success
              : st.pendingCreate?.op === "create" &&
                createdAfterIntent(created, st.pendingCreate.at) === true);
        if (found && ours) {
          try {
            await ceph.rbdRm(pool, image);
          } catch (err) {
            if (isCode(err, ErrorCodes.CEPH_ENOTEMPTY)) {
              const snaps = (await ceph.snapLs(pool, image)).map((s) => s.name);
              await writeStatus(
                vol,
                nextStatus<CephVolumeStatus>(
                  vol,
                  {},
                  deletionBlocked(
                    "HasSnapshots",
                    `volume ${pool}/${image} still has snapshots: ${snaps.join(", ")}; delete them first`,
                    vol.metadata.generation,
                  ),
                ),
              );
              return { requeueAfter: ctx.settings.cephPollIntervalMs };
            }
            if (isCode(err, ErrorCodes.CEPH_EBUSY)) {
              await writeStatus(
                vol,
                nextStatus<CephVolumeStatus>(
                  vol,
                  {},
                  deletionBlocked(
                    "InUse",
                    `volume ${pool}/${image} is in use: ${errorMessage(err)}`,
                    vol.metadata.generation,
                  ),
                ),
              );
              return { requeueAfter: ctx.settings.cephPollIntervalMs };
            }
            if (!isEnoent(err)) throw err;
          }
          await events.record(
            "cephvolumes",
            vol.metadata.name,
            "Normal",
            "Deleted",
            `Removed ${pool}/${image}`,
          );
        }
      }
      // The mirror is ours only if the image was (a foreign image's PVC keys stay).
      if (owned) await shared.removeTrees(mirrorRoots(pool, image));
      await store.removeFinalizer("CephVolume", vol.metadata.name, VOLUME_FINALIZER);
      return undefined;
    }

    /** Runs a creating command behind an intent; returns the object as written and the intent. */
    async function createBehindIntent(
      vol: CephVolume,
      op: PendingCreate["op"],
      run: () => Promise<void>,
    ): Promise<{ vol: CephVolume; intent: PendingCreate }> {
      const { pool, name: image } = vol.spec;
      const intent: PendingCreate = { op, at: new Date().toISOString(), uid: vol.metadata.uid ?? "" };
      const verb = { create: "creating", copy: "copying into", rename: "renaming into" }[op as string] ?? op;
      const current = await writeStatus(
        vol,
        nextStatus<CephVolumeStatus>(
          vol,
          { pendingCreate: intent, imageId: undefined, createdAt: undefined },
          reconciling("Creating", `${verb} ${pool}/${image}`, vol.metadata.generation),
        ),
      );
      await hooks.afterIntent?.("CephVolume", vol.metadata.name, intent);
      await run();
      await hooks.afterCreate?.("CephVolume", vol.metadata.name, intent);
      // The outcome (createdAt or imageId, intent cleared) rides on the reconcile's next status
      // write: until then the intent stands, and a crash in between is resolved by checking Ceph.
      return { vol: current, intent };
    }

    async function reconcile(name: string): Promise<{ requeueAfter?: number } | undefined> {
      let vol = (await store.tryGet("CephVolume", name)) as unknown as CephVolume | null;
      if (!vol) return undefined;
      if (vol.metadata.deletionTimestamp) {
        if (vol.metadata.finalizers?.includes(VOLUME_FINALIZER)) return finalize(vol);
        return undefined;
      }
      const spec = vol.spec;
      const { pool, name: image } = spec;
      const generation = vol.metadata.generation;
      let st = (vol.status ?? {}) as CephVolumeStatus;
      const poolRes = poolInformer.get(pool);
      const poolReady = poolRes && !poolRes.metadata.deletionTimestamp && isReadyStatus(poolRes);
      if (!poolReady && !st.imageId && !st.createdAt) {
        await writeStatus(
          vol,
          nextStatus<CephVolumeStatus>(
            vol,
            {},
            reconciling(
              "WaitingForPool",
              poolRes ? `waiting for CephPool ${pool} to be Ready` : `CephPool ${pool} does not exist`,
              generation,
            ),
          ),
        );
        return undefined; // the pool's informer wakes us
      }
      if (!vol.metadata.finalizers?.includes(VOLUME_FINALIZER)) {
        const updated = (await store.addFinalizer(
          "CephVolume",
          name,
          VOLUME_FINALIZER,
        )) as unknown as CephVolume;
        vol = { ...updated, status: vol.status };
      }
      if (st.pendingCreate && st.pendingCreate.uid !== vol.metadata.uid) {
        st = { ...st, pendingCreate: undefined };
      }
      const annotations = vol.metadata.annotations ?? {};
      const renameFrom = annotations[RENAME_FROM_ANNOTATION];
      const renameId = annotations[IMAGE_ID_ANNOTATION];

      // Created by us, not read yet: the mirror lane's read, if it is done, is the look.
      const createdAt = !st.imageId && !st.pendingCreate ? st.createdAt : undefined;
      let laneRead: RbdImageInfo | null | undefined;
      if (createdAt) {
        const got = lane.take(name, createdAt);
        if (got && !got.ok) {
          await writeStatus(
            vol,
            fieldsStatus<CephVolumeStatus>(vol, {
              conditions: applyConditions(vol.status?.conditions, {
                set: [
                  mirrored(
                    "False",
                    "ReadFailed",
                    `rbd info ${pool}/${image} failed (trying again): ${errorMessage(got.error)}`,
                    generation,
                  ),
                ],
              }).conditions,
            }),
          );
          throw got.error; // logged and retried: the retry asks the lane, whose backoff paces the read
        }
        if (got) laneRead = got.value;
        else if (st.observedGeneration === generation) {
          // Nothing changed since Ready: the read belongs to the lane, not to this reconcile.
          lane.submit(name, createdAt);
          return undefined;
        }
      } else lane.forget(name);

      // A fresh object (no intent, no image of ours, nothing to rename or adopt) skips the look:
      // `rbd create` itself fails with EEXIST, changing nothing, if the name is taken.
      const fresh =
        !st.imageId &&
        !createdAt &&
        !st.pendingCreate &&
        !renameFrom &&
        annotations[ADOPT_ANNOTATION] !== "true";
      let current = fresh ? null : laneRead !== undefined ? laneRead : await info(pool, image);
      if (!current) {
        let op: PendingCreate["op"] = "create";
        if (st.pendingCreate) {
          op = st.pendingCreate.op; // an interrupted attempt that never took effect: the same again
        } else if (st.imageId || createdAt) {
          if (spec.onExternalDelete !== "recreate") {
            const which = st.imageId ? `id ${st.imageId}` : `created ${createdAt}`;
            await stall(
              vol,
              "ImageLost",
              `image ${pool}/${image} (${which}) was deleted outside our control; onExternalDelete is report, so it is not recreated (set it to recreate, or delete this object)`,
            );
            return undefined;
          }
          await events.record(
            "cephvolumes",
            name,
            "Warning",
            "Recreated",
            `Image ${pool}/${image} went missing; creating it again (empty)`,
          );
        } else if (renameFrom) {
          op = "rename";
        } else if (spec.source) {
          op = "copy";
        }
        if (op === "copy" && spec.source) {
          // A source that is one of ours and not yet created (e.g. applied in the same batch):
          // wait for it, woken when it turns Ready, instead of failing the copy on a race.
          const { pool: sourcePool, volume: sourceVolume } = spec.source;
          const source = volumesIn(byImage, imageKey(sourcePool, sourceVolume))[0];
          if (source && (!isReadyStatus(source) || source.metadata.deletionTimestamp)) {
            await writeStatus(
              vol,
              nextStatus<CephVolumeStatus>(
                vol,
                {},
                reconciling(
                  "WaitingForSource",
                  `waiting for CephVolume ${source.metadata.name} (${sourcePool}/${sourceVolume}) to be Ready before copying it`,
                  generation,
                ),
              ),
            );
            return undefined;
          }
        }
        if (op === "rename") {
          const old = await info(pool, renameFrom as string);
          if (!old || (renameId && old.id !== renameId)) {
            await stall(
              vol,
              "RenameSourceMissing",
              old
                ? `image ${pool}/${renameFrom} has id ${old.id}, not ${renameId}: not the image to rename`
                : `neither ${pool}/${image} nor the image to rename, ${pool}/${renameFrom}, exists`,
            );
            return undefined;
          }
        }
        const sizeBytes = spec.size ?? st.sizeBytes;
        let intent: PendingCreate;
        if (op === "create" && sizeBytes === undefined) {
          await stall(
            vol,
            "SizeUnknown",
            `image ${pool}/${image} is missing and no size is known to create it with`,
          );
          return undefined;
        }
        try {
          const done = await createBehindIntent(vol, op, async () => {
            if (op === "rename") await ceph.rbdRename(pool, renameFrom as string, image);
            else if (op === "copy" && spec.source)
              await ceph.rbdCopy(spec.source.pool, spec.source.volume, pool, image, { timeoutMs: 3_600_000 });
            else await ceph.rbdCreate(pool, image, sizeBytes as number);
          });
          vol = done.vol;
          intent = done.intent;
        } catch (err) {
          const reread = (await store.tryGet("CephVolume", name)) as unknown as CephVolume | null;
          if (!reread) return undefined;
          if (isCode(err, ErrorCodes.CEPH_EEXIST)) {
            // Someone made the image between our look and our create: it is not ours.
            await stall(
              { ...reread },
              "ImageExists",
              `image ${pool}/${image} appeared while we were creating it; it is not ours`,
              { pendingCreate: undefined },
            );
            return undefined;
          }
          if (op === "copy" && isEnoent(err)) {
            await stall(
              reread,
              "SourceNotFound",
              `cannot copy ${spec.source?.pool}/${spec.source?.volume}: ${errorMessage(err)}`,
              { pendingCreate: undefined },
            );
            // The image may still appear (made outside, or by a CephVolume applied later).
            return { requeueAfter: ctx.settings.cephPollIntervalMs };
          }
          throw err; // the intent stays; the retry checks Ceph first
        }
        // Events are a record for people: written after the verdict, never holding it up.
        const record = () =>
          void events
            .record(
              "cephvolumes",
              name,
              "Normal",
              op === "create" ? "Created" : op === "copy" ? "Cloned" : "Renamed",
              op === "rename"
                ? `Renamed ${pool}/${renameFrom} to ${pool}/${image}`
                : op === "copy"
                  ? `Copied ${spec.source?.pool}/${spec.source?.volume} to ${pool}/${image}`
                  : `Created ${pool}/${image}`,
            )
            .catch((err) => ctx.logger.warn({ err, volume: name }, "recording an event failed"));
        if (op === "create") {
          // rbd create made exactly this size with PVC's features, after our intent: usable and
          // ours, so Ready now; the id and PVC's keys follow from the mirror lane's rbd info.
          await writeStatus(
            vol,
            nextStatus<CephVolumeStatus>(
              vol,
              {
                createdAt: intent.at,
                pendingCreate: undefined,
                imageId: undefined,
                sizeBytes,
                stats: undefined,
              },
              withCondition(
                ready("Created", `image ${pool}/${image} created, ${sizeBytes} bytes`, generation),
                mirrored(
                  "False",
                  "Pending",
                  `waiting for rbd info of ${pool}/${image} to write PVC's keys`,
                  generation,
                ),
              ),
            ),
          );
          record();
          lane.submit(name, intent.at);
          return undefined;
        }
        record();
        current = await info(pool, image);
        if (!current) throw new Error(`${pool}/${image} is missing right after rbd ${op} succeeded`);
      } else if (!st.imageId) {
        // An image exists and we have no record of owning it, or only our create's (createdAt).
        let ours: boolean | undefined = false;
        const pending: PendingCreate | undefined =
          st.pendingCreate ??
          (createdAt ? { op: "create", at: createdAt, uid: vol.metadata.uid ?? "" } : undefined);
        if (pending) {
          const intent = pending;
          if (intent.op === "rename") ours = !renameId || current.id === renameId;
          else if (intent.op === "copy") {
            await stall(
              vol,
              "CreateOutcomeUnknown",
              `rbd copy into ${pool}/${image} was interrupted (intent of ${intent.at}); the image may be incomplete: remove it (rbd rm ${pool}/${image}) to copy again`,
            );
            return undefined;
          } else ours = createdAfterIntent(cephTime(current.raw.create_timestamp), intent.at);
          if (ours === undefined) {
            await stall(
              vol,
              "CreateOutcomeUnknown",
              `image ${pool}/${image} exists but its creation time (${String(current.raw.create_timestamp)}) cannot be compared with our create intent of ${intent.at}; annotate ${ADOPT_ANNOTATION}=true to take it over`,
            );
            return undefined;
          }
        } else if (renameFrom && renameId && current.id === renameId) ours = true;
        if (!ours && annotations[ADOPT_ANNOTATION] === "true") ours = true;
        if (!ours) {
          await stall(
            vol,
            "ImageExists",
            `image ${pool}/${image} already exists and was not created by this object; annotate ${ADOPT_ANNOTATION}=true to take it over`,
            { pendingCreate: undefined, createdAt: undefined },
          );
          return undefined;
        }
        // A createdAt stays the record until the final write below replaces it with the id.
        if (!createdAt)
          vol = await writeStatus(
            vol,
            fieldsStatus<CephVolumeStatus>(vol, { imageId: current.id, pendingCreate: undefined }),
          );
      } else if (current.id !== st.imageId) {
        await stall(
          vol,
          "ImageReplaced",
          `image ${pool}/${image} now has id ${current.id}, not ${st.imageId}: it was replaced outside our control`,
        );
        return undefined;
      }

      // Size.
      let sizeProblem: string | undefined;
      if (spec.size !== undefined && current.size !== spec.size) {
        const grow = current.size < spec.size;
        if (grow || spec.allowShrink) {
          await ceph.rbdResize(pool, image, spec.size, { allowShrink: !grow });
          const wasReady = st.observedGeneration === generation && st.sizeBytes === spec.size;
          if (wasReady) {
            controller.driftRepaired(name, `size ${current.size}`);
            await events.record(
              "cephvolumes",
              name,
              "Normal",
              "DriftRepaired",
              `Resized ${pool}/${image} back to ${spec.size} bytes (was ${current.size})`,
            );
          } else {
            await events.record(
              "cephvolumes",
              name,
              "Normal",
              "Resized",
              `Resized ${pool}/${image} to ${spec.size} bytes`,
            );
          }
          current = (await info(pool, image)) ?? current;
        } else {
          sizeProblem = `image ${pool}/${image} is ${current.size} bytes, spec.size is ${spec.size}: shrinking loses data, so it is not done without spec.allowShrink`;
        }
      }

      // Mirror, exactly as PVC's add_volume writes it.
      const desired = new Map([
        [pvc.cephVolume(pool, image), ""],
        [pvc.cephVolumeStats(pool, image), JSON.stringify(current.raw)],
        [pvc.cephVolumeSnapshots(pool, image), ""],
      ]);
      const snapsPrefix = `${pvc.cephVolumeSnapshots(pool, image)}/`;
      const observed = {
        imageId: current.id,
        sizeBytes: current.size,
        stats: current.raw,
        pendingCreate: undefined,
        createdAt: undefined,
      };
      const verdict = sizeProblem
        ? stalled("ShrinkNotAllowed", sizeProblem, generation)
        : ready("Converged", `image ${pool}/${image} (id ${current.id}), ${current.size} bytes`, generation);
      const next = nextStatus<CephVolumeStatus>(
        vol,
        observed,
        withCondition(
          verdict,
          mirrored(
            "True",
            "Mirrored",
            `PVC's keys hold rbd info of ${pool}/${image} (id ${current.id})`,
            generation,
          ),
        ),
      );
      // The keys and the status that reports them are one multi: Mirrored is never claimed for
      // keys that were not written.
      const statusOps = statusEqual(vol.status ?? {}, next)
        ? []
        : [store.statusWriteOp("CephVolume", name, next)];
      await shared.sync(desired, mirrorRoots(pool, image), (p) => p.startsWith(snapsPrefix), statusOps);
      return undefined;
    }

    // Reconciles running now: the mirror lane reads only while none runs or waits.
    let active = 0;
    const reconcileReporting = reportingCephFailures(ctx, "CephVolume", (key) => reconcile(key));
    const controller = kindController(ctx, "CephVolume", async (key, run) => {
      active++;
      try {
        return await reconcileReporting(key, run);
      } finally {
        active--;
        // After the queue has taken its next key (if any), so that idle() sees it.
        if (active === 0) setImmediate(() => lane.kick());
      }
    });
    const lane: MirrorLane<RbdImageInfo | null> = new MirrorLane({
      concurrency: LANE_CONCURRENCY,
      maxYieldMs: LANE_MAX_YIELD_MS,
      idle: () => active === 0 && controller.depth === 0,
      read: (key) => {
        const vol = informer.get(key) as unknown as CephVolume | undefined;
        if (!vol) return Promise.reject(new Error(`CephVolume ${key} is not in the informer`));
        return info(vol.spec.pool, vol.spec.name);
      },
      done: (key) => void controller.enqueue(key),
    });
    // Our own status writes come back as status-only updates: nothing to do for them.
    controller.watchInformer(informer, { updateIf: specOrMetadataChanged });
    // A pool becoming Ready (or changing) wakes the volumes waiting for it.
    const wakePool = (p: Resource) => {
      for (const v of volumesIn(byPool, p.metadata.name)) {
        const st = v.status as CephVolumeStatus | undefined;
        if (!st?.imageId && !st?.createdAt) void controller.enqueue(v.metadata.name);
      }
    };
    poolInformer.on("add", wakePool);
    poolInformer.on("update", wakePool);
    // A volume appearing or turning Ready wakes the copies waiting for it as their source.
    const wakeCopies = (v: Resource, old?: Resource) => {
      if (old && (!isReadyStatus(v) || isReadyStatus(old))) return;
      for (const w of volumesIn(bySource, imageKey(specOf(v).pool, specOf(v).name))) {
        const st = w.status as CephVolumeStatus | undefined;
        if (!st?.imageId && !st?.createdAt) void controller.enqueue(w.metadata.name);
      }
    };
    informer.on("add", (v) => wakeCopies(v));
    informer.on("update", wakeCopies);
    controller.resync(() => informer.list().map((v) => v.metadata.name));

    const lastPrint = new Map<string, string>();
    let unsubscribePoll: (() => void) | undefined;
    let unsubscribePath: (() => void) | undefined;
    controller.on("started", () => {
      shared.acquire();
      unsubscribePoll = shared.poll(
        controller,
        () => new Set(volumes().map((v) => v.spec.pool)),
        (pool, entries) => {
          const prints = entries ? imagePrints(entries) : new Map();
          for (const v of volumes()) {
            if (v.spec.pool !== pool || v.metadata.deletionTimestamp) continue;
            const st = (v.status ?? {}) as CephVolumeStatus;
            const seen = prints.get(v.spec.name);
            const print = seen ? `${seen.id}:${seen.size}:${seen.snaps}` : "-";
            const before = lastPrint.get(v.metadata.name);
            lastPrint.set(v.metadata.name, print);
            const drifted =
              st.imageId !== undefined &&
              (!seen ||
                seen.id !== st.imageId ||
                seen.size !== st.sizeBytes ||
                seen.snaps !==
                  Number((st.stats as { snapshot_count?: number } | undefined)?.snapshot_count ?? 0));
            const stalledNow = (st.conditions ?? []).some((c) => c.type === "Stalled" && c.status === "True");
            // The first listing has no baseline: a stalled volume gets one look (its image may
            // have been removed or replaced, as its message asked, before we listed).
            const changed = before === undefined ? stalledNow : before !== print;
            if (changed || (drifted && !(stalledNow && before === print)))
              void controller.enqueue(v.metadata.name);
          }
        },
      );
      unsubscribePath = shared.onPathChange((path) => {
        // /ceph/volumes/<pool>/<volume>[/stats] and the /ceph/snapshots/<pool>/<volume> parent.
        for (const base of [`${pvc.cephVolumes()}/`, `${pvc.cephSnapshots()}/`]) {
          if (!path.startsWith(base)) continue;
          const parts = path.slice(base.length).split("/");
          if (parts.length < 2 || (base !== `${pvc.cephVolumes()}/` && parts.length !== 2)) continue;
          const key = `${parts[0]}.${parts[1]}`;
          if (informer.get(key)) void controller.enqueue(key);
        }
      });
    });
    controller.on("stopped", () => {
      lane.stop();
      unsubscribePoll?.();
      unsubscribePath?.();
      lastPrint.clear();
      shared.release();
    });
    return controller;
  },
};
