/**
 * What wakes a CephVolume besides a change of its own spec or metadata (the one wake-up rule of
 * src/runtime/controller.ts: every source attached on start, detached on stop):
 * - its pool turning Ready (volumes not created yet wait for it);
 * - its copy source turning Ready (copies wait for a source of ours that is not created yet);
 * - during a rename, any change of the old object or of either side's snapshots;
 * - an out-of-band edit of its keys (the mirror of `/ceph`);
 * - the image poller's listing of its pool showing its image missing, replaced, resized or with
 *   another snapshot count than the status says (only on a change of the listing, or while it
 *   drifts: one look per change, not one per interval);
 * - the mirror lane's read finishing (the lane's `done`).
 */
import type { RbdLsEntry } from "../../../src/ceph/types.ts";
import type { CephPool, CephSnapshot, CephVolume } from "../../../src/resources/specs.ts";
import type { Controller } from "../../../src/runtime/controller.ts";
import { specOrMetadataChanged } from "../../../src/runtime/predicates.ts";
import { type Indexer, indexInformer } from "../../../src/store/indexer.ts";
import type { Informer } from "../../../src/store/informer.ts";
import type { ControllerContext } from "../../types.ts";
import { isReadyStatus, isStalledStatus } from "../common.ts";
import { type CephKeys, cephPathOf } from "../keys.ts";
import type { MirrorLane } from "../mirror-lane.ts";
import { oldNameOf } from "./rename.ts";

/** What the poller compares: id, size and snapshot names of one image in an `rbd ls -l` listing. */
export function imagePrints(entries: RbdLsEntry[]): Map<string, { id: string; size: number; snaps: number }> {
  const out = new Map<string, { id: string; size: number; snaps: number }>();
  for (const e of entries) {
    const cur = out.get(e.image) ?? { id: String(e.raw.id ?? ""), size: 0, snaps: 0 };
    if (e.snapshot === undefined) cur.size = e.size;
    else cur.snaps++;
    out.set(e.image, cur);
  }
  return out;
}

const imageKey = (pool: string, image: string) => `${pool}/${image}`;
/** Not created yet (no image of ours): what waits for a pool or a copy source. */
const uncreated = (v: CephVolume | undefined) =>
  v !== undefined && !v.status?.imageId && !v.status?.createdAt;

export class VolumeWakes {
  readonly #ctx: ControllerContext;
  readonly #informer: Informer<CephVolume>;
  readonly #pools: Informer<CephPool>;
  readonly #snapshots: Informer<CephSnapshot>;
  readonly #byPool: Indexer<CephVolume, string>;
  readonly #byImage: Indexer<CephVolume, string>;
  readonly #bySource: Indexer<CephVolume, string>;
  /** Renames by the name of the object they move from. */
  readonly #byOldName: Indexer<CephVolume, string>;
  /** The image print each volume had at the last listing. */
  readonly #lastPrint = new Map<string, string>();

