/**
 * TypeScript shapes of each kind's `status`, as its controller writes it. The kind's controller is
 * the only writer; facades and `pvcctl` read them. Every status has `observedGeneration` and the
 * standard conditions (types.ts); the fields here are what a kind adds.
 */
import type { ResourceStatus } from "./types.ts";

/** A dynamic DHCP lease, as dnsmasq wrote it under `/networks/<vni>/dhcp4_leases/<mac>`. */
export interface NetworkLease {
  mac: string;
  ip: string;
  hostname: string;
  expiry: string;
  clientId: string;
}

export interface NetworkStatus extends ResourceStatus {
  /** The vni whose keys this resource owns now (it differs from spec.vni while moving). */
  vni?: number;
  dhcpLeases?: NetworkLease[];
  /** Spec fields PVC ignores on a bridged network. */
  ignoredFields?: string[];
  /** With driftPolicy Report: the owned keys changed out of band and kept (subtrees by their root). */
  drift?: string[];
}

/**
 * CephVolume's second condition: True when PVC's keys for the image (`/ceph/volumes/<pool>/<volume>`
 * with `stats` from `rbd info`, and the `/ceph/snapshots/<pool>/<volume>` parent) are written for
 * the image the status names. A created volume is Ready (usable) before that (controllers/ceph/volume.ts);
 * the storage facade waits for it too, as v0.6 answered only after writing those keys.
 */
export const MIRRORED = "Mirrored";

/**
 * The Ceph kinds' intent record ("no leaks, no duplicates"): written before a Ceph side effect
 * that creates something, replaced by its outcome (the Ceph object's id) afterwards. A reconcile
 * that finds one checks Ceph before acting again (controllers/ceph/common.ts).
 */
export interface PendingCreate {
  op: "create" | "copy" | "rename" | "snap-create" | "pool-create";
  /** ISO time the intent was recorded (before the command ran). */
  at: string;
  /** metadata.uid of the object that recorded it: an intent of a former incarnation is void. */
  uid: string;
}

export interface CephPoolStatus extends ResourceStatus {
  /** The Ceph pool id this object created or adopted (ownership proof). */
  poolId?: number;
  pendingCreate?: PendingCreate;
  /** RBD images found in the pool at the last listing. */
  volumes?: number;
  /** With driftPolicy Report: the settings or keys changed out of band and kept. */
  drift?: string[];
}

export interface CephVolumeStatus extends ResourceStatus {
  /** rbd image id of the image this object created or adopted (ownership proof). */
  imageId?: string;
  /**
   * Our `rbd create` returned success for the intent of this time (ISO): the image is ours, its id
   * is not read yet (the mirror lane reads it). Replaced by `imageId`.
   */
  createdAt?: string;
  pendingCreate?: PendingCreate;
  sizeBytes?: number;
  /** `rbd info --format json`, as PVC stores it. */
  stats?: Record<string, unknown>;
  /** With driftPolicy Report: the size or PVC keys changed out of band and kept. */
  drift?: string[];
}

export interface CephSnapshotStatus extends ResourceStatus {
  /** rbd snapshot id of the snapshot this object took or adopted. */
  snapId?: number;
  pendingCreate?: PendingCreate;
  stats?: Record<string, unknown>;
  /** With driftPolicy Report: the PVC keys changed out of band and kept. */
  drift?: string[];
}

/** A Node's memory figures, MiB, as the node daemon reports them (memtotal, memfree, memused, memalloc). */
export interface NodeMemory {
  totalMiB: number;
  freeMiB: number;
  usedMiB: number;
  allocatedMiB: number;
}

/**
 * The last request (spec.coordinatorState / spec.domainState) the Node controller carried out: the
 * generation it came with, what it asked, and whether the node got there. A request is acted on
 * once per generation; what the cluster does afterwards is observed, never undone.
 */
export interface NodeRequest {
  generation: number;
  coordinatorState?: "primary" | "secondary";
  domainState?: "ready" | "flush";
  /** The node reached what was asked (or someone else changed it meanwhile). */
  done: boolean;
}

