/**
 * The CephSnapshot controller: takes one RBD snapshot, once, and mirrors it at
 * `/ceph/snapshots/<pool>/<volume>/<snapshot>` (child `stats`: the `rbd snap ls` entry as JSON).
 *
 * The snapshot is taken behind an intent (`status.pendingCreate`); a reconcile that finds one
 * looks at `rbd snap ls` first: present and taken after the intent → ours; absent → take it.
 * A snapshot removed behind our back is reported (Stalled SnapshotLost), never retaken: a new
 * snapshot would hold different data. The shared poller's `rbd ls -l` (which lists snapshots too)
 * wakes the snapshots that went missing. Deletion (finalizer): `rbd snap rm` under
 * deletionPolicy Delete, then the mirror goes.
 */
import type { RbdSnapshot } from "../../src/ceph/types.ts";
import type { CephSnapshotSpec } from "../../src/resources/specs.ts";
import type { Resource, ResourceStatus } from "../../src/resources/types.ts";
import { ready, reconciling, stalled } from "../../src/runtime/conditions.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import { specOrMetadataChanged } from "../../src/runtime/predicates.ts";
import { writeStatusIfChanged } from "../../src/runtime/status.ts";
import { indexInformer } from "../../src/store/indexer.ts";
import { kindController } from "../build.ts";
import type { ControllerContext, KindController } from "../types.ts";
import {
  ADOPT_ANNOTATION,
  CephShared,
  cephOf,
  cephTime,
  createdAfterIntent,
  fieldsStatus,
  hooksOf,
  isEnoent,
  isMirroredStatus,
  isReadyStatus,
  nextStatus,
  type PendingCreate,
  reportingCephFailures,
  SNAPSHOT_FINALIZER,
} from "./common.ts";

type CephSnapshot = Resource<CephSnapshotSpec>;

export interface CephSnapshotStatus extends ResourceStatus {
  /** rbd snapshot id of the snapshot this object took or adopted. */
  snapId?: number;
  pendingCreate?: PendingCreate;
  stats?: Record<string, unknown>;
}

