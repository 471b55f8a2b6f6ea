/**
 * PUT /storage/ceph/volume/<pool>/<volume> name=: the volume rename, as it was in storage.ts.
 * Kept as one function on purpose: this multi-step work belongs to the CephVolume controller
 * (issue 13, item 3), which another branch moves it into; this file then goes.
 *
 * Rename moves the resource and the image together, so that a crash at any point never loses nor
 * duplicates the image, and a repeated PUT resumes where the last one stopped:
 *   1. the old CephVolume is set to deletionPolicy Retain and onExternalDelete report, and we wait
 *      until its controller has seen that (so nothing of it can remove or recreate the image);
 *   2. a new CephVolume `<pool>.<new>` is created with the annotations rename-from=<old> and
 *      image-id=<id>; its controller records a rename intent and runs `rbd rename` (atomic), or
 *      adopts `<new>` if it already carries that image id (a crash after the rename);
 *   3. the old volume's snapshots get new CephSnapshot objects that adopt the renamed snapshots
 *      (rbd rename keeps them); the old snapshot objects are retained-deleted;
 *   4. the old CephVolume is deleted: Retain, so only its mirror keys go.
 * The image exists under exactly one name at every instant (rbd rename), and no step deletes or
 * copies an image.
 */
import {
  ADOPT_ANNOTATION,
  IMAGE_ID_ANNOTATION,
  RENAME_FROM_ANNOTATION,
} from "../../../src/resources/annotations.ts";
import type { CephVolume } from "../../../src/resources/specs.ts";
import { MIRRORED } from "../../../src/resources/statuses.ts";
import { API_GROUP_VERSION } from "../../../src/resources/types.ts";
import { waitForConvergence, waitForDeletion } from "../converge.ts";
import { type FacadeDeps, fail, ok, type Verdict } from "../facade.ts";
import { q } from "./common.ts";

export async function renameVolume(deps: FacadeDeps, given: CephVolume, to: string): Promise<Verdict> {
  let old = given;
  if (!old.status?.imageId && old.status?.createdAt) {
    // Created, its id not read yet (the controller's mirror lane reads it): the rename needs it.
    const seen = await waitForConvergence(deps, old, {
      success: "",
      alsoTrue: [MIRRORED],
    });
    if (seen.ok) old = deps.informer("CephVolume").get(`${old.spec.pool}.${old.spec.name}`) ?? old;
  }
  const { pool, name: from } = old.spec;
  const imageId = old.status?.imageId as string | undefined;
  const target = `${pool}.${to}`;
  const existing = deps.informer("CephVolume").get(target);
  const resuming = existing?.metadata.annotations?.[RENAME_FROM_ANNOTATION] === from;
  if (existing && !resuming) return fail(`ERROR: A volume named ${q(to)} already exists in pool ${q(pool)}.`);
  if (!imageId) return fail(`ERROR: Volume ${q(from)} on pool ${q(pool)} is not ready; not renaming it.`);
  // 1. The old object may no longer remove or recreate the image.
  if (old.spec.deletionPolicy !== "Retain" || old.spec.onExternalDelete !== "report") {
    const patched = await deps.store.patch("CephVolume", old.metadata.name, {
      spec: { deletionPolicy: "Retain", onExternalDelete: "report" },
    });
    const seen = await waitForConvergence(deps, patched, { success: "" });
    if (!seen.ok) return fail(`ERROR: Failed to rename volume ${from} to ${to}: ${seen.message}`);
  }
  // 2. The new object renames (or adopts) the image.
  const created =
    existing ??
    (await deps.store.create({
      apiVersion: API_GROUP_VERSION,
      kind: "CephVolume",
      metadata: {
        name: target,
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
    }));
  const renamed = await waitForConvergence(deps, created, {
    success: "",
    alsoTrue: [MIRRORED],
  });
  if (!renamed.ok)
    return fail(
      `ERROR: Failed to rename volume ${from} to ${to}; check node logs for details. ${renamed.message}`,
    );
  // 3. Snapshots follow the image.
  const snapshots = deps.informer("CephSnapshot").list();
  for (const s of snapshots.filter((x) => x.spec.pool === pool && x.spec.volume === from)) {
    const snapName = `${pool}.${to}@${s.spec.name}`;
    if (!deps.informer("CephSnapshot").get(snapName)) {
      const made = await deps.store.create({
        apiVersion: API_GROUP_VERSION,
        kind: "CephSnapshot",
        metadata: { name: snapName, annotations: { [ADOPT_ANNOTATION]: "true" } },
        spec: { pool, volume: to, name: s.spec.name, deletionPolicy: s.spec.deletionPolicy },
      });
      await waitForConvergence(deps, made, { success: "" });
    }
    await deps.store.patch("CephSnapshot", s.metadata.name, { spec: { deletionPolicy: "Retain" } });
    const d = await deps.store.delete("CephSnapshot", s.metadata.name);
    await waitForDeletion(deps, d, { success: "" });
  }
  // 4. The old object goes; Retain: only its mirror keys.
  const deleted = await deps.store.delete("CephVolume", old.metadata.name);
  const gone = await waitForDeletion(deps, deleted, { success: "" });
  if (!gone.ok) return fail(`ERROR: Renamed, but ${gone.message}`);
  return ok(`Renamed RBD volume ${q(from)} to ${q(to)} on pool ${q(pool)}.`);
}
