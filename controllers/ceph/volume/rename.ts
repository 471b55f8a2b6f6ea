/**
 * The volume rename (PVC's PUT name=), run by the CephVolume controller of the NEW object N
 * (`<pool>.<to>`, annotated rename-from=<from> and image-id=<id>), so that it is one controller's
 * resumable work rather than an HTTP handler's:
 *
 *   1. the old object O (`<pool>.<from>`) is set to deletionPolicy Retain and onExternalDelete
 *      report, and N waits until O's controller has seen that (from then on nothing of O can
 *      remove or recreate the image);
 *   2. the image is renamed (`rbd rename`, atomic), or adopted if it already carries that id (a
 *      crash after the rename) — create.ts and claim.ts, behind an intent; N's keys are written
 *      (Mirrored) while N stays Reconciling `Renaming`;
 *   3. snapshots follow: for each CephSnapshot of O, a CephSnapshot of N adopts the renamed
 *      snapshot (`rbd rename` keeps them); once each has its verdict, O's snapshot objects are
 *      set to Retain and deleted (only their keys go), and N waits until they are gone;
 *   4. N is Ready; then O is deleted (Retain: only its keys go).
 *
 * Every step looks at the world first and does only what is left, so a crash anywhere resumes
 * where it stopped. The image exists under exactly one name at every instant, and no step deletes
 * or copies an image. N's conditions say which step it waits for (Reconciling `Renaming`).
 *
 * O is recognised by the image: before the rename, the object named `<pool>.<from>` that owns
 * (or is creating) an image with the id asked for; after it, the one whose recorded id is the id
 * N now holds. An object of that name made later, for another image, is never touched.
 */
import { type ErrorCode, ErrorCodes } from "../../../src/errors.ts";
import type { CephSnapshot, CephVolume } from "../../../src/resources/specs.ts";
import { API_GROUP_VERSION } from "../../../src/resources/types.ts";
import type { Indexer } from "../../../src/store/indexer.ts";
import type { Informer } from "../../../src/store/informer.ts";
import {
  ADOPT_ANNOTATION,
  IMAGE_ID_ANNOTATION,
  isCode,
  isReadyStatus,
  isStalledStatus,
  RENAME_FROM_ANNOTATION,
} from "../common.ts";
import type { VolumeOps } from "./ops.ts";

export const renameFromOf = (vol: CephVolume): string | undefined =>
  vol.metadata.annotations?.[RENAME_FROM_ANNOTATION];

/** The name of the CephVolume a rename moves from (`<pool>.<from>`), if `vol` is a rename. */
export function oldNameOf(vol: CephVolume): string | undefined {
  const from = renameFromOf(vol);
  return from === undefined ? undefined : `${vol.spec.pool}.${from}`;
}

/** A catch handler that lets `code` pass (the step was already done, e.g. by the facade). */
const ignoring = (code: ErrorCode) => (err: unknown) => {
  if (!isCode(err, code)) throw err;
};

export class RenameSaga {
  readonly #ops: VolumeOps;
  readonly #volumes: Informer<CephVolume>;
  readonly #snapshots: Informer<CephSnapshot>;
  /** Snapshot objects by the CephVolume they are of (`<pool>.<volume>`). */
  readonly #snapshotsOf: Indexer<CephSnapshot, string>;

  constructor(
    ops: VolumeOps,
    volumes: Informer<CephVolume>,
    snapshots: Informer<CephSnapshot>,
    snapshotsOf: Indexer<CephSnapshot, string>,
  ) {
    this.#ops = ops;
    this.#volumes = volumes;
    this.#snapshots = snapshots;
    this.#snapshotsOf = snapshotsOf;
  }

  /**
   * O, if it is still the object of the image: before the rename (`movedId` undefined), one that
   * holds the id asked for or has not read its id yet; after it, one that recorded `movedId`.
   */
  oldObject(vol: CephVolume, movedId?: string): CephVolume | undefined {
    const name = oldNameOf(vol);
    const old = name === undefined ? undefined : this.#volumes.get(name);
    if (!old || old.metadata.uid === vol.metadata.uid) return undefined;
    const recorded = old.status?.imageId;
    const wanted = movedId ?? vol.metadata.annotations?.[IMAGE_ID_ANNOTATION];
    if (recorded !== undefined) return wanted === undefined || recorded === wanted ? old : undefined;
    const making = old.status?.createdAt !== undefined || old.status?.pendingCreate !== undefined;
    return movedId === undefined && making ? old : undefined;
  }

