/**
 * Typed results of the Ceph CLIs, shaped after their real JSON (Ceph 16 Pacific, measured). Each
 * keeps only the fields the reconciler reads, renamed to camelCase, plus `raw`: the parsed JSON as
 * printed, because PVC stores some of it verbatim in ZooKeeper (`/ceph/volumes/P/V/stats` is the
 * `rbd info` JSON) and new needs should not require a new parser first.
 */

export type Raw = Record<string, unknown>;

/** `HEALTH_OK`, `HEALTH_WARN` or `HEALTH_ERR`. */
export type HealthStatus = "HEALTH_OK" | "HEALTH_WARN" | "HEALTH_ERR";

export interface HealthCheck {
  severity: string;
  /** e.g. `noout flag(s) set`. */
  summary: string;
  muted: boolean;
}

/** `ceph health --format json`. */
export interface CephHealth {
  status: HealthStatus;
  /** Keyed by check name, e.g. `OSDMAP_FLAGS`, `POOL_APP_NOT_ENABLED`. */
  checks: Record<string, HealthCheck>;
  raw: Raw;
}

/** `ceph status --format json`. */
export interface CephStatus {
  fsid: string;
  health: CephHealth;
  quorumNames: string[];
  numOsds: number;
  numUpOsds: number;
  numInOsds: number;
  numPools: number;
  numPgs: number;
  /** e.g. `[{ state: "active+clean", count: 8 }]`; empty without a mgr or without pools. */
  pgsByState: { state: string; count: number }[];
  numObjects: number;
  bytesUsed: number;
  bytesAvail: number;
  bytesTotal: number;
  mgrAvailable: boolean;
  raw: Raw;
}

export interface CephDfPool {
  name: string;
  id: number;
  stored: number;
  objects: number;
  bytesUsed: number;
  /** A fraction 0..1 (despite the name in Ceph's JSON). */
  percentUsed: number;
  maxAvail: number;
}

/** `ceph df --format json`. Totals are 0 and pools empty while no mgr is active. */
export interface CephDf {
  totalBytes: number;
  totalAvailBytes: number;
  totalUsedBytes: number;
  totalUsedRawBytes: number;
  pools: CephDfPool[];
  raw: Raw;
}

export interface RadosDfPool {
  name: string;
  id: number;
  sizeBytes: number;
  numObjects: number;
  numObjectClones: number;
  numObjectCopies: number;
  numObjectsDegraded: number;
  readOps: number;
  readBytes: number;
  writeOps: number;
  writeBytes: number;
}

/** `rados df --format json`. Its totals are in KiB, unlike its per-pool sizes. */
export interface RadosDf {
  pools: RadosDfPool[];
  totalObjects: number;
  totalUsedKb: number;
  totalAvailKb: number;
  totalSpaceKb: number;
  raw: Raw;
}

export interface OsdTreeNode {
  /** Negative for buckets (root, host), the OSD id for OSDs. */
  id: number;
  name: string;
  /** `root`, `host`, `osd`, ... */
  type: string;
  children: number[];
  /** OSDs only: `up` or `down`. */
  status?: string;
  reweight?: number;
  crushWeight?: number;
  deviceClass?: string;
}

/** `ceph osd tree --format json`. */
export interface OsdTree {
  nodes: OsdTreeNode[];
  raw: Raw;
}

/** One step of a CRUSH rule: `take` (item_name), `choose_firstn`/`chooseleaf_firstn`/… (type), `emit`. */
export interface CrushRuleStep {
  op: string;
  /** take: the bucket, e.g. `default` or `default~ssd` (the shadow tree of a device class). */
  itemName?: string;
  /** choose*: the bucket type the replicas are spread over, e.g. `host` or `osd`. */
  type?: string;
}

/** One entry of `ceph osd crush rule dump --format json`. */
export interface CrushRule {
  id: number;
  name: string;
  /** 1 replicated, 3 erasure. */
  type: number;
  steps: CrushRuleStep[];
  raw: Raw;
}

/** The replica counts the mon gives a pool when nobody says (`osd pool default size` / `min size`). */
export interface PoolDefaults {
  size: number;
  /** Ceph's own min_size for that size when the setting is 0 (its default): size - floor(size/2). */
  minSize: number;
}

export interface OsdDumpOsd {
  osd: number;
  uuid: string;
  up: boolean;
  in: boolean;
  weight: number;
  /** `127.0.0.1:27403/4975` (v1 address/nonce), `-` style values are kept as printed. */
  publicAddr: string;
  state: string[];
}

/** `ceph osd dump --format json`. */
export interface OsdDump {
  epoch: number;
  /** Cluster flags that are set, e.g. `noout`, `sortbitwise`. */
  flags: string[];
  osds: OsdDumpOsd[];
  raw: Raw;
}

export interface OsdDfNode {
  id: number;
  name: string;
  kb: number;
  kbUsed: number;
  kbAvail: number;
  /** Percent 0..100. */
  utilization: number;
  pgs: number;
  status: string;
}

/** `ceph osd df --format json` (hangs without a mgr). */
export interface OsdDf {
  nodes: OsdDfNode[];
  totalKb: number;
  totalKbUsed: number;
  totalKbAvail: number;
  raw: Raw;
}

/** One entry of `ceph osd pool ls detail --format json`. */
export interface PoolDetail {
  id: number;
  name: string;
  size: number;
  minSize: number;
  pgNum: number;
  /**
   * Where pg_num is heading. `pool set pg_num` updates this at once while `pg_num` (and `pool get`)
   * lag by seconds, so compare desired state against this one.
   */
  pgNumTarget: number;
  pgpNum: number;
  pgpNumTarget: number;
  pgAutoscaleMode: string;
  /** e.g. `{ rbd: {} }`. */
  applicationMetadata: Record<string, Record<string, string>>;
  raw: Raw;
}

/** `ceph osd pool get P <var> --format json` gives `{pool, pool_id, <var>: value}`. */
export type PoolGetValue = string | number | boolean;

/** `rbd info P/V --format json`. */
export interface RbdImageInfo {
  name: string;
  id: string;
  /** Bytes. */
  size: number;
  objects: number;
  order: number;
  objectSize: number;
  snapshotCount: number;
  format: number;
  features: string[];
  raw: Raw;
}

/** One entry of `rbd ls -l P --format json`: images, and their snapshots as separate entries. */
export interface RbdLsEntry {
  image: string;
  /** Set on snapshot entries only. */
  snapshot?: string;
  size: number;
  format: number;
  /** `exclusive` or `shared` when the image is locked. */
  lockType?: string;
  raw: Raw;
}

/** One entry of `rbd snap ls P/V --format json`. */
export interface RbdSnapshot {
  id: number;
  name: string;
  size: number;
  protected: boolean;
  timestamp: string;
  raw: Raw;
}

/** One entry of `rbd lock ls P/V --format json`. */
export interface RbdLock {
  /** The lock id (librbd's own are `auto <n>`). */
  id: string;
  /** `client.<n>`; needed with the id to remove the lock. */
  locker: string;
  address: string;
  raw: Raw;
}

export interface PoolCreateOptions {
  /** Replica count; set at creation (`--size`) so the pool never exists with the default. */
  size?: number;
  /** Set right after creation; Ceph derives a default from size when omitted. */
  minSize?: number;
}