export const cephSnapshotController: KindController = {
  kind: "CephSnapshot",
  finalizers: [SNAPSHOT_FINALIZER],
  create(ctx: ControllerContext): Controller {
    const { store, pvc, events } = ctx;
    const informer = ctx.informer("CephSnapshot");
    const volumeInformer = ctx.informer("CephVolume");
    const shared = CephShared.of(ctx);
    const ceph = cephOf(ctx);
    const hooks = hooksOf(ctx);
    const snapshots = (): CephSnapshot[] => informer.list() as unknown as CephSnapshot[];
    // Snapshots by the name of the CephVolume they are of (`<pool>.<volume>`), kept from the
    // informer: a volume's change wakes its snapshots without a walk over all of them.
    const byVolume = indexInformer(informer, (s) => {
      const spec = s.spec as unknown as CephSnapshotSpec;
      return [`${spec.pool}.${spec.volume}`];
    });

    const writeStatus = (snap: CephSnapshot, status: CephSnapshotStatus): Promise<CephSnapshot> =>
      writeStatusIfChanged(store, snap, status);
    const stall = (
      snap: CephSnapshot,
      reason: string,
      message: string,
      patch: Partial<CephSnapshotStatus> = {},
    ) =>
      writeStatus(
        snap,
        nextStatus<CephSnapshotStatus>(snap, patch, stalled(reason, message, snap.metadata.generation)),
      );

    async function find(pool: string, volume: string, name: string): Promise<RbdSnapshot | null> {
      try {
        return (await ceph.snapLs(pool, volume)).find((s) => s.name === name) ?? null;
      } catch (err) {
        if (isEnoent(err)) return null;
        throw err;
      }
    }

    async function finalize(snap: CephSnapshot): Promise<undefined> {
      const { pool, volume, name } = snap.spec;
      const st = (snap.status ?? {}) as CephSnapshotStatus;
      if (snap.spec.deletionPolicy === "Delete" && (st.snapId !== undefined || st.pendingCreate)) {
        const found = await find(pool, volume, name);
        const ours =
          found &&
          (st.snapId !== undefined
            ? found.id === st.snapId
            : createdAfterIntent(cephTime(found.timestamp), st.pendingCreate?.at ?? "") === true);
        if (found && ours) {
          await ceph
            .snapRm(pool, volume, name)
            .catch((err) => (isEnoent(err) ? undefined : Promise.reject(err)));
          await events.record(
            "cephsnapshots",
            snap.metadata.name,
            "Normal",
            "Deleted",
            `Removed ${pool}/${volume}@${name}`,
          );
        }
      }
      if (st.snapId !== undefined || st.pendingCreate)
        await shared.removeTrees([pvc.cephSnapshot(pool, volume, name)]);
      await store.removeFinalizer("CephSnapshot", snap.metadata.name, SNAPSHOT_FINALIZER);
      return undefined;
    }

    async function reconcile(key: string): Promise<undefined> {
      let snap = (await store.tryGet("CephSnapshot", key)) as unknown as CephSnapshot | null;
      if (!snap) return undefined;
      if (snap.metadata.deletionTimestamp) {
        if (snap.metadata.finalizers?.includes(SNAPSHOT_FINALIZER)) return finalize(snap);
        return undefined;
      }
      const { pool, volume, name } = snap.spec;
      const generation = snap.metadata.generation;
      let st = (snap.status ?? {}) as CephSnapshotStatus;
      const volRes = volumeInformer.get(`${pool}.${volume}`);
      // Mirrored too: the snapshot's keys go under the volume's `/ceph/snapshots/<pool>/<volume>`,
      // which the volume's mirror writes (a created volume is Ready a moment before).
      if (
        st.snapId === undefined &&
        !(volRes && !volRes.metadata.deletionTimestamp && isReadyStatus(volRes) && isMirroredStatus(volRes))
      ) {
        await writeStatus(
          snap,
          nextStatus<CephSnapshotStatus>(
            snap,
            {},
            reconciling(
              "WaitingForVolume",
              volRes
                ? `waiting for CephVolume ${pool}.${volume} to be Ready and Mirrored`
                : `CephVolume ${pool}.${volume} does not exist`,
              generation,
            ),
          ),
        );
        return undefined;
      }
      if (!snap.metadata.finalizers?.includes(SNAPSHOT_FINALIZER)) {
        const updated = (await store.addFinalizer(
          "CephSnapshot",
          key,
          SNAPSHOT_FINALIZER,
        )) as unknown as CephSnapshot;
        snap = { ...updated, status: snap.status };
      }
      if (st.pendingCreate && st.pendingCreate.uid !== snap.metadata.uid)
        st = { ...st, pendingCreate: undefined };

      let found = await find(pool, volume, name);
      if (!found) {
        if (st.snapId !== undefined) {
          await stall(
            snap,
            "SnapshotLost",
            `snapshot ${pool}/${volume}@${name} (id ${st.snapId}) was removed outside our control; a new one would hold different data, so it is not retaken`,
          );
          return undefined;
        }
        const intent: PendingCreate = {
          op: "snap-create",
          at: new Date().toISOString(),
          uid: snap.metadata.uid ?? "",
        };
        snap = await writeStatus(snap, fieldsStatus<CephSnapshotStatus>(snap, { pendingCreate: intent }));
        await hooks.afterIntent?.("CephSnapshot", key, intent);
        await ceph.snapCreate(pool, volume, name);
        await hooks.afterCreate?.("CephSnapshot", key, intent);
        found = await find(pool, volume, name);
        if (!found)
          throw new Error(`${pool}/${volume}@${name} is missing right after rbd snap create succeeded`);
        await events.record("cephsnapshots", key, "Normal", "Created", `Created ${pool}/${volume}@${name}`);
      } else if (st.snapId === undefined) {
        let ours: boolean | undefined = false;
        if (st.pendingCreate) ours = createdAfterIntent(cephTime(found.timestamp), st.pendingCreate.at);
        if (snap.metadata.annotations?.[ADOPT_ANNOTATION] === "true") ours = true;
        if (ours === undefined) {
          await stall(
            snap,
            "CreateOutcomeUnknown",
            `snapshot ${pool}/${volume}@${name} exists but its time (${found.timestamp}) cannot be compared with our intent of ${st.pendingCreate?.at}; annotate ${ADOPT_ANNOTATION}=true to take it over`,
          );
          return undefined;
        }
        if (!ours) {
          await stall(
            snap,
            "SnapshotExists",
            `snapshot ${pool}/${volume}@${name} already exists and was not taken by this object; annotate ${ADOPT_ANNOTATION}=true to take it over`,
            { pendingCreate: undefined },
          );
          return undefined;
        }
      } else if (found.id !== st.snapId) {
        await stall(
          snap,
          "SnapshotReplaced",
          `snapshot ${pool}/${volume}@${name} now has id ${found.id}, not ${st.snapId}: it was replaced outside our control`,
        );
        return undefined;
      }

      const desired = new Map([
        [pvc.cephSnapshot(pool, volume, name), ""],
        [pvc.cephSnapshotStats(pool, volume, name), JSON.stringify(found.raw)],
      ]);
      await shared.sync(desired, [pvc.cephSnapshot(pool, volume, name)]);
      await writeStatus(
        snap,
        nextStatus<CephSnapshotStatus>(
          snap,
          { snapId: found.id, stats: found.raw, pendingCreate: undefined },
          ready("Converged", `snapshot ${pool}/${volume}@${name} (id ${found.id})`, generation),
        ),
      );
      return undefined;
    }

    const controller = kindController(
      ctx,
      "CephSnapshot",
      reportingCephFailures(ctx, "CephSnapshot", (key) => reconcile(key)),
    );
    // Our own status writes come back as status-only updates: nothing to do for them.
    controller.watchInformer(informer, { updateIf: specOrMetadataChanged });
    // A volume becoming Ready and Mirrored wakes the snapshots waiting for it.
    const wakeVolume = (v: Resource) => {
      for (const name of byVolume.get(v.metadata.name)) {
        const s = informer.get(name);
        if (s && (s.status as CephSnapshotStatus | undefined)?.snapId === undefined)
          void controller.enqueue(name);
      }
    };
    volumeInformer.on("add", wakeVolume);
    volumeInformer.on("update", wakeVolume);
    controller.resync(() => informer.list().map((s) => s.metadata.name));

    let unsubscribePoll: (() => void) | undefined;
    let unsubscribePath: (() => void) | undefined;
    controller.on("started", () => {
      shared.acquire();
      unsubscribePoll = shared.poll(
        controller,
        () => new Set(snapshots().map((s) => s.spec.pool)),
        (pool, entries) => {
          const present = new Set(
            (entries ?? []).filter((e) => e.snapshot !== undefined).map((e) => `${e.image}@${e.snapshot}`),
          );
          for (const s of snapshots()) {
            if (s.spec.pool !== pool || s.metadata.deletionTimestamp) continue;
            const st = (s.status ?? {}) as CephSnapshotStatus;
            const lost = st.snapId !== undefined && !present.has(`${s.spec.volume}@${s.spec.name}`);
            const stalledNow = (st.conditions ?? []).some((c) => c.type === "Stalled" && c.status === "True");
            if (lost && !stalledNow) void controller.enqueue(s.metadata.name);
          }
        },
      );
      unsubscribePath = shared.onPathChange((path) => {
        const base = `${pvc.cephSnapshots()}/`;
        if (!path.startsWith(base)) return;
        const parts = path.slice(base.length).split("/");
        if (parts.length < 3) return;
        const key = `${parts[0]}.${parts[1]}@${parts[2]}`;
        if (informer.get(key)) void controller.enqueue(key);
      });
    });
    controller.on("stopped", () => {
      unsubscribePoll?.();
      unsubscribePath?.();
      shared.release();
    });
    return controller;
  },
};
