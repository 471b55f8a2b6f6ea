/**
 * The ZooKeeper client's value types (stats, ops, watch events, the multi error) and their
 * conversions from the library's wire shapes: what callers import, apart from the client itself.
 */
import zookeeper from "node-zookeeper-client";
import { PvcError } from "../errors.ts";
import type { MultiOp } from "./multi-request.ts";

/** Ops per multi we allow ourselves: far below ZooKeeper's 1 MiB request cap for our paths. */
export const MAX_MULTI_OPS = 1000;

export type CreateMode = "persistent" | "ephemeral" | "persistent_sequential" | "ephemeral_sequential";

export const CREATE_MODES: Record<CreateMode, number> = {
  persistent: zookeeper.CreateMode.PERSISTENT,
  ephemeral: zookeeper.CreateMode.EPHEMERAL,
  persistent_sequential: zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
  ephemeral_sequential: zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
};

/** A ZkOp as the multi request encodes it (versions -1: any). */
export function wireOp(op: ZkOp): MultiOp {
  if (op.op === "create")
    return {
      type: "create",
      path: op.path,
      data: op.data ?? "",
      flags: CREATE_MODES[op.mode ?? "persistent"],
    };
  if (op.op === "set") return { type: "setData", path: op.path, data: op.data, version: op.version ?? -1 };
  if (op.op === "delete") return { type: "delete", path: op.path, version: op.version ?? -1 };
  return { type: "check", path: op.path, version: op.version };
}

export interface ZkStat {
  /** Data version: the expected version for set/delete/check. */
  version: number;
  /** Children version: bumps on every child create/delete. */
  cversion: number;
  /** zxid of the create, as a decimal string (64-bit). */
  czxid: string;
  /** zxid of the last data change, as a decimal string: a cluster-wide, ordered revision. */
  mzxid: string;
  /** zxid of the last change to the children list. */
  pzxid: string;
  ctime: number;
  mtime: number;
  /** Session id (hex) owning an ephemeral node, "" for a persistent node. */
  ephemeralOwner: string;
  numChildren: number;
  dataLength: number;
}

export type WatchEventType = "created" | "deleted" | "changed" | "children" | "session-rebuilt";
export interface WatchEvent {
  type: WatchEventType;
  path: string;
}
export type Watcher = (event: WatchEvent) => void;

export type ZkOp =
  | { op: "create"; path: string; data?: string; mode?: CreateMode }
  | { op: "set"; path: string; data: string; version?: number }
  | { op: "delete"; path: string; version?: number }
  | { op: "check"; path: string; version: number };

export interface ZkOpResult {
  op: ZkOp["op"];
  path: string;
  /** For create: the path actually created (differs for sequential nodes). */
  created?: string;
  /** For set: the node's new stat. */
  stat?: ZkStat;
}

/**
 * Sees every multi this client sends, synchronously: just before it is sent, and the moment its
 * reply is read off the socket, before any later reply or watch event is handled. Caches on the
 * same client use it to write their own process's writes through instead of reading them back:
 * ZooKeeper delivers a session's watch events and replies in zxid order, so an event that arrives
 * between `sending` and `settled` for a path the multi writes is either the multi's own or an
 * older change the multi supersedes — provided the window closes exactly at the reply.
 */
export interface MultiObserver {
  /** The multi's ops at or below the observer's root (only called when there are some). */
  sending(ops: readonly ZkOp[]): void;
  /**
   * The same ops, and the multi's zxid when it succeeded (undefined when it failed or timed out,
   * and then it may or may not have been applied; "" when it succeeded without a set to reveal it).
   */
  settled(ops: readonly ZkOp[], zxid: string | undefined): void;
}

/** A multi that failed: `code` is the failing op's own code (e.g. ZK_BAD_VERSION); the op is named. */
export class ZkMultiError extends PvcError {
  readonly failedIndex: number;
  readonly failedOp: ZkOp;
  constructor(cause: PvcError, failedIndex: number, failedOp: ZkOp, opCount: number) {
    super(
      cause.code,
      `zookeeper multi: op ${failedIndex + 1}/${opCount} (${failedOp.op} ${failedOp.path}) failed: ${cause.message}; nothing was applied`,
      { cause, details: { failedIndex, op: failedOp.op, path: failedOp.path } },
    );
    this.failedIndex = failedIndex;
    this.failedOp = failedOp;
  }
}

export interface RawStat {
  version: number;
  cversion: number;
  czxid: Buffer;
  mzxid: Buffer;
  pzxid: Buffer;
  ctime: Buffer;
  mtime: Buffer;
  ephemeralOwner: Buffer;
  numChildren: number;
  dataLength: number;
}

export function toStat(raw: RawStat): ZkStat {
  const owner = raw.ephemeralOwner.readBigUInt64BE(0);
  return {
    version: raw.version,
    cversion: raw.cversion,
    czxid: raw.czxid.readBigInt64BE(0).toString(),
    mzxid: raw.mzxid.readBigInt64BE(0).toString(),
    pzxid: raw.pzxid.readBigInt64BE(0).toString(),
    ctime: Number(raw.ctime.readBigInt64BE(0)),
    mtime: Number(raw.mtime.readBigInt64BE(0)),
    ephemeralOwner: owner === 0n ? "" : owner.toString(16),
    numChildren: raw.numChildren,
    dataLength: raw.dataLength,
  };
}

export const EVENT_TYPES: Record<number, WatchEventType> = {
  [zookeeper.Event.NODE_CREATED]: "created",
  [zookeeper.Event.NODE_DELETED]: "deleted",
  [zookeeper.Event.NODE_DATA_CHANGED]: "changed",
  [zookeeper.Event.NODE_CHILDREN_CHANGED]: "children",
};
