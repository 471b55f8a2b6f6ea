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
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) n++;
  return n;
}

/** Sorts by depth, computing each path's depth once (a sort compares each path many times). */
function byDepth<T>(items: T[], pathOf: (item: T) => string, deepestFirst: boolean): T[] {
  const sign = deepestFirst ? -1 : 1;
  return items
    .map((item) => ({ item, depth: depth(pathOf(item)) }))
    .sort((a, b) => sign * (a.depth - b.depth))
    .map((d) => d.item);
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
  return {
    ops: [
      ...byDepth(deletes, (p) => p, true).map((path) => ({ op: "delete", path }) as ZkOp),
      ...byDepth(creates, (o) => o.path, false),
      ...sets,
    ],
    changed,
  };
}
