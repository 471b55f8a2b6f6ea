/**
 * The figures a node's daemon rewrites with every keepalive (keepalive, CPU load, free and used
 * memory), live from `/nodes`, for the answers that show them as PVC v0.6 did: read when asked.
 * Why not from the Node's status: the Node controller writes those figures only along with another
 * change or once every HEARTBEAT_REFRESH_MS (5 minutes, Kubernetes' node status report
 * frequency), so that a cluster at rest costs no ZooKeeper write (issue 16). One small cache of
 * `/nodes`, in every replica (leader or follower): reads, never writes.
 */
import type { Logger } from "pino";
import type { NodeFigures } from "../resources/statuses.ts";
import type { ZkClient } from "../zk/client.ts";
import { TreeCache } from "../zk/tree-cache.ts";
import type { PvcKeys } from "./keys.ts";
import { observeNode } from "./node-figures.ts";

/** What every keepalive moves. */
export type Heartbeat = Pick<NodeFigures, "keepalive" | "cpuLoad"> & {
  freeMiB?: number;
  usedMiB?: number;
};

export class NodeHeartbeats {
  readonly #cache: TreeCache;
  readonly #keys: PvcKeys;

  constructor(zk: ZkClient, keys: PvcKeys, logger: Logger) {
    this.#keys = keys;
    this.#cache = new TreeCache(zk, keys.nodes());
    this.#cache.on("error", (err) => logger.warn({ err }, "node heartbeats: a read failed; reloading"));
  }

  start(): Promise<void> {
    return this.#cache.start();
  }

  stop(): void {
    this.#cache.stop();
  }

  /** The node's latest heartbeat figures, or undefined when `/nodes/<name>` is not there. */
  of(name: string): Heartbeat | undefined {
    let figures: NodeFigures | undefined;
    try {
      figures = observeNode(this.#cache, this.#keys, name);
    } catch {
      return undefined; // a name no node can have
    }
    if (!figures) return undefined;
    return {
      keepalive: figures.keepalive,
      cpuLoad: figures.cpuLoad,
      freeMiB: figures.memory?.freeMiB,
      usedMiB: figures.memory?.usedMiB,
    };
  }
}
