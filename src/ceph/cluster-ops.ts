/**
 * The imperative Ceph cluster operations of PVC's manual that are not resources (there is no OSD
 * or flag kind): cluster flags set/unset, OSD in/out, OSD add/remove, the cluster's pool
 * defaults, and a VM's RBD locks (listed and flushed: locks.ts says why here). The /api/v1 storage facade gets one of these (FacadeDeps.cephOps): it validates the
 * request, calls an operation and shapes PVC's answer from the typed outcome; it runs no command
 * and knows no key. The implementation is controllers/ceph/cluster-ops.ts (it runs the commands
 * and refreshes the CephCluster mirror after a change, so the answer and a GET right after agree).
 */
import type { VolumeLocks } from "./locks.ts";
import type { OsdFlag } from "./names.ts";
import type { PoolDefaults } from "./types.ts";

/** How an operation went: ok, or why not (Ceph's own reason, one line). */
export type OpOutcome = { ok: true } | { ok: false; why: string };

/**
 * How an OSD add or remove went. `ran: false`: a pre-flight found `command` cannot run here and
 * nothing was run; `ran: true`: `command` was run and failed (the steps before it ran).
 */
export type OsdOutcome =
  | { ok: true; id?: string }
  | { ok: false; ran: boolean; command: string; why: string };

export interface CephClusterOps {
  /** The replication the mon gives a pool nobody sized, or undefined when it cannot be read. */
  poolDefaults(): Promise<PoolDefaults | undefined>;
  /** `ceph osd set|unset <flag>`. */
  setFlag(flag: OsdFlag, on: boolean): Promise<OpOutcome>;
  /** `ceph osd in|out <id>`. */
  setOsdIn(id: number, on: boolean): Promise<OpOutcome>;
  /** PVC's add_osd on `device` of `node`, with a CRUSH weight; the OSD's keys are written after. */
  addOsd(node: string, device: string, weight: number): Promise<OsdOutcome>;
  /** PVC's remove_osd of OSD `id` (its node and device read from its keys); its keys go after. */
  removeOsd(id: string): Promise<OsdOutcome>;
  /** `rbd lock ls` of each volume (`pool/volume`): a VM's locks (/vm/<vm>/locks). */
  volumeLocks(
    volumes: readonly string[],
  ): Promise<{ ok: true; locks: VolumeLocks[] } | { ok: false; why: string }>;
  /** Removes every lock of each volume (`rbd lock ls`, then `rbd lock rm` per lock): PVC's flush_locks. */
  flushLocks(volumes: readonly string[]): Promise<OpOutcome>;
}
