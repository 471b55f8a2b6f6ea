/**
 * CephVolume, the image is missing: decide what to run — create, copy (spec.source), rename
 * (rename-from), the same again after an interrupted attempt, or nothing (an image of ours lost
 * under onExternalDelete report) — and run it behind an intent.
 *
 * The intent (`status.pendingCreate = {op, at, uid}`) is written before the command runs; the
 * outcome (createdAt or imageId, intent cleared) rides on the reconcile's next status write, so
 * until then the intent stands and a crash in between is resolved by checking Ceph.
 */
import type { RbdImageInfo } from "../../../src/ceph/types.ts";
import { ErrorCodes } from "../../../src/errors.ts";
import type { CephVolume } from "../../../src/resources/specs.ts";
import type { PendingCreate } from "../../../src/resources/statuses.ts";
import { reconciling } from "../../../src/runtime/conditions.ts";
import {
  errorMessage,
  IMAGE_ID_ANNOTATION,
  isCode,
  isEnoent,
  isReadyStatus,
  RENAME_FROM_ANNOTATION,
  type ReconcileResult,
} from "../common.ts";
import type { VolumeOps } from "./ops.ts";

type Op = PendingCreate["op"];

/** What a reconcile of a volume whose image is missing ends with. */
export type MissingOutcome =
  /** The command ran: `op` made the image, `vol` is the object as written (intent recorded). */
  | { done: true; op: Op; vol: CephVolume; intent: PendingCreate; sizeBytes?: number }
  /** Nothing ran (stalled, or waiting for something that wakes it): the reconcile ends here. */
  | { done: false; result: ReconcileResult };

export interface MissingDeps {
  /** The CephVolume of ours that is the image `pool/volume`, if any (a copy's source). */
  volumeOfImage(pool: string, volume: string): CephVolume | undefined;
  /** The rename's first step (the old object let go of the image); a message while it waits. */
  retireOld(vol: CephVolume): Promise<string | undefined>;
}

const ends = (result?: ReconcileResult): MissingOutcome => ({ done: false, result });

/** Chooses and runs the command that makes the missing image. */
export async function makeMissingImage(
  ops: VolumeOps,
  deps: MissingDeps,
  vol: CephVolume,
  createdAt: string | undefined,
): Promise<MissingOutcome> {
  const op = await chooseOp(ops, vol, createdAt);
  if (op === undefined) return ends();
  if (!(await mayRun(ops, deps, vol, op))) return ends();
  const sizeBytes = vol.spec.size ?? vol.status?.sizeBytes;
  if (op === "create" && sizeBytes === undefined) {
    const { pool, name: image } = vol.spec;
    await ops.stall(
      vol,
      "SizeUnknown",
      `image ${pool}/${image} is missing and no size is known to create it with`,
    );
    return ends();
  }
  try {
    const done = await createBehindIntent(ops, vol, op, sizeBytes);
    return { done: true, op, ...done, sizeBytes };
  } catch (err) {
    return ends(await refused(ops, vol, op, err));
  }
}

/** What to run, or undefined when the loss of an image of ours is only reported (Stalled ImageLost). */
async function chooseOp(
  ops: VolumeOps,
  vol: CephVolume,
  createdAt: string | undefined,
): Promise<Op | undefined> {
  const st = vol.status ?? {};
  const { pool, name: image, source } = vol.spec;
  // An interrupted attempt that never took effect: the same again.
  if (st.pendingCreate) return st.pendingCreate.op;
  if (st.imageId || createdAt) {
    if (vol.spec.onExternalDelete !== "recreate") {
      const which = st.imageId ? `id ${st.imageId}` : `created ${createdAt}`;
      await ops.stall(
        vol,
        "ImageLost",
        `image ${pool}/${image} (${which}) was deleted outside our control; onExternalDelete is report, so it is not recreated (set it to recreate, or delete this object)`,
      );
      return undefined;
    }
    await ops.ctx
      .eventsOf(vol)
      .warning("Recreated", `Image ${pool}/${image} went missing; creating it again (empty)`);
    return "create";
  }
  if (vol.metadata.annotations?.[RENAME_FROM_ANNOTATION]) return "rename";
  return source ? "copy" : "create";
}

