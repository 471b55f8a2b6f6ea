/**
 * Whole-subtree operations on ZooKeeper, over the client's own calls (ZooKeeper has no recursive
 * read or delete).
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import { mapLimit } from "../map-limit.ts";
import { MAX_MULTI_OPS, type ZkOp, type ZkOpResult } from "./types.ts";

/** Children listings in flight while a subtree is listed. */
const LIST_CONCURRENCY = 256;

interface TreeClient {
  children(path: string): Promise<string[]>;
  multi(ops: ZkOp[]): Promise<ZkOpResult[]>;
}

/** Every path in the subtree rooted at `path`, parents before children (empty if it does not exist). */
export async function listTree(zk: TreeClient, path: string): Promise<string[]> {
  const out: string[] = [];
  let level = [path];
  while (level.length > 0) {
    const next: string[] = [];
    const current = level;
    const results: Array<{ p: string; children: string[] } | null> = current.map(() => null);
    // Bounded, as a tree's level can be every network (a promise and a request each otherwise).
    await mapLimit([...current.keys()], LIST_CONCURRENCY, async (i) => {
      try {
        results[i] = { p: current[i], children: await zk.children(current[i]) };
      } catch (err) {
        if (!(err instanceof PvcError && err.code === ErrorCodes.ZK_NO_NODE)) throw err;
      }
    });
    for (const r of results) {
      if (!r) continue;
      out.push(r.p);
      for (const c of r.children) next.push(r.p === "/" ? `/${c}` : `${r.p}/${c}`);
    }
    level = next;
  }
  return out;
}

/**
 * Removes a subtree atomically (one multi) when it has at most MAX_MULTI_OPS nodes; a larger
 * tree (ZooKeeper caps a request at 1 MiB) goes in children-first batches, so an interruption
 * leaves a smaller tree, never an orphaned child. If a child appears concurrently, the multi
 * fails with NotEmpty and is retried on a fresh listing. A missing node is not an error.
 */
export async function deleteRecursive(zk: TreeClient, path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const ops = (await listTree(zk, path)).reverse().map((p) => ({ op: "delete", path: p }) as const);
    if (ops.length === 0) return;
    try {
      for (let i = 0; i < ops.length; i += MAX_MULTI_OPS) await zk.multi(ops.slice(i, i + MAX_MULTI_OPS));
      return;
    } catch (err) {
      const retryable =
        err instanceof PvcError &&
        (err.code === ErrorCodes.ZK_NOT_EMPTY || err.code === ErrorCodes.ZK_NO_NODE);
      if (!retryable || attempt >= 5) throw err;
    }
  }
}