  /**
   * Step 1 (before the rename, and again after it for an image found already renamed); returns
   * what it waits for, or undefined once O can no longer touch the image.
   */
  async retireOld(vol: CephVolume, movedId?: string): Promise<string | undefined> {
    const old = this.oldObject(vol, movedId);
    if (!old) return undefined;
    const name = old.metadata.name;
    if (old.metadata.deletionTimestamp) return `waiting for CephVolume ${name}, being deleted, to be gone`;
    if (old.status?.imageId === undefined) return `waiting for CephVolume ${name} to record its image's id`;
    if (old.spec.deletionPolicy !== "Retain" || old.spec.onExternalDelete !== "report") {
      await this.#ops.ctx.store.patch("CephVolume", name, {
        spec: { deletionPolicy: "Retain", onExternalDelete: "report" },
      });
      return `waiting for CephVolume ${name} to let go of the image (deletionPolicy Retain, onExternalDelete report)`;
    }
    if (old.status?.observedGeneration !== old.metadata.generation)
      return `waiting for CephVolume ${name}'s controller to see deletionPolicy Retain`;
    return undefined;
  }

  /** Steps 1 and 3, once the image is N's (`movedId`): what N waits for, or undefined when done. */
  async afterMove(vol: CephVolume, movedId: string): Promise<string | undefined> {
    return (await this.retireOld(vol, movedId)) ?? (await this.#followSnapshots(vol, movedId));
  }

  /** Step 3: what it waits for, or undefined when done. */
  async #followSnapshots(vol: CephVolume, movedId: string): Promise<string | undefined> {
    const old = this.oldObject(vol, movedId);
    if (!old) return undefined;
    const olds = this.#snapshotsOf
      .get(old.metadata.name)
      .map((n) => this.#snapshots.get(n))
      .filter((s): s is CephSnapshot => s !== undefined);
    if (olds.length === 0) return undefined;
    const unsettled: string[] = [];
    for (const s of olds) {
      const made = await this.#adopter(vol, s);
      if (!made || !(isReadyStatus(made) || isStalledStatus(made))) unsettled.push(this.#newName(vol, s));
    }
    if (unsettled.length > 0)
      return `waiting for CephSnapshot ${unsettled.join(", ")} to adopt the renamed snapshots`;
    for (const s of olds) await this.#retireSnapshot(s);
    return `waiting for the CephSnapshots of ${old.metadata.name} to be gone: ${olds.map((s) => s.metadata.name).join(", ")}`;
  }

  /** Step 4, after N is Ready: O goes (Retain: only its keys). */
  async deleteOld(vol: CephVolume, movedId: string): Promise<void> {
    const old = this.oldObject(vol, movedId);
    if (!old || old.metadata.deletionTimestamp) return;
    await this.#ops.ctx.store.delete("CephVolume", old.metadata.name).catch(ignoring(ErrorCodes.NOT_FOUND));
  }

  #newName(vol: CephVolume, s: CephSnapshot): string {
    return `${vol.metadata.name}@${s.spec.name}`;
  }

  /** N's CephSnapshot for the renamed snapshot `s` (made, adopting it, if there is none yet). */
  async #adopter(vol: CephVolume, s: CephSnapshot): Promise<CephSnapshot | undefined> {
    const name = this.#newName(vol, s);
    const found = this.#snapshots.get(name);
    if (found) return found;
    await this.#ops.ctx.store
      .create({
        apiVersion: API_GROUP_VERSION,
        kind: "CephSnapshot",
        metadata: { name, annotations: { [ADOPT_ANNOTATION]: "true" } },
        spec: {
          pool: vol.spec.pool,
          volume: vol.spec.name,
          name: s.spec.name,
          deletionPolicy: s.spec.deletionPolicy,
        },
      })
      .catch(ignoring(ErrorCodes.ALREADY_EXISTS));
    return undefined;
  }

  /** O's snapshot object goes, leaving the snapshot (now N's) in Ceph. */
  async #retireSnapshot(s: CephSnapshot): Promise<void> {
    const { store } = this.#ops.ctx;
    const name = s.metadata.name;
    if (s.spec.deletionPolicy !== "Retain")
      await store
        .patch("CephSnapshot", name, { spec: { deletionPolicy: "Retain" } })
        .catch(ignoring(ErrorCodes.NOT_FOUND));
    if (!s.metadata.deletionTimestamp)
      await store.delete("CephSnapshot", name).catch(ignoring(ErrorCodes.NOT_FOUND));
  }
}
