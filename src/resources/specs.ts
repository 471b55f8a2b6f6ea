/**
 * TypeScript shapes of each kind's spec as validateResource returns it: defaults filled in,
 * sizes in bytes, addresses and MACs normalized. The JSON Schemas in `schemas/` are the contract;
 * these types follow them (optional fields stay optional where no default exists).
 */
import type {
  CephPoolStatus,
  CephSnapshotStatus,
  CephVolumeStatus,
  NetworkStatus,
  NodeStatus,
  VirtualMachineStatus,
} from "./statuses.ts";
import type { Resource } from "./types.ts";

export type NodeSelector = "mem" | "vcpus" | "load" | "vms";
export type DeletionPolicy = "Delete" | "Retain";

export interface AclRule {
  description: string;
  rule: string;
}

export interface DhcpReservation {
  /** Lowercase, `:`-separated. */
  mac: string;
  ip: string;
  hostname?: string;
}

export interface NetworkSpec {
  /** What the controller does about out-of-band changes (src/runtime/drift.ts); default Repair. */
  driftPolicy?: "Repair" | "Report";
  vni: number;
  /** Defaults to metadata.name. */
  description: string;
  type: "bridged" | "managed";
  /** Defaults to `<description>.local`. */
  domain: string;
  nameServers: string[];
  ipv4?: { network: string; gateway: string; dhcp?: { start: string; end: string } };
  ipv6?: { network: string; gateway: string; dhcp: boolean };
  /** [] by default on managed networks; absent on bridged ones. */
  dhcpReservations?: DhcpReservation[];
  /** `{in: [], out: []}` by default on managed networks; absent on bridged ones. */
  acls?: { in: AclRule[]; out: AclRule[] };
}

export interface CephPoolSpec {
  /** What the controller does about out-of-band changes (src/runtime/drift.ts); default Repair. */
  driftPolicy?: "Repair" | "Report";
  pgs: number;
  replication: { copies: number; minCopies: number };
  application: "rbd";
  deletionPolicy: DeletionPolicy;
  confirmDeleteWithVolumes?: string;
}

export interface CephVolumeSpec {
  /** What the controller does about out-of-band changes (src/runtime/drift.ts); default Repair. */
  driftPolicy?: "Repair" | "Report";
  pool: string;
  /** The rbd image name; defaults from metadata.name (`<pool>.<name>`). */
  name: string;
  /** Bytes. Absent only for a clone that keeps its source's size. */
  size?: number;
  source?: { pool: string; volume: string };
  allowShrink: boolean;
  onExternalDelete: "report" | "recreate";
  deletionPolicy: DeletionPolicy;
}

export interface CephSnapshotSpec {
  /** What the controller does about out-of-band changes (src/runtime/drift.ts); default Repair. */
  driftPolicy?: "Repair" | "Report";
  pool: string;
  volume: string;
  /** The snapshot name; defaults from metadata.name (`<pool>.<volume>@<name>`). */
  name: string;
  deletionPolicy: DeletionPolicy;
}

export type RunState = "start" | "stop" | "shutdown" | "restart" | "disable";

export interface VirtualMachineSpec {
  /** What the controller does about out-of-band changes (src/runtime/drift.ts); default Repair. */
  driftPolicy?: "Repair" | "Report";
  xml?: string;
  profile?: string;
  node?: string;
  nodeLimit: string[];
  nodeSelector?: NodeSelector;
  autostart: boolean;
  runState: RunState;
  migration?: { node?: string; selector?: NodeSelector };
  deleteDisks: boolean;
  /** With profile: the manual's define_vm and start_vm (both default true). */
  provision?: { define?: boolean; start?: boolean; arguments?: Record<string, string> };
}

export interface NodeSpec {
  /** What the controller does about out-of-band changes (src/runtime/drift.ts); default Repair. */
  driftPolicy?: "Repair" | "Report";
  coordinatorState?: "primary" | "secondary";
  domainState?: "ready" | "flush";
}

export interface SystemTemplateSpec {
  vcpus: number;
  vramMiB: number;
  serial: boolean;
  vnc: boolean;
  vncBind?: string;
  nodeLimit: string[];
  nodeSelector?: NodeSelector;
  startWithNode: boolean;
}

export interface NetworkTemplateSpec {
  macTemplate?: string;
  networks: { vni: number }[];
}

export interface StorageDisk {
  id: string;
  pool: string;
  sizeGiB: number;
  filesystem?: string;
  filesystemArgs: string[];
  mountpoint?: string;
}

export interface StorageImage {
  id: string;
  pool: string;
  volume: string;
}

export interface StorageTemplateSpec {
  disks: StorageDisk[];
  images: StorageImage[];
}

export interface UserdataTemplateSpec {
  data: string;
}

export interface ProvisionerScriptSpec {
  data: string;
}

export interface ProvisionerProfileSpec {
  systemTemplate: string;
  networkTemplate: string;
  storageTemplate: string;
  userdataTemplate: string;
  script: string;
  /** Values converted to text. */
  arguments: Record<string, string>;
}

export type Network = Resource<NetworkSpec, NetworkStatus>;
export type CephPool = Resource<CephPoolSpec, CephPoolStatus>;
export type CephVolume = Resource<CephVolumeSpec, CephVolumeStatus>;
export type CephSnapshot = Resource<CephSnapshotSpec, CephSnapshotStatus>;
export type VirtualMachine = Resource<VirtualMachineSpec, VirtualMachineStatus>;
export type PvcNode = Resource<NodeSpec, NodeStatus>;
export type SystemTemplate = Resource<SystemTemplateSpec>;
export type NetworkTemplate = Resource<NetworkTemplateSpec>;
export type StorageTemplate = Resource<StorageTemplateSpec>;
export type UserdataTemplate = Resource<UserdataTemplateSpec>;
export type ProvisionerScript = Resource<ProvisionerScriptSpec>;
export type ProvisionerProfile = Resource<ProvisionerProfileSpec>;

/**
 * The object type of each kind, by kind name: what the store and the informers hold for it. The
 * store validates every object against its kind's schema before it is written (validateResource),
 * so an object read back for kind K has this shape; the one cast that says so is in the informer
 * and the store's typed reads, never in kind code.
 */
export interface KindObjects {
  Network: Network;
  CephPool: CephPool;
  CephVolume: CephVolume;
  CephSnapshot: CephSnapshot;
  VirtualMachine: VirtualMachine;
  Node: PvcNode;
  SystemTemplate: SystemTemplate;
  NetworkTemplate: NetworkTemplate;
  StorageTemplate: StorageTemplate;
  UserdataTemplate: UserdataTemplate;
  ProvisionerScript: ProvisionerScript;
  ProvisionerProfile: ProvisionerProfile;
}

/** The object type of kind `K` (a plain Resource for a kind without a typed shape, e.g. in tests). */
export type ObjectOf<K extends string> = K extends keyof KindObjects ? KindObjects[K] : Resource;