/** Whether the command may run now (a copy's source is ready; a rename's source is the image asked for). */
async function mayRun(ops: VolumeOps, deps: MissingDeps, vol: CephVolume, op: Op): Promise<boolean> {
  const { pool, name: image, source } = vol.spec;
  if (op === "copy" && source) {
    // A source that is one of ours and not yet created (e.g. applied in the same batch): wait for
    // it, woken when it turns Ready, instead of failing the copy on a race.
    const of = deps.volumeOfImage(source.pool, source.volume);
    if (of && (!isReadyStatus(of) || of.metadata.deletionTimestamp)) {
      await ops.waiting(
        vol,
        "WaitingForSource",
        `waiting for CephVolume ${of.metadata.name} (${source.pool}/${source.volume}) to be Ready before copying it`,
      );
      return false;
    }
  }
  if (op !== "rename") return true;
  const waitingFor = await deps.retireOld(vol);
  if (waitingFor) {
    await ops.waiting(vol, "Renaming", waitingFor);
    return false;
  }
  const from = vol.metadata.annotations?.[RENAME_FROM_ANNOTATION] ?? "";
  const id = vol.metadata.annotations?.[IMAGE_ID_ANNOTATION];
  const old = await ops.info(pool, from);
  if (old && (!id || old.id === id)) return true;
  await ops.stall(
    vol,
    "RenameSourceMissing",
    old
      ? `image ${pool}/${from} has id ${old.id}, not ${id}: not the image to rename`
      : `neither ${pool}/${image} nor the image to rename, ${pool}/${from}, exists`,
  );
  return false;
}

/** Runs the creating command behind an intent; returns the object as written and the intent. */
async function createBehindIntent(
  ops: VolumeOps,
  vol: CephVolume,
  op: Op,
  sizeBytes: number | undefined,
): Promise<{ vol: CephVolume; intent: PendingCreate }> {
  const { ceph } = ops.ctx;
  const { pool, name: image, source } = vol.spec;
  const intent: PendingCreate = { op, at: new Date().toISOString(), uid: vol.metadata.uid ?? "" };
  const verb = op === "copy" ? "copying into" : op === "rename" ? "renaming into" : "creating";
  const current = await ops.write(
    vol,
    ops.next(
      vol,
      { pendingCreate: intent, imageId: undefined, createdAt: undefined },
      reconciling("Creating", `${verb} ${pool}/${image}`, vol.metadata.generation),
    ),
  );
  if (op === "rename")
    await ceph.rbdRename(pool, vol.metadata.annotations?.[RENAME_FROM_ANNOTATION] ?? "", image);
  else if (op === "copy" && source)
    await ceph.rbdCopy(source.pool, source.volume, pool, image, { timeoutMs: 3_600_000 });
  else await ceph.rbdCreate(pool, image, sizeBytes ?? 0);
  return { vol: current, intent };
}

/** A command that failed: a refusal that needs people is Stalled; anything else is retried (the intent stays). */
async function refused(ops: VolumeOps, vol: CephVolume, op: Op, err: unknown): Promise<ReconcileResult> {
  const reread = await ops.ctx.store.tryGet("CephVolume", vol.metadata.name);
  if (!reread) return undefined;
  const { pool, name: image, source } = vol.spec;
  if (isCode(err, ErrorCodes.CEPH_EEXIST)) {
    // Someone made the image between our look and our create: it is not ours.
    await ops.stall(
      reread,
      "ImageExists",
      `image ${pool}/${image} appeared while we were creating it; it is not ours`,
      {
        pendingCreate: undefined,
      },
    );
    return undefined;
  }
  if (op === "copy" && isEnoent(err)) {
    await ops.stall(
      reread,
      "SourceNotFound",
      `cannot copy ${source?.pool}/${source?.volume}: ${errorMessage(err)}`,
      {
        pendingCreate: undefined,
      },
    );
    // The image may still appear (made outside, or by a CephVolume applied later).
    return { requeueAfter: ops.ctx.settings.cephPollIntervalMs };
  }
  throw err;
}

/** The event that tells people what the command did (after the verdict: never holding it up). */
export function recordMade(ops: VolumeOps, vol: CephVolume, op: Op): void {
  const { pool, name: image, source } = vol.spec;
  const from = vol.metadata.annotations?.[RENAME_FROM_ANNOTATION];
  const events = ops.ctx.eventsOf(vol);
  if (op === "rename") void events.normal("Renamed", `Renamed ${pool}/${from} to ${pool}/${image}`);
  else if (op === "copy")
    void events.normal("Cloned", `Copied ${source?.pool}/${source?.volume} to ${pool}/${image}`);
  else void events.normal("Created", `Created ${pool}/${image}`);
}

/** After a copy or rename, the image as Ceph now has it (it must be there: the command succeeded). */
export async function madeImage(ops: VolumeOps, vol: CephVolume, op: Op): Promise<RbdImageInfo> {
  const { pool, name: image } = vol.spec;
  const current = await ops.info(pool, image);
  if (!current) throw new Error(`${pool}/${image} is missing right after rbd ${op} succeeded`);
  return current;
}
