/**
 * CephVolume's last step: PVC's keys exactly as `add_volume` writes them
 * (`/ceph/volumes/<pool>/<volume>` with `stats` = `rbd info --format json`, and the empty
 * `/ceph/snapshots/<pool>/<volume>` parent), written in one multi with the status that reports
 * them: Mirrored is never claimed for keys that were not written, and converging costs one write.
 *
 * Keys changed behind our back (they differ from what the status says we wrote) are drift: put
 * back (DriftRepaired), or with driftPolicy Report kept and named in the Drifted condition, with
 * any other drift the reconcile found (the size).
 */
import type { RbdImageInfo } from "../../../src/ceph/types.ts";
import type { CephVolume } from "../../../src/resources/specs.ts";
import type { CephVolumeStatus } from "../../../src/resources/statuses.ts";
import {
  type ConditionPatch,
  ready,
  reconciling,
  stalled,
  statusEqual,
} from "../../../src/runtime/conditions.ts";
import {
  convergedBefore,
  drifted,
  listSome,
  notDrifted,
  reportsDrift,
  topmost,
  withConditions,
} from "../../../src/runtime/drift.ts";
import { RENAMING } from "../common.ts";
import { mirrored, type VolumeOps, withCondition } from "./ops.ts";

export interface MirrorPlan {
  /** The image as it now is. */
  current: RbdImageInfo;
  /** Why the size cannot be converged (Stalled ShrinkNotAllowed). */
  sizeProblem?: string;
  /** Drift kept under driftPolicy Report besides the keys (the size). */
  drift: string[];
  /** A rename still moving things over: what it waits for (Reconciling Renaming, not Ready). */
  renaming?: string;
}

/** The keys PVC's add_volume writes for `stats`. */
function volumeKeys(ops: VolumeOps, vol: CephVolume, stats: unknown): Map<string, string> {
  const { pvc } = ops.ctx;
  const { pool, name: image } = vol.spec;
  return new Map([
    [pvc.cephVolume(pool, image), ""],
    [pvc.cephVolumeStats(pool, image), JSON.stringify(stats)],
    [pvc.cephVolumeSnapshots(pool, image), ""],
  ]);
}

/** Keys that differ from what the status says we last wrote (none before the first mirror). */
async function changedBehindOurBack(ops: VolumeOps, vol: CephVolume, keep: (p: string) => boolean) {
  const stats = vol.status?.stats;
  if (stats === undefined) return [];
  const written = volumeKeys(ops, vol, stats);
  const observed = await ops.keys.observed(ops.roots(vol.spec.pool, vol.spec.name));
  const changed = [...written].filter(([p, v]) => observed.get(p) !== v).map(([p]) => p);
  for (const p of observed.keys()) if (!written.has(p) && !keep(p)) changed.push(p);
  return changed;
}

/** Whether PVC's keys of the volume still hold what the status says we wrote (a resync's check). */
export async function keysAsWritten(ops: VolumeOps, vol: CephVolume): Promise<boolean> {
  if (vol.status?.stats === undefined) return false;
  const snapsPrefix = `${ops.ctx.pvc.cephVolumeSnapshots(vol.spec.pool, vol.spec.name)}/`;
  return (await changedBehindOurBack(ops, vol, (path) => path.startsWith(snapsPrefix))).length === 0;
}

function verdictOf(vol: CephVolume, p: MirrorPlan): ConditionPatch {
  const { pool, name: image } = vol.spec;
  const generation = vol.metadata.generation;
  if (p.sizeProblem) return stalled("ShrinkNotAllowed", p.sizeProblem, generation);
  if (p.renaming) return reconciling(RENAMING, p.renaming, generation);
  const { id, size } = p.current;
  return ready("Converged", `image ${pool}/${image} (id ${id}), ${size} bytes`, generation);
}

export async function mirrorAndReport(
  ops: VolumeOps,
  vol: CephVolume,
  p: MirrorPlan,
  onDriftRepaired: (what: string) => void,
): Promise<void> {
  const { pvc, store } = ops.ctx;
  const { pool, name: image } = vol.spec;
  const generation = vol.metadata.generation;
  const snapsPrefix = `${pvc.cephVolumeSnapshots(pool, image)}/`;
  const keep = (path: string) => path.startsWith(snapsPrefix);
  const behind = await changedBehindOurBack(ops, vol, keep);
  const kept = reportsDrift(vol) ? topmost(behind) : [];
  const drift = [...p.drift, ...kept];
  const fields: Partial<CephVolumeStatus> = {
    imageId: p.current.id,
    sizeBytes: p.current.size,
    // Keys kept as changed still hold what we wrote before: the status keeps saying so.
    stats: kept.length > 0 ? vol.status?.stats : p.current.raw,
    pendingCreate: undefined,
    createdAt: undefined,
    drift: drift.length > 0 ? drift : undefined,
  };
  const verdict = verdictOf(vol, p);
  const conditions = withCondition(
    drift.length > 0 ? withConditions(verdict, drifted(drift, generation)) : notDrifted(verdict),
    mirrored(
      "True",
      "Mirrored",
      `PVC's keys hold rbd info of ${pool}/${image} (id ${p.current.id})`,
      generation,
    ),
  );
  const next = ops.next(vol, fields, conditions);
  const statusOps = statusEqual(vol.status ?? {}, next)
    ? []
    : [store.statusWriteOp("CephVolume", vol.metadata.name, next)];
  const events = ops.ctx.eventsOf(vol);
  if (kept.length > 0) await ops.write(vol, next);
  else {
    await ops.keys.sync(volumeKeys(ops, vol, p.current.raw), ops.roots(pool, image), keep, statusOps);
    if (behind.length > 0 && convergedBefore(vol)) {
      onDriftRepaired(listSome(behind));
      void events.normal("DriftRepaired", `Drift repaired on ${listSome(behind)}`);
    }
  }
  if (drift.length > 0 && drift.join() !== (vol.status?.drift ?? []).join())
    void events.warning(
      "DriftDetected",
      `Changed out of band and kept (driftPolicy Report): ${listSome(drift)}`,
    );
}
