/**
 * What the parts of a hollow cluster share: the ZooKeeper session, the key layout, timings, the
 * logger, and ways to reach the other hollow nodes (a live migration hands a domain from one
 * simulated libvirt to another).
 */
import type { PvcKeys } from "../pvc/keys.ts";
import type { ZkClient } from "../zk/client.ts";
import type { HollowNode } from "./hollow-node.ts";
import type { SimLogger } from "./log.ts";
import type { NodeSelector } from "./placement.ts";
import type { DomainWake } from "./wake.ts";

export interface SimTimings {
  /** Keepalive period (PVC: keepalive_interval, 5 s). */
  keepaliveIntervalMs: number;
  /** How long a graceful domain shutdown takes (PVC polls libvirt every 2 s, up to 90 s). */
  shutdownGraceMs: number;
  /** How long a live migration takes. */
  migrateDelayMs: number;
  /** Pause between the stop and the start of a restart (PVC: 1 s + 0.2 s). */
  restartDelayMs: number;
  /** A migration receiver gives up (state `fail`) after this long (PVC: 90 s). */
  receiveTimeoutMs: number;
  /** A flush gives up waiting for one VM after this long and moves on (PVC waits forever). */
  flushWaitTimeoutMs: number;
  /** Re-check interval of every wait, backing up the watches (PVC polls every 1 s). */
  pollMs: number;
  /** Full resync of all domains and node keys: a safety net, watches do the work. */
  resyncIntervalMs: number;
  /** Pause after giving up primary on shutdown (PVC: 3 s, for a peer to take over). */
  relinquishDelayMs: number;
  /** Retry delay after a failed ZooKeeper call. */
  retryMs: number;
}

export const DEFAULT_TIMINGS: SimTimings = {
  keepaliveIntervalMs: 5000,
  shutdownGraceMs: 500,
  migrateDelayMs: 100,
  restartDelayMs: 200,
  receiveTimeoutMs: 90_000,
  flushWaitTimeoutMs: 120_000,
  pollMs: 1000,
  resyncIntervalMs: 30_000,
  relinquishDelayMs: 0,
  retryMs: 1000,
};

export interface SimContext {
  readonly zk: ZkClient;
  readonly keys: PvcKeys;
  readonly timings: SimTimings;
  readonly log: SimLogger;
  readonly wake: DomainWake;
  /** Aborted when the cluster stops: every wait ends. */
  readonly signal: AbortSignal;
  /** PVC's migration_target_selector. */
  readonly defaultSelector: NodeSelector;
  /** Written to /upstream_ip by the primary on each keepalive, when set. */
  readonly upstreamIp: string | undefined;
  /** A hollow node of this cluster by name (other nodes in /nodes are not ours). */
  node(name: string): HollowNode | undefined;
  /** The hollow node whose simulated libvirt runs `uuid`, if any. */
  whereRunning(uuid: string): HollowNode | undefined;
  /** Something about `uuid` may have changed: wake its waiters and let every node re-check it. */
  domainChanged(uuid: string): void;
  readonly stopping: boolean;
}
