/**
 * Plans the ZooKeeper writes that turn an observed subtree into a desired one: creates (parents
 * first), sets of changed values, deletes of what is not desired (children first). Pure: the
 * caller reads, plans, and commits the ops as one multi.
 */
import type { ZkOp } from "../zk/client.ts";

export interface TreeSyncPlan {
  ops: ZkOp[];
  /** Paths whose observed state differed from the desired one (for drift reports). */
  changed: string[];
}

function depth(path: string): number {
  let n = 0;
  for (const ch of path) if (ch === "/") n++;
  return n;
}

/**
 * @param desired every path of the desired tree (parents included) → value
 * @param observed every path of the observed tree → value (empty map if it does not exist)
 * @param keep paths that are not ours to delete (e.g. leases written by dnsmasq), with their descendants
 */
export function planTreeSync(
  desired: ReadonlyMap<string, string>,
  observed: ReadonlyMap<string, string>,
  keep: (path: string) => boolean = () => false,
): TreeSyncPlan {
  const creates: ZkOp[] = [];
  const sets: ZkOp[] = [];
  const deletes: string[] = [];
  const changed: string[] = [];
  for (const [path, value] of desired) {
    const have = observed.get(path);
    if (have === undefined) {
      creates.push({ op: "create", path, data: value });
      changed.push(path);
    } else if (have !== value) {
      sets.push({ op: "set", path, data: value });
      changed.push(path);
    }
  }
  for (const path of observed.keys()) {
    if (!desired.has(path) && !keep(path)) {
      deletes.push(path);
      changed.push(path);
    }
  }
  creates.sort((a, b) => depth(a.path) - depth(b.path));
  deletes.sort((a, b) => depth(b) - depth(a));
  return {
    ops: [...deletes.map((path) => ({ op: "delete", path }) as ZkOp), ...creates, ...sets],
    changed,
  };
}
