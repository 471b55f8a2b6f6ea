/**
 * PVC's `/ceph` keys as the Ceph kinds keep them: one mirror of `/ceph` (src/runtime/mirror.ts: one
 * TreeCache, one persistent recursive watch) per controller context, shared by CephPool,
 * CephVolume, CephSnapshot and the CephCluster loop. Writes are planned against it (zero writes
 * when converged) and committed through it, quietly: our own writes wake nobody, while an
 * out-of-band edit wakes the resource that owns the key (`cephPathOf` names it).
 */
import type { PvcKeys } from "../../src/pvc/keys.ts";
import { planTreeSync } from "../../src/pvc/tree-sync.ts";
import type { Mirror } from "../../src/runtime/mirror.ts";
import type { ZkClient, ZkOp } from "../../src/zk/client.ts";
import type { TreeCache } from "../../src/zk/tree-cache.ts";
import type { ControllerContext } from "../types.ts";

/** A path under `/ceph` by area: `pools/<pool>…`, `volumes/<pool>/<volume>…`, `snapshots/<pool>/<volume>/<snap>…`. */
export interface CephPath {
  area: "pools" | "volumes" | "snapshots";
  /** The segments after the area's folder. */
  parts: string[];
}

/** Where a path lies under `/ceph` (undefined: elsewhere, e.g. `/ceph/osds`). */
export function cephPathOf(pvc: PvcKeys, path: string): CephPath | undefined {
  const areas = [
    ["pools", pvc.cephPools()],
    ["volumes", pvc.cephVolumes()],
    ["snapshots", pvc.cephSnapshots()],
  ] as const;
  for (const [area, base] of areas)
    if (path.startsWith(`${base}/`)) return { area, parts: path.slice(base.length + 1).split("/") };
  return undefined;
}

/** Deletes of a subtree's paths, deepest first. */
function deletesOf(paths: Iterable<string>): ZkOp[] {
  return [...paths]
    .sort((a, b) => b.split("/").length - a.split("/").length)
    .map((path) => ({ op: "delete" as const, path }));
}

export class CephKeys {
  readonly mirror: Mirror;
  readonly #zk: ZkClient;

  constructor(ctx: ControllerContext) {
    const { pvc, logger } = ctx;
    this.#zk = ctx.zk;
    this.mirror = ctx.mirrors.of(pvc.ceph(), {
      // The parents PVC creates at cluster bootstrap; pools and volumes are created under them.
      prepare: async (zk) => {
        await Promise.all(
          [pvc.cephPools(), pvc.cephVolumes(), pvc.cephSnapshots(), pvc.cephOsds()].map((p) => zk.mkdirp(p)),
        );
      },
      onError: (err) => logger.warn({ err }, "ceph mirror: a read failed; reloading"),
    });
  }

  ready(): Promise<TreeCache> {
    return this.mirror.ready();
  }

  /** The keys under `roots` as the mirror holds them. */
  async observed(roots: readonly string[]): Promise<Map<string, string>> {
    const cache = await this.ready();
    const observed = new Map<string, string>();
    for (const root of roots) for (const [p, v] of cache.subtree(root)) observed.set(p, v);
    return observed;
  }

  /**
   * Makes the mirror under `roots` equal `desired` (`keep` protects paths owned by others) in one
   * multi, with `alongside` (e.g. the status write that reports the keys, so that it never claims
   * keys that were not written). Returns the paths that changed.
   */
  async sync(
    desired: Map<string, string>,
    roots: readonly string[],
    keep: (p: string) => boolean = () => false,
    alongside: ZkOp[] = [],
  ): Promise<string[]> {
    const plan = planTreeSync(desired, await this.observed(roots), keep);
    const ops = [...plan.ops, ...alongside];
    if (ops.length > 0) await this.commit(ops);
    return plan.changed;
  }

  /** Commits ops as one multi through the mirror (which learns them at once, quietly). */
  async commit(ops: ZkOp[]): Promise<void> {
    await this.mirror.commit(ops, { quiet: true });
  }

  /** Removes whole subtrees of the mirror (children first), ignoring what is already gone. */
  async removeTrees(roots: readonly string[]): Promise<void> {
    const observed = await this.observed(roots);
    if (observed.size === 0) return;
    try {
      await this.commit(deletesOf(observed.keys()));
    } catch {
      // The cache lagged (something appeared meanwhile): remove what is there now.
      for (const r of roots) await this.#zk.deleteRecursive(r).catch(() => undefined);
    }
  }
}