  constructor(ctx: ControllerContext, informer: Informer<CephVolume>) {
    this.#ctx = ctx;
    this.#informer = informer;
    this.#pools = ctx.informer("CephPool");
    this.#snapshots = ctx.informer("CephSnapshot");
    this.#byPool = indexInformer(informer, (v) => [v.spec.pool]);
    this.#byImage = indexInformer(informer, (v) => [imageKey(v.spec.pool, v.spec.name)]);
    this.#bySource = indexInformer(informer, (v) =>
      v.spec.source ? [imageKey(v.spec.source.pool, v.spec.source.volume)] : [],
    );
    this.#byOldName = indexInformer(informer, (v) => {
      const old = oldNameOf(v);
      return old === undefined ? [] : [old];
    });
  }

  #volumes(index: Indexer<CephVolume, string>, key: string): CephVolume[] {
    return index
      .get(key)
      .sort()
      .flatMap((name) => this.#informer.get(name) ?? []);
  }

  /** The CephVolume of ours that is the image `pool/volume`, if any. */
  volumeOfImage(pool: string, volume: string): CephVolume | undefined {
    return this.#volumes(this.#byImage, imageKey(pool, volume))[0];
  }

  /** A pool (still there) changed: the volumes waiting for it. */
  #waitingForPool(pool: CephPool): string[] {
    if (!this.#pools.get(pool.metadata.name)) return [];
    return this.#volumes(this.#byPool, pool.metadata.name)
      .filter(uncreated)
      .map((v) => v.metadata.name);
  }

  /** A volume (still there) appeared or turned Ready: the copies of it waiting. */
  #copiesWaitingFor(v: CephVolume): string[] {
    if (!this.#informer.get(v.metadata.name)) return [];
    return this.#volumes(this.#bySource, imageKey(v.spec.pool, v.spec.name))
      .filter(uncreated)
      .map((w) => w.metadata.name);
  }

  /** Renames still moving from (or to) the volume named `name`. */
  #renamesAt(name: string): string[] {
    const renames = this.#byOldName.get(name);
    const self = this.#informer.get(name);
    if (self && oldNameOf(self) !== undefined) renames.push(name);
    return renames.filter((n) => !isReadyStatus(this.#informer.get(n)));
  }

  /** `/ceph/volumes/<pool>/<volume>[/stats]` and the `/ceph/snapshots/<pool>/<volume>` parent. */
  #ownerOfPath(path: string): string[] {
    const where = cephPathOf(this.#ctx.pvc, path);
    if (!where || where.area === "pools" || where.parts.length < 2) return [];
    if (where.area === "snapshots" && where.parts.length !== 2) return [];
    const key = `${where.parts[0]}.${where.parts[1]}`;
    return this.#informer.get(key) ? [key] : [];
  }

  /** The volumes a pool's listing shows changed or drifting. */
  #fromListing(pool: string, entries: RbdLsEntry[] | null): string[] {
    const prints = entries ? imagePrints(entries) : new Map();
    const woken: string[] = [];
    for (const v of this.#volumes(this.#byPool, pool)) {
      if (v.metadata.deletionTimestamp) continue;
      const st = v.status ?? {};
      const seen = prints.get(v.spec.name);
      const print = seen ? `${seen.id}:${seen.size}:${seen.snaps}` : "-";
      const before = this.#lastPrint.get(v.metadata.name);
      this.#lastPrint.set(v.metadata.name, print);
      const snaps = Number((st.stats as { snapshot_count?: number } | undefined)?.snapshot_count ?? 0);
      const drifted =
        st.imageId !== undefined &&
        (!seen || seen.id !== st.imageId || seen.size !== st.sizeBytes || seen.snaps !== snaps);
      const stalledNow = isStalledStatus(v);
      // The first listing has no baseline: a stalled volume gets one look (its image may have
      // been removed or replaced, as its message asked, before we listed).
      const changed = before === undefined ? stalledNow : before !== print;
      if (changed || (drifted && !(stalledNow && before === print))) woken.push(v.metadata.name);
    }
    return woken;
  }

  /**
   * Whether the pool's last listing showed the volume's image as its status says (id, size,
   * snapshot count). Undefined before any listing of that pool: nothing is known yet.
   */
  listedAsStatus(vol: CephVolume): boolean {
    const st = vol.status ?? {};
    const snaps = Number((st.stats as { snapshot_count?: number } | undefined)?.snapshot_count ?? 0);
    return this.#lastPrint.get(vol.metadata.name) === `${st.imageId}:${st.sizeBytes}:${snaps}`;
  }

  /** Attaches every source to the controller (each attached on start, detached on stop). */
  attach(controller: Controller, keys: CephKeys, lane: Pick<MirrorLane<unknown>, "stop">): void {
    // Our own status writes come back as status-only updates: nothing to do for them.
    controller.watchInformer(this.#informer, { updateIf: specOrMetadataChanged });
    controller.watchInformer<CephPool>(this.#pools, { keysFor: (p) => this.#waitingForPool(p) });
    controller.watchInformer<CephVolume>(this.#informer, {
      keysFor: (v) => this.#copiesWaitingFor(v),
      updateIf: (next, prev) => isReadyStatus(next) && !isReadyStatus(prev),
    });
    controller.watchInformer<CephVolume>(this.#informer, {
      keysFor: (v) => this.#renamesAt(v.metadata.name),
    });
    controller.watchInformer<CephSnapshot>(this.#snapshots, {
      keysFor: (s) => this.#renamesAt(`${s.spec.pool}.${s.spec.volume}`),
    });
    controller.useMirror(keys.mirror, (path) => this.#ownerOfPath(path));
    controller.watch((enqueue) =>
      this.#ctx.cephImages.subscribe(
        () => new Set(this.#byPool.keys()),
        (pool, entries) => {
          for (const name of this.#fromListing(pool, entries)) enqueue(name);
        },
      ),
    );
    // The lane and the listing baseline live while the controller runs.
    controller.watch(() => () => {
      lane.stop();
      this.#lastPrint.clear();
    });
  }
}