/** What a Node's controller observes under `/nodes/<name>` (written by the node daemon only). */
export interface NodeFigures {
  daemonMode?: string;
  daemonState?: string;
  /** routerstate: primary secondary client takeover relinquish. */
  coordinatorState?: string;
  /** ready flush flushed unflush. */
  domainState?: string;
  cpuCount?: number;
  kernel?: string;
  os?: string;
  arch?: string;
  memory?: NodeMemory;
  vcpuAllocated?: number;
  cpuLoad?: number;
  networksCount?: number;
  domainsCount?: number;
  runningDomains?: string[];
  /** Epoch seconds of the node's last keepalive (its age is now minus this: older than 30 s is dead). */
  keepalive?: number;
}

export interface NodeStatus extends ResourceStatus, NodeFigures {
  lastRequest?: NodeRequest;
}

/** The VirtualMachine's second condition: True while its node runs it (state start, listed in runningdomains). */
export const RUNNING = "Running";

/**
 * What a VirtualMachine's spec asked for the last time the controller carried it out, written with
 * the PVC keys that carried it out (one transaction): the next spec change is compared with it, so
 * a change is carried out once and what the nodes did since (a flush, a failed start) is left alone.
 */
export interface VmIntent {
  runState: "start" | "stop" | "shutdown" | "restart" | "disable";
  /** The home node: spec.node, or the node chosen when it was defined. */
  home: string;
  migration: { node?: string; selector?: "mem" | "vcpus" | "load" | "vms" } | null;
  autostart: boolean;
}

/** The phases of provisioning a VirtualMachine from a profile, in order (controllers/vm/provision/). */
export const PROVISION_PHASES = [
  "resolve",
  "volumes",
  "attach",
  "install",
  "detach",
  "xml",
  "define",
  "start",
  "done",
] as const;
export type ProvisionPhase = (typeof PROVISION_PHASES)[number];

/**
 * A provisioning task (PVC v0.6's Celery task, here a phase of the VM controller): its id is the
 * VM's metadata.uid; /api/v1/provisioner/status/<id> answers from this.
 */
export interface VmProvisioning {
  taskId: string;
  state: "PENDING" | "RUNNING" | "SUCCESS" | "FAILURE";
  phase: ProvisionPhase;
  current: number;
  total: number;
  message: string;
  /** How this host attached the volumes (said before the first attach). */
  attachMethod?: "krbd" | "rbd-fuse";
  /**
   * The host directory the attach and install phases use, recorded before anything is attached
   * there: a run that died is cleaned up from it (its mounts, loop devices and fuse mounts).
   */
  workDir?: string;
  /** The script's stdout and stderr, the last 16 KiB. */
  output?: string;
  /** On FAILURE: why (the Python error's last line for a script that raised). */
  error?: string;
  /** The generated libvirt XML, once built (kept: a resumed run defines this same domain). */
  xml?: string;
}

export interface VirtualMachineStatus extends ResourceStatus {
  /** The domain's key: `/domains/<uuid>` (set once defined or adopted). */
  uuid?: string;
  /** What the nodes report, from `/domains/<uuid>`: state, node, lastnode, failedreason. */
  state?: string;
  node?: string;
  lastNode?: string;
  failedReason?: string;
  /** PVC's node_autostart as it is now (the node daemon clears it after use). */
  autostart?: boolean;
  /** Whether the VM's node lists it in its runningdomains. */
  running?: boolean;
  /** `pool/volume` of the RBD disks (PVC's rbdlist). */
  rbdList?: string[];
  applied?: VmIntent;
  /** When a graceful shutdown was asked for (it becomes a stop after the manual's 90 s). */
  shutdownSince?: string;
  /** While deleting: when the stop was asked for (the node's confirmation is awaited, bounded). */
  stopSince?: string;
  /** With driftPolicy Report: the owned keys changed out of band and kept. */
  drift?: string[];
  /** A VM with spec.profile: its provisioning task. */
  provisioning?: VmProvisioning;
}
