/**
 * Phase 2, volumes: the storage template's disks (and images, cloned from their source) as
 * CephVolume objects `<pool>.<vm>_<disk_id>`, owned by the VM (an ownerReference with its uid).
 * The object is written before any rbd call — the CephVolume controller makes the image under its
 * own intent record — so a crash at any point leaves at most an object that the next run finds
 * (ours by uid) and waits on, never a leaked or duplicated image. The phase ends when every
 * volume is Ready and Mirrored (PVC's keys written: the define phase checks them).
 */
import { ErrorCodes, isPvcError } from "../../../src/errors.ts";
import { cephVolumeName } from "../../../src/resources/names.ts";
import type { CephVolume, StorageDisk, VirtualMachine } from "../../../src/resources/specs.ts";
import { MIRRORED } from "../../../src/resources/statuses.ts";
import { API_GROUP_VERSION } from "../../../src/resources/types.ts";
import { getCondition, isTrue } from "../../../src/runtime/conditions.ts";
import type { ControllerContext } from "../../types.ts";
import { ProvisionFailure } from "./phases.ts";
import type { Resolved } from "./resolve.ts";

const GiB = 1024 ** 3;
/** How long the volumes may take to be Ready and Mirrored (image creation on a busy cluster). */
export const VOLUMES_READY_MS = 600_000;

export interface PlannedVolume {
  /** disk_id: sda, vdb… (the guest device). */
  id: string;
  pool: string;
  volume: string;
  /** The storage template's disk (absent for an image cloned from a source volume). */
  disk?: StorageDisk;
  source?: { pool: string; volume: string };
}

/** The VM's volumes, in the storage template's order: disks first, then images. */
export function plannedVolumes(vmName: string, r: Resolved): PlannedVolume[] {
  return [
    ...r.storage.disks.map((disk) => ({
      id: disk.id,
      pool: disk.pool,
      volume: `${vmName}_${disk.id}`,
      disk,
    })),
    ...r.storage.images.map((i) => ({
      id: i.id,
      pool: i.pool,
      volume: `${vmName}_${i.id}`,
      source: { pool: i.pool, volume: i.volume },
    })),
  ];
}

function volumeObject(vm: VirtualMachine, v: PlannedVolume) {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: "CephVolume",
    metadata: {
      name: cephVolumeName(v.pool, v.volume),
      ownerReferences: [
        {
          apiVersion: API_GROUP_VERSION,
          kind: "VirtualMachine",
          name: vm.metadata.name,
          uid: vm.metadata.uid ?? "",
        },
      ],
    },
    spec: v.disk
      ? { pool: v.pool, name: v.volume, size: v.disk.sizeGiB * GiB }
      : { pool: v.pool, name: v.volume, source: v.source },
  };
}

/** Whether a CephVolume names this VM (by uid) among its owners. */
export function ownedBy(volume: CephVolume, vm: VirtualMachine): boolean {
  return (volume.metadata.ownerReferences ?? []).some(
    (r) => r.kind === "VirtualMachine" && r.uid === vm.metadata.uid,
  );
}

/** Creates the volumes that are missing; one that exists must be this VM's. */
export async function createVolumes(
  ctx: ControllerContext,
  vm: VirtualMachine,
  planned: readonly PlannedVolume[],
): Promise<void> {
  for (const v of planned) {
    const name = cephVolumeName(v.pool, v.volume);
    try {
      await ctx.store.create(volumeObject(vm, v));
    } catch (err) {
      if (!isPvcError(err, ErrorCodes.ALREADY_EXISTS)) throw err;
      const existing = await ctx.store.get("CephVolume", name);
      if (!ownedBy(existing, vm))
        throw new ProvisionFailure(`CephVolume ${name} already exists and is not this VM's`);
    }
  }
}

/**
 * Why the volumes are not usable yet ("" once all are Ready, and Mirrored if asked: PVC's keys,
 * which the definition checks); throws if one is Stalled.
 */
export function volumesWaiting(
  ctx: ControllerContext,
  planned: readonly PlannedVolume[],
  mirrored: boolean,
): string {
  const informer = ctx.informer("CephVolume");
  for (const v of planned) {
    const name = cephVolumeName(v.pool, v.volume);
    const obj = informer.get(name);
    if (!obj) return `CephVolume ${name} not seen yet`;
    const stalled = getCondition(obj.status?.conditions, "Stalled");
    if (stalled?.status === "True" && stalled.observedGeneration === obj.metadata.generation)
      throw new ProvisionFailure(`CephVolume ${name} is Stalled: ${stalled.message}`);
    if (!isTrue(obj.status?.conditions, "Ready") || (mirrored && !isTrue(obj.status?.conditions, MIRRORED)))
      return `waiting for CephVolume ${name}`;
  }
  return "";
}
