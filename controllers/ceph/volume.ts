/**
 * The CephVolume controller: converges one RBD image and PVC's mirror of it
 * (`/ceph/volumes/<pool>/<volume>/stats` = `rbd info --format json`, plus the empty
 * `/ceph/snapshots/<pool>/<volume>` parent).
 *
 * One reconcile: read the object fresh from the store (its status holds the intent record) →
 * wait for the pool → observe (`rbd info`) → create, copy (spec.source) or rename (the facade's
 * rename-from annotation) behind an intent → converge the size (grow; shrink only with
 * allowShrink) → mirror in one multi → Ready with the image id (our proof of ownership).
 *
 * No leaks, no duplicates: `status.pendingCreate = {op, at, uid}` is written before the command
 * runs and replaced by `status.imageId` after it. A reconcile that finds an intent checks Ceph:
 * no image → the command never took effect, run it again; an image created after the intent →
 * ours, record it; an image created before it → someone else's (ImageExists); an interrupted
 * `rbd copy` (the image may be partial) or an unreadable creation time → Stalled
 * CreateOutcomeUnknown, never a guess.
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
import { deletionBlocked, ready, reconciling, stalled } from "../../src/runtime/conditions.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import { writeStatusIfChanged } from "../../src/runtime/status.ts";
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
  nextStatus,
  type PendingCreate,
  RENAME_FROM_ANNOTATION,
  VOLUME_FINALIZER,
  watchSpecChanges,
} from "./common.ts";

type CephVolume = Resource<CephVolumeSpec>;

export interface CephVolumeStatus extends ResourceStatus {
  /** rbd image id of the image this object created or adopted (ownership proof). */
  imageId?: string;
  pendingCreate?: PendingCreate;
  sizeBytes?: number;
  /** `rbd info --format json`, as PVC stores it. */
  stats?: Record<string, unknown>;
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
      if (vol.spec.deletionPolicy === "Delete" && (st.imageId || st.pendingCreate)) {
        const found = await info(pool, image).catch((err) => {
          // The pool itself is gone (deleted with its volumes): nothing left to remove.
          if (isCode(err, ErrorCodes.CEPH_ENOENT)) return null;
          throw err;
        });
        const ours =
          found &&
          (st.imageId
            ? found.id === st.imageId
            : st.pendingCreate?.op === "create" &&
              createdAfterIntent(cephTime(found.raw.create_timestamp), st.pendingCreate.at) === true);
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
      if (st.imageId || st.pendingCreate) await shared.removeTrees(mirrorRoots(pool, image));
      await store.removeFinalizer("CephVolume", vol.metadata.name, VOLUME_FINALIZER);
      return undefined;
    }

    /** Runs a creating command behind an intent; returns the image's info afterwards. */
    async function createBehindIntent(
      vol: CephVolume,
      op: PendingCreate["op"],
      run: () => Promise<void>,
    ): Promise<{ vol: CephVolume; info: RbdImageInfo }> {
      const { pool, name: image } = vol.spec;
      const intent: PendingCreate = { op, at: new Date().toISOString(), uid: vol.metadata.uid ?? "" };
      const verb = { create: "creating", copy: "copying into", rename: "renaming into" }[op as string] ?? op;
      const current = await writeStatus(
        vol,
        nextStatus<CephVolumeStatus>(
          vol,
          { pendingCreate: intent, imageId: undefined },
          reconciling("Creating", `${verb} ${pool}/${image}`, vol.metadata.generation),
        ),
      );
      await hooks.afterIntent?.("CephVolume", vol.metadata.name, intent);
      await run();
      await hooks.afterCreate?.("CephVolume", vol.metadata.name, intent);
      const created = await info(pool, image);
      if (!created) throw new Error(`${pool}/${image} is missing right after rbd ${op} succeeded`);
      // The outcome (imageId, intent cleared) rides on the reconcile's final status write: until
      // then the intent stands, and a crash in between is resolved by checking Ceph as above.
      return { vol: current, info: created };
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
      if (!poolReady && !st.imageId) {
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

      // A fresh object (no intent, no image of ours, nothing to rename or adopt) skips the look:
      // `rbd create` itself fails with EEXIST, changing nothing, if the name is taken.
      const fresh =
        !st.imageId && !st.pendingCreate && !renameFrom && annotations[ADOPT_ANNOTATION] !== "true";
      let current = fresh ? null : await info(pool, image);
      if (!current) {
        let op: PendingCreate["op"] = "create";
        if (st.pendingCreate) {
          op = st.pendingCreate.op; // an interrupted attempt that never took effect: the same again
        } else if (st.imageId) {
          if (spec.onExternalDelete !== "recreate") {
            await stall(
              vol,
              "ImageLost",
              `image ${pool}/${image} (id ${st.imageId}) was deleted outside our control; onExternalDelete is report, so it is not recreated (set it to recreate, or delete this object)`,
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
          current = done.info;
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
            return undefined;
          }
          throw err; // the intent stays; the retry checks Ceph first
        }
        await events.record(
          "cephvolumes",
          name,
          "Normal",
          op === "create" ? "Created" : op === "copy" ? "Cloned" : "Renamed",
          op === "rename"
            ? `Renamed ${pool}/${renameFrom} to ${pool}/${image}`
            : op === "copy"
              ? `Copied ${spec.source?.pool}/${spec.source?.volume} to ${pool}/${image}`
              : `Created ${pool}/${image}`,
        );
      } else if (!st.imageId) {
        // An image exists and we have no record of owning it.
        let ours: boolean | undefined = false;
        if (st.pendingCreate) {
          const intent = st.pendingCreate;
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
            { pendingCreate: undefined },
          );
          return undefined;
        }
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
      await shared.sync(desired, mirrorRoots(pool, image), (p) => p.startsWith(snapsPrefix));

      const observed = {
        imageId: current.id,
        sizeBytes: current.size,
        stats: current.raw,
        pendingCreate: undefined,
      };
      if (sizeProblem) {
        await stall(vol, "ShrinkNotAllowed", sizeProblem, observed);
        return undefined;
      }
      await writeStatus(
        vol,
        nextStatus<CephVolumeStatus>(
          vol,
          observed,
          ready("Converged", `image ${pool}/${image} (id ${current.id}), ${current.size} bytes`, generation),
        ),
      );
      return undefined;
    }

    const controller = kindController(ctx, "CephVolume", (key) => reconcile(key));
    watchSpecChanges(informer, (n) => void controller.enqueue(n));
    // A pool becoming Ready (or changing) wakes the volumes waiting for it.
    const wakePool = (p: Resource) => {
      for (const v of volumes()) {
        if (v.spec.pool === p.metadata.name && !(v.status as CephVolumeStatus | undefined)?.imageId)
          void controller.enqueue(v.metadata.name);
      }
    };
    poolInformer.on("add", wakePool);
    poolInformer.on("update", wakePool);
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
      unsubscribePoll?.();
      unsubscribePath?.();
      lastPrint.clear();
      shared.release();
    });
    return controller;
  },
};
