/**
 * Deleting a CephVolume (behind its finalizer): under deletionPolicy Delete the image is removed
 * if it is ours (the id we recorded; or, before the id was read, an image created after our
 * intent); an image with snapshots, or in use, keeps the finalizer and a DeletionBlocked
 * condition saying why, looked at again each `cephPollIntervalMs`. PVC's keys go only if the
 * image was ours (a foreign image's keys stay).
 */
import { ErrorCodes } from "../../../src/errors.ts";
import type { CephVolume } from "../../../src/resources/specs.ts";
import { deletionBlocked } from "../../../src/runtime/conditions.ts";
import {
  cephTime,
  createdAfterIntent,
  errorMessage,
  isCode,
  isEnoent,
  type ReconcileResult,
  VOLUME_FINALIZER,
} from "../common.ts";
import type { VolumeOps } from "./ops.ts";

export async function finalizeVolume(ops: VolumeOps, vol: CephVolume): Promise<ReconcileResult> {
  const { pool, name: image } = vol.spec;
  const st = vol.status ?? {};
  const owned = st.imageId || st.createdAt || st.pendingCreate;
  if (vol.spec.deletionPolicy === "Delete" && owned) {
    const blocked = await removeImage(ops, vol);
    if (blocked) {
      const { reason, message } = blocked;
      await ops.write(vol, ops.next(vol, {}, deletionBlocked(reason, message, vol.metadata.generation)));
      return { requeueAfter: ops.ctx.settings.cephPollIntervalMs };
    }
  }
  if (owned) await ops.keys.removeTrees(ops.roots(pool, image));
  await ops.ctx.store.removeFinalizer("CephVolume", vol.metadata.name, VOLUME_FINALIZER);
  return undefined;
}

/** Removes the image if it is ours; says why it cannot be removed yet, if so. */
async function removeImage(
  ops: VolumeOps,
  vol: CephVolume,
): Promise<{ reason: string; message: string } | undefined> {
  const { pool, name: image } = vol.spec;
  const st = vol.status ?? {};
  // A missing pool (deleted with its volumes) answers ENOENT too: nothing left to remove.
  const found = await ops.info(pool, image);
  if (!found) return undefined;
  const created = cephTime(found.raw.create_timestamp);
  const ours = st.imageId
    ? found.id === st.imageId
    : st.createdAt
      ? createdAfterIntent(created, st.createdAt) !== false // our create returned success
      : st.pendingCreate?.op === "create" && createdAfterIntent(created, st.pendingCreate.at) === true;
  if (!ours) return undefined;
  try {
    await ops.ctx.ceph.rbdRm(pool, image);
  } catch (err) {
    if (isCode(err, ErrorCodes.CEPH_ENOTEMPTY)) {
      const snaps = (await ops.ctx.ceph.snapLs(pool, image)).map((s) => s.name);
      return {
        reason: "HasSnapshots",
        message: `volume ${pool}/${image} still has snapshots: ${snaps.join(", ")}; delete them first`,
      };
    }
    if (isCode(err, ErrorCodes.CEPH_EBUSY))
      return { reason: "InUse", message: `volume ${pool}/${image} is in use: ${errorMessage(err)}` };
    if (!isEnoent(err)) throw err;
  }
  await ops.ctx.eventsOf(vol).normal("Deleted", `Removed ${pool}/${image}`);
  return undefined;
}
