/**
 * What wakes the CephPool controller besides its informer: the drift poll (`osd pool ls detail`
 * against every pool, each `cephPollIntervalMs`), the stats refresh (PVC's `stats` key of every
 * pool from `ceph df` + `rados df`, one multi, every max(cephPollIntervalMs, 5 s)), an
 * out-of-band edit of a pool's keys, and a volume going away while its pool waits to be deleted.
 * The two loops are wake-up sources (`Controller.watch`): they run only while the controller does.
 */
import type { CephPool } from "../../src/resources/specs.ts";
import type { WakeSource } from "../../src/runtime/controller.ts";
import { reportsDrift } from "../../src/runtime/drift.ts";
import type { Informer } from "../../src/store/informer.ts";
import type { ZkOp } from "../../src/zk/client.ts";
import type { ControllerContext } from "../types.ts";
import { every } from "./common.ts";
import { type CephKeys, cephPathOf } from "./keys.ts";
import { poolDrift, poolStats } from "./pool-state.ts";

export class PoolLoops {
  readonly #ctx: ControllerContext;
  readonly #keys: CephKeys;
  readonly #informer: Informer<CephPool>;

  constructor(ctx: ControllerContext, keys: CephKeys, informer: Informer<CephPool>) {
    this.#ctx = ctx;
    this.#keys = keys;
    this.#informer = informer;
  }

  /** `/ceph/pools/<p>[/…]`, and the pool-level parents `/ceph/volumes/<p>`, `/ceph/snapshots/<p>`. */
  ownerOfPath(path: string): string[] {
    const where = cephPathOf(this.#ctx.pvc, path);
    if (!where || (where.area !== "pools" && where.parts.length !== 1)) return [];
    const pool = where.parts[0];
    return this.#informer.get(pool) ? [pool] : [];
  }

  /** The pool, when it is waiting to be deleted (a volume of it went away). */
  deletingPool(pool: string): string[] {
    return this.#informer.get(pool)?.metadata.deletionTimestamp ? [pool] : [];
  }

  detailPoll(): WakeSource {
    return every(this.#ctx.settings.cephPollIntervalMs, (enqueue) => this.#pollDetail(enqueue), this.#warn);
  }

  statsRefresh(): WakeSource {
    return every(
      Math.max(this.#ctx.settings.cephPollIntervalMs, 5000),
      () => this.#refreshStats(),
      this.#warn,
    );
  }

  readonly #warn = (err: unknown) =>
    this.#ctx.logger.warn({ err }, "ceph pool poll failed; trying again next interval");

  async #pollDetail(enqueue: (key: string) => void): Promise<void> {
    const managed = this.#informer.list().filter((p) => !p.metadata.deletionTimestamp);
    if (managed.length === 0) return;
    const details = new Map((await this.#ctx.ceph.poolLsDetail()).map((d) => [d.name, d]));
    for (const p of managed) {
      const poolId = p.status?.poolId;
      if (poolId === undefined) continue; // not created yet: its own reconcile handles it
      const d = details.get(p.metadata.name);
      if (!d || d.id !== poolId) {
        enqueue(p.metadata.name);
        continue;
      }
      const drift = poolDrift(p.spec, d);
      // Under driftPolicy Report a drift already reported is not looked at again each interval.
      const reported = reportsDrift(p) && drift.every((x) => p.status?.drift?.includes(x));
      if (drift.length > 0 && !reported) enqueue(p.metadata.name);
    }
  }

  async #refreshStats(): Promise<void> {
    const { ceph, pvc } = this.#ctx;
    const managed = new Set(
      this.#informer
        .list()
        .filter((p) => p.status?.poolId !== undefined)
        .map((p) => p.metadata.name),
    );
    if (managed.size === 0) return;
    const [df, rados] = await Promise.all([ceph.df(), ceph.radosDf()]);
    const radosByName = new Map(
      ((rados.raw.pools ?? []) as Record<string, unknown>[]).map((p) => [String(p.name), p]),
    );
    const cache = await this.#keys.ready();
    const ops: ZkOp[] = [];
    for (const dfPool of (df.raw.pools ?? []) as Record<string, unknown>[]) {
      const pool = String(dfPool.name);
      if (!managed.has(pool)) continue;
      const path = pvc.cephPoolKey(pool, "stats");
      const node = cache.get(path);
      if (!node) continue; // not mirrored yet
      const stats = poolStats(dfPool, radosByName.get(pool) ?? {});
      if (node.data !== stats) ops.push({ op: "set", path, data: stats });
    }
    if (ops.length > 0) await this.#keys.commit(ops);
  }
}
