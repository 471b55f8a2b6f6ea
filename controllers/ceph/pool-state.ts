/**
 * CephPool's pure parts: how far a pool is from its spec, PVC's `stats` shape, the creation time
 * Ceph reports, and the keys PVC's `add_pool` writes. No I/O here (pool.ts acts on them).
 */
import type { PoolDetail } from "../../src/ceph/types.ts";
import type { PvcKeys } from "../../src/pvc/keys.ts";
import type { CephPoolSpec } from "../../src/resources/specs.ts";

/** `2026-11-26T18:00:33.911616+0000` (osd pool ls detail's create_time) in ms. */
export function poolCreateTime(detail: PoolDetail): number {
  const text = detail.raw.create_time;
  if (typeof text !== "string") return Number.NaN;
  return Date.parse(text.replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
}

/** PVC's `/ceph/pools/<pool>/stats` from `ceph df` and `rados df` raw pool entries. */
export function poolStats(dfPool: Record<string, unknown>, radosPool: Record<string, unknown>): string {
  const stats = (dfPool.stats ?? {}) as Record<string, unknown>;
  return JSON.stringify({
    id: dfPool.id,
    free_bytes: stats.max_avail,
    used_bytes: stats.bytes_used,
    used_percent: stats.percent_used,
    num_objects: stats.objects,
    num_object_clones: radosPool.num_object_clones,
    num_object_copies: radosPool.num_object_copies,
    num_objects_missing_on_primary: radosPool.num_objects_missing_on_primary,
    num_objects_unfound: radosPool.num_objects_unfound,
    num_objects_degraded: radosPool.num_objects_degraded,
    read_ops: radosPool.read_ops,
    read_bytes: radosPool.read_bytes,
    write_ops: radosPool.write_ops,
    write_bytes: radosPool.write_bytes,
  });
}

/** How far a pool is from its spec (empty when converged). */
export function poolDrift(spec: CephPoolSpec, d: PoolDetail): string[] {
  const out: string[] = [];
  if (d.pgNumTarget !== spec.pgs) out.push(`pg_num_target ${d.pgNumTarget} (want ${spec.pgs})`);
  if (d.size !== spec.replication.copies) out.push(`size ${d.size} (want ${spec.replication.copies})`);
  if (d.minSize !== spec.replication.minCopies)
    out.push(`min_size ${d.minSize} (want ${spec.replication.minCopies})`);
  if (!d.applicationMetadata.rbd) out.push("application rbd not enabled");
  return out;
}

/** The subtrees of PVC's keys a pool owns: its own, and the parents of its volumes and snapshots. */
export function poolRoots(pvc: PvcKeys, pool: string): string[] {
  return [pvc.cephPool(pool), pvc.cephPoolVolumes(pool), pvc.cephPoolSnapshots(pool)];
}

/**
 * The keys PVC's `add_pool` writes, exactly (`stats` is the stats loop's: kept as it is, `{}`
 * until the first refresh), and which paths under the roots belong to others (volumes, snapshots).
 */
export function desiredPoolKeys(
  pvc: PvcKeys,
  pool: string,
  pgs: number,
  stats: string | undefined,
): { desired: Map<string, string>; othersOwn: (path: string) => boolean } {
  const desired = new Map([
    [pvc.cephPool(pool), ""],
    [pvc.cephPoolKey(pool, "pgs"), String(pgs)],
    [pvc.cephPoolKey(pool, "stats"), stats ?? "{}"],
    [pvc.cephPoolVolumes(pool), ""],
    [pvc.cephPoolSnapshots(pool), ""],
  ]);
  const othersOwn = (p: string) =>
    p.startsWith(`${pvc.cephPoolVolumes(pool)}/`) || p.startsWith(`${pvc.cephPoolSnapshots(pool)}/`);
  return { desired, othersOwn };
}
