/**
 * CephVolume, an image exists: is it ours? With the id recorded, it must be that id (else
 * Stalled ImageReplaced). Without one: ours when our intent (or our create's `createdAt`) made it
 * — created after the intent; for a rename, the id asked for — or when the rename already
 * happened (rename-from with the expected id), or when adopted; an interrupted `rbd copy` (the
 * image may be partial) or an unreadable creation time is Stalled CreateOutcomeUnknown, never a
 * guess; anything else is someone else's (Stalled ImageExists).
 */
import type { RbdImageInfo } from "../../../src/ceph/types.ts";
import type { CephVolume } from "../../../src/resources/specs.ts";
import type { CephVolumeStatus, PendingCreate } from "../../../src/resources/statuses.ts";
import {
  ADOPT_ANNOTATION,
  cephTime,
  createdAfterIntent,
  fieldsStatus,
  IMAGE_ID_ANNOTATION,
  RENAME_FROM_ANNOTATION,
} from "../common.ts";
import type { VolumeOps } from "./ops.ts";

/**
 * The object once the image is known to be ours (its id recorded, unless our create's
 * `createdAt` stays the record until the reconcile's final write), or undefined when stalled.
 */
export async function claimImage(
  ops: VolumeOps,
  vol: CephVolume,
  current: RbdImageInfo,
  createdAt: string | undefined,
): Promise<CephVolume | undefined> {
  const { pool, name: image } = vol.spec;
  const st = vol.status ?? {};
  if (st.imageId) {
    if (current.id === st.imageId) return vol;
    await ops.stall(
      vol,
      "ImageReplaced",
      `image ${pool}/${image} now has id ${current.id}, not ${st.imageId}: it was replaced outside our control`,
    );
    return undefined;
  }
  const annotations = vol.metadata.annotations ?? {};
  const pending: PendingCreate | undefined =
    st.pendingCreate ??
    (createdAt ? { op: "create", at: createdAt, uid: vol.metadata.uid ?? "" } : undefined);
  let ours: boolean | undefined = false;
  if (pending) {
    ours = await intentMadeIt(ops, vol, current, pending);
    if (ours === undefined) return undefined;
  } else if (annotations[RENAME_FROM_ANNOTATION] && annotations[IMAGE_ID_ANNOTATION] === current.id)
    ours = true;
  if (!ours && annotations[ADOPT_ANNOTATION] === "true") ours = true;
  if (!ours) {
    await ops.stall(
      vol,
      "ImageExists",
      `image ${pool}/${image} already exists and was not created by this object; annotate ${ADOPT_ANNOTATION}=true to take it over`,
      { pendingCreate: undefined, createdAt: undefined },
    );
    return undefined;
  }
  if (createdAt) return vol;
  return ops.write(
    vol,
    fieldsStatus<CephVolumeStatus>(vol, { imageId: current.id, pendingCreate: undefined }),
  );
}

/** Whether our intent made the image (undefined: it cannot be told, and the volume is Stalled saying so). */
async function intentMadeIt(
  ops: VolumeOps,
  vol: CephVolume,
  current: RbdImageInfo,
  intent: PendingCreate,
): Promise<boolean | undefined> {
  const { pool, name: image } = vol.spec;
  const renameId = vol.metadata.annotations?.[IMAGE_ID_ANNOTATION];
  if (intent.op === "rename") return !renameId || current.id === renameId;
  if (intent.op === "copy") {
    await ops.stall(
      vol,
      "CreateOutcomeUnknown",
      `rbd copy into ${pool}/${image} was interrupted (intent of ${intent.at}); the image may be incomplete: remove it (rbd rm ${pool}/${image}) to copy again`,
    );
    return undefined;
  }
  const ours = createdAfterIntent(cephTime(current.raw.create_timestamp), intent.at);
  if (ours === undefined)
    await ops.stall(
      vol,
      "CreateOutcomeUnknown",
      `image ${pool}/${image} exists but its creation time (${String(current.raw.create_timestamp)}) cannot be compared with our create intent of ${intent.at}; annotate ${ADOPT_ANNOTATION}=true to take it over`,
    );
  return ours;
}
