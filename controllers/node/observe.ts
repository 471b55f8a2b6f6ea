/**
 * What a node's daemon says about it under `/nodes/<name>` (docs/pvc-zookeeper-layout.md), read
 * from the /nodes mirror into the Node status fields, and whether the node counts as alive. Pure:
 * no I/O, so the rules are tested directly.
 */
import type { NodeFigures } from "../../src/resources/statuses.ts";
import { statusEqual } from "../../src/runtime/conditions.ts";

export { observeNode } from "../../src/pvc/node-figures.ts";

/**
 * PVC's dead-node rule: a node whose keepalive is older than this is dead (its daemon writes one
 * every keepalive_interval, 5 s; the primary fences a node after fence_intervals, 6, missed).
 */
export const DEAD_AFTER_MS = 30_000;

export type { NodeFigures };

/** Whether the node is up, and if not why; `staleInMs`: when an alive node turns dead without news. */
export type Liveness =
  | { alive: true; staleInMs: number }
  | { alive: false; starting: boolean; reason: string; message: string };

/** Seconds, one decimal at most: `12 s`, `0.4 s`. */
function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Alive: daemon state `run` and a keepalive at most `deadAfterMs` old. `init` is a daemon
 * starting (it turns `run` at its first keepalive); anything else is down.
 */
export function liveness(fig: NodeFigures, nowMs: number, deadAfterMs = DEAD_AFTER_MS): Liveness {
  const state = fig.daemonState ?? "";
  if (fig.keepalive === undefined) {
    return { alive: false, starting: false, reason: "NoKeepalive", message: "the node has no keepalive" };
  }
  const ageMs = nowMs - fig.keepalive * 1000;
  if (ageMs > deadAfterMs) {
    return {
      alive: false,
      starting: false,
      reason: "KeepaliveStale",
      message: `last keepalive ${seconds(ageMs)} ago, more than ${seconds(deadAfterMs)}: PVC counts the node dead (daemon state ${state || "unknown"})`,
    };
  }
  if (state !== "run") {
    return {
      alive: false,
      starting: state === "init",
      reason: state === "init" ? "DaemonStarting" : "DaemonNotRunning",
      message: `daemon state is ${state || "unknown"}, not run`,
    };
  }
  return { alive: true, staleInMs: Math.max(0, deadAfterMs - ageMs) };
}

/**
 * How old the keepalive a Node's status shows may get before a keepalive alone is written again:
 * 5 minutes, Kubernetes' node status report frequency. Why: the daemon rewrites its keepalive,
 * load and free memory every 5 s, and writing them made the nodes the only ZooKeeper writers of a
 * cluster otherwise at rest (issue 16: goal 0; every 20 s was still 15 writes per 100 s with three
 * nodes). Ready follows the mirror at once, not this figure; the /api/v1 node answers read the
 * live figures (src/pvc/node-heartbeats.ts); status, pvcctl and the status page show them as of
 * the last report.
 */
export const HEARTBEAT_REFRESH_MS = 300_000;

/** The figures every keepalive moves, whatever else happens on the node. */
function withoutHeartbeat(status: NodeFigures): NodeFigures {
  const { keepalive: _k, cpuLoad: _l, memory, ...rest } = status;
  return memory ? { ...rest, memory: { ...memory, freeMiB: 0, usedMiB: 0 } } : rest;
}

/**
 * Whether `next` differs from the stored `prev` only by a keepalive's figures (keepalive, load,
 * free and used memory) while the stored keepalive is younger than `refreshMs`: then the status
 * need not be written.
 */
export function heartbeatOnly(
  prev: NodeFigures | undefined,
  next: NodeFigures,
  nowMs: number,
  refreshMs = HEARTBEAT_REFRESH_MS,
): boolean {
  if (prev?.keepalive === undefined || nowMs - prev.keepalive * 1000 >= refreshMs) return false;
  return statusEqual(withoutHeartbeat(prev), withoutHeartbeat(next));
}
