/**
 * PUT /storage/ceph/volume/<pool>/<volume> name=: the volume rename. The facade writes one
 * resource: a new CephVolume `<pool>.<new>` with the annotations rename-from=<old> and
 * image-id=<id>. Its controller does the multi-step work, each step resumable after a crash
 * (controllers/ceph/volume/rename.ts): the old object to Retain/report, `rbd rename` (or adopt),
 * the snapshots' objects follow, the old object goes. The facade waits for the new object to be
 * Ready and Mirrored and for the old one to be gone, as v0.6 answered only when it was done; a
 * repeated PUT finds the annotated object and waits again.
 */
import { IMAGE_ID_ANNOTATION, RENAME_FROM_ANNOTATION } from "../../../src/resources/annotations.ts";
import type { CephVolume } from "../../../src/resources/specs.ts";
import { MIRRORED } from "../../../src/resources/statuses.ts";
import { API_GROUP_VERSION } from "../../../src/resources/types.ts";
import { waitForConvergence, waitForDeletion } from "../converge.ts";
import { type FacadeDeps, fail, ok, type Verdict } from "../facade.ts";
import { q } from "./common.ts";

/** The volume once its image id is known (a volume just created has it once Mirrored). */
async function withImageId(deps: FacadeDeps, vol: CephVolume): Promise<CephVolume> {
  if (vol.status?.imageId || !vol.status?.createdAt) return vol;
  const seen = await waitForConvergence(deps, vol, { success: "", alsoTrue: [MIRRORED] });
  return seen.ok ? (deps.informer("CephVolume").get(vol.metadata.name) ?? vol) : vol;
}

/** The CephVolume that renames `old`'s image to `to`. */
function renamingVolume(old: CephVolume, to: string, imageId: string) {
  const { pool, name: from } = old.spec;
  return {
    apiVersion: API_GROUP_VERSION,
    kind: "CephVolume",
    metadata: {
      name: `${pool}.${to}`,
      annotations: { [RENAME_FROM_ANNOTATION]: from, [IMAGE_ID_ANNOTATION]: imageId },
    },
    spec: {
      pool,
      name: to,
      size: old.spec.size ?? old.status?.sizeBytes,
      allowShrink: old.spec.allowShrink,
      onExternalDelete: old.spec.onExternalDelete,
      deletionPolicy: old.spec.deletionPolicy,
    },
  };
}

export async function renameVolume(deps: FacadeDeps, given: CephVolume, to: string): Promise<Verdict> {
  const old = await withImageId(deps, given);
  const { pool, name: from } = old.spec;
  const existing = deps.informer("CephVolume").get(`${pool}.${to}`);
  const resuming = existing?.metadata.annotations?.[RENAME_FROM_ANNOTATION] === from;
  if (existing && !resuming) return fail(`ERROR: A volume named ${q(to)} already exists in pool ${q(pool)}.`);
  const imageId = old.status?.imageId;
  if (!imageId) return fail(`ERROR: Volume ${q(from)} on pool ${q(pool)} is not ready; not renaming it.`);
  const created = existing ?? (await deps.store.create(renamingVolume(old, to, imageId)));
  const renamed = await waitForConvergence(deps, created, { success: "", alsoTrue: [MIRRORED] });
  if (!renamed.ok)
    return fail(
      `ERROR: Failed to rename volume ${from} to ${to}; check node logs for details. ${renamed.message}`,
    );
  // The new object's controller removes the old one (Retain: only its mirror keys) once it is Ready.
  const gone = await waitForDeletion(deps, old, { success: "" });
  if (!gone.ok) return fail(`ERROR: Renamed, but ${gone.message}`);
  return ok(`Renamed RBD volume ${q(from)} to ${q(to)} on pool ${q(pool)}.`);
}
