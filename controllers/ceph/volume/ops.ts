/**
 * What every step of the CephVolume controller uses: the context, the mirror of `/ceph`, `rbd
 * info` that answers null for a missing image, status writes (zero writes when nothing changed)
 * and the conditions a volume adds (Mirrored).
 */
import type { RbdImageInfo } from "../../../src/ceph/types.ts";
import type { CephVolume } from "../../../src/resources/specs.ts";
import type { CephVolumeStatus } from "../../../src/resources/statuses.ts";
import {
  type ConditionInput,
  type ConditionPatch,
  reconciling,
  stalled,
} from "../../../src/runtime/conditions.ts";
import { nextStatus, writeStatusIfChanged } from "../../../src/runtime/status.ts";
import type { ControllerContext } from "../../types.ts";
import { isEnoent, MIRRORED } from "../common.ts";
import type { CephKeys } from "../keys.ts";

/** The Mirrored condition; `ready()` and friends leave it alone, so it rides along with them. */
export function mirrored(
  status: "True" | "False",
  reason: string,
  message: string,
  observedGeneration: number | undefined,
): ConditionInput {
  return { type: MIRRORED, status, reason, message, observedGeneration };
}

export function withCondition(patch: ConditionPatch, extra: ConditionInput): ConditionPatch {
  return { ...patch, set: [...patch.set, extra] };
}

export class VolumeOps {
  readonly ctx: ControllerContext;
  readonly keys: CephKeys;

  constructor(ctx: ControllerContext, keys: CephKeys) {
    this.ctx = ctx;
    this.keys = keys;
  }

  /** `rbd info`, or null when the image (or its pool) does not exist. */
  async info(pool: string, image: string): Promise<RbdImageInfo | null> {
    try {
      return await this.ctx.ceph.rbdInfo(pool, image);
    } catch (err) {
      if (isEnoent(err)) return null;
      throw err;
    }
  }

  /** The subtrees of PVC's keys a volume owns (the snapshots' own keys below are theirs). */
  roots(pool: string, image: string): string[] {
    return [this.ctx.pvc.cephVolume(pool, image), this.ctx.pvc.cephVolumeSnapshots(pool, image)];
  }

  write(vol: CephVolume, status: CephVolumeStatus): Promise<CephVolume> {
    return writeStatusIfChanged(this.ctx.store, vol, status);
  }

  /** The status after this reconcile: previous fields, `patch`, and the conditions. */
  next(vol: CephVolume, patch: Partial<CephVolumeStatus>, conditions: ConditionPatch): CephVolumeStatus {
    return nextStatus<CephVolumeStatus>(vol, patch, conditions);
  }

  stall(
    vol: CephVolume,
    reason: string,
    message: string,
    patch: Partial<CephVolumeStatus> = {},
  ): Promise<CephVolume> {
    return this.write(vol, this.next(vol, patch, stalled(reason, message, vol.metadata.generation)));
  }

  /** Work in progress that waits for something else (woken when it changes). */
  waiting(vol: CephVolume, reason: string, message: string): Promise<CephVolume> {
    return this.write(vol, this.next(vol, {}, reconciling(reason, message, vol.metadata.generation)));
  }
}
