/**
 * What the three Ceph kind controllers (CephPool, CephVolume, CephSnapshot) share:
 *
 * - the Ceph client from `ctx.services.ceph`, and test hooks from `ctx.services.cephTestHooks`;
 * - one TreeCache of `/ceph` (one persistent recursive watch) per controller context, through
 *   which mirror writes are planned (zero writes when converged) and out-of-band edits of the
 *   mirror wake the owning resource;
 * - one image poller per context: every `cephPollIntervalMs`, one `rbd ls -l` per pool that holds
 *   managed volumes or snapshots (never one call per volume); subscribers compare the listing
 *   with their resources' status and enqueue only what drifted;
 * - the status helpers (conditions the kstatus way, zero writes when nothing changed);
 * - the intent record ("no leaks, no duplicates"): before a Ceph side effect that creates
 *   something, `status.pendingCreate = {op, at, uid}` is written; the outcome (the Ceph object's
 *   id) replaces it afterwards. A reconcile that finds an intent checks Ceph before acting again.
 *   (CephVolume's plain create records `createdAt` as its outcome first: see volume.ts.)
 */
import type { CephClient } from "../../src/ceph/client.ts";
import { isUnavailable } from "../../src/ceph/run.ts";
import type { RbdLsEntry } from "../../src/ceph/types.ts";
import { type ErrorCode, ErrorCodes, PvcError } from "../../src/errors.ts";
import { planTreeSync } from "../../src/pvc/tree-sync.ts";
import { MIRRORED } from "../../src/resources/statuses.ts";
import type { Resource, ResourceStatus } from "../../src/resources/types.ts";
import { reconciling } from "../../src/runtime/conditions.ts";
import type { Reconciler } from "../../src/runtime/controller.ts";
import { nextStatus, writeStatusIfChanged } from "../../src/runtime/status.ts";
import type { ZkOp } from "../../src/zk/client.ts";
import { TreeCache } from "../../src/zk/tree-cache.ts";
import type { ControllerContext } from "../types.ts";

export const GROUP = "pvc.parallelvirtualcluster.org";
export const POOL_FINALIZER = `${GROUP}/cephpool`;
export const VOLUME_FINALIZER = `${GROUP}/cephvolume`;
export const SNAPSHOT_FINALIZER = `${GROUP}/cephsnapshot`;

export {
  ADOPT_ANNOTATION,
  IMAGE_ID_ANNOTATION,
  RENAME_FROM_ANNOTATION,
} from "../../src/resources/annotations.ts";

/** An intent recorded before a creating side effect. */
export interface PendingCreate {
  op: "create" | "copy" | "rename" | "snap-create" | "pool-create";
  /** ISO time the intent was recorded (before the command ran). */
  at: string;
  /** metadata.uid of the object that recorded it: an intent of a former incarnation is void. */
  uid: string;
}

/** Test-only hooks (never set in production): called around creating side effects. */
export interface CephTestHooks {
  /** After the intent is in ZooKeeper, before the Ceph command runs. */
  afterIntent?(kind: string, name: string, intent: PendingCreate): Promise<void> | void;
  /** After the Ceph command returned, before its outcome is recorded. */
  afterCreate?(kind: string, name: string, intent: PendingCreate): Promise<void> | void;
}

export function cephOf(ctx: ControllerContext): CephClient {
  const ceph = ctx.services.ceph as CephClient | undefined;
  if (!ceph) throw new Error("the Ceph controllers need ctx.services.ceph (a CephClient)");
  return ceph;
}

export function hooksOf(ctx: ControllerContext): CephTestHooks {
  return (ctx.services.cephTestHooks as CephTestHooks | undefined) ?? {};
}

export function isCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof PvcError && err.code === code;
}

export const isEnoent = (err: unknown) => isCode(err, ErrorCodes.CEPH_ENOENT);

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export { nextStatus } from "../../src/runtime/status.ts";

/** Ready=False reason of an object whose last reconcile found Ceph not answering. */
export const CEPH_UNAVAILABLE = "CephUnavailable";
/** Ready=False reason of an object whose last reconcile had a Ceph command fail otherwise. */
export const CEPH_COMMAND_FAILED = "CephCommandFailed";

/** A failed Ceph call (the runner's typed errors), as opposed to a ZooKeeper or programming error. */
function isCephFailure(err: unknown): err is PvcError {
  return err instanceof PvcError && err.code.startsWith("CEPH_");
}

/**
 * Wraps a Ceph kind's reconcile: when it fails on a Ceph command, the object's conditions say so
 * at once, naming the command and its error (`Ready=False, CephUnavailable, "rbd create og/v5
 * timed out after 30 s (killed)"`), instead of keeping what the reconcile last wrote (e.g.
 * `Creating`) while the work queue retries with backoff. Reconciling stays True: the retry is
 * automatic, and the next success replaces the condition. The error is rethrown for that retry.
 */
export function reportingCephFailures(
  ctx: ControllerContext,
  kind: string,
  reconcile: Reconciler,
): Reconciler {
  return async (key, run) => {
    try {
      return await reconcile(key, run);
    } catch (err) {
      if (isCephFailure(err)) {
        const reason = isUnavailable(err) ? CEPH_UNAVAILABLE : CEPH_COMMAND_FAILED;
        try {
          const obj = await ctx.store.tryGet(kind, key);
          if (obj)
            await writeStatusIfChanged(
              ctx.store,
              obj,
              nextStatus(obj, {}, reconciling(reason, err.message, obj.metadata.generation)),
            );
        } catch (writeErr) {
          ctx.logger.warn({ err: writeErr, kind, key }, "could not report a Ceph failure in the status");
        }
      }
      throw err;
    }
  };
}

/** Intent or outcome fields only (no condition change), written at once. */
export function fieldsStatus<S extends ResourceStatus>(res: Resource<unknown>, patch: Partial<S>): S {
  const status = { ...(res.status ?? {}), ...patch } as S;
  for (const key of Object.keys(status)) {
    if ((status as Record<string, unknown>)[key] === undefined)
      delete (status as Record<string, unknown>)[key];
  }
  return status;
}

/** A Ceph creation timestamp (`Thu Nov 26 17:58:33 2026`, second resolution) in ms, or NaN. */
export function cephTime(text: unknown): number {
  return typeof text === "string" ? Date.parse(text) : Number.NaN;
}

/**
 * Whether an object Ceph created at `createdMs` (second resolution) can be the result of the
 * intent recorded at `intentAt`: created at or after the intent (allowing the truncation to whole
 * seconds and a little clock skew between us and the mon).
 */
export function createdAfterIntent(createdMs: number, intentAt: string): boolean | undefined {
  const at = Date.parse(intentAt);
  if (!Number.isFinite(createdMs) || !Number.isFinite(at)) return undefined;
  return createdMs >= at - 2000;
}

// --- the shared /ceph mirror and the image poller ------------------------------------------------

type ListingListener = (pool: string, entries: RbdLsEntry[] | null) => void;
type PathListener = (path: string) => void;

/**
 * Per controller context: one TreeCache of `/ceph` and one image poller, started by the first
 * controller that needs them and stopped with the last.
 */
export class CephShared {
  readonly #ctx: ControllerContext;
  #cache: TreeCache | undefined;
  #cacheReady: Promise<void> | undefined;
  #users = 0;
  #pathListeners = new Set<PathListener>();
  #pollers = new Map<object, { pools: () => Iterable<string>; onListing: ListingListener }>();
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;
  /** The last listing of each pool (null: the pool could not be listed, e.g. it is gone). */
  readonly listings = new Map<string, RbdLsEntry[] | null>();

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
  }

  static of(ctx: ControllerContext): CephShared {
    let shared = sharedByCtx.get(ctx);
    if (!shared) {
      shared = new CephShared(ctx);
      sharedByCtx.set(ctx, shared);
    }
    return shared;
  }

  acquire(): void {
    this.#users++;
  }

  release(): void {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users > 0) return;
    this.#cache?.stop();
    this.#cache = undefined;
    this.#cacheReady = undefined;
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  /** Listens to out-of-band changes of mirror paths (our own writes are not reported). */
  onPathChange(listener: PathListener): () => void {
    this.#pathListeners.add(listener);
    return () => this.#pathListeners.delete(listener);
  }

  async mirror(): Promise<TreeCache> {
    if (!this.#cache) {
      const fresh = new TreeCache(this.#ctx.zk, this.#ctx.pvc.ceph());
      this.#cache = fresh;
      fresh.on("change", (path) => {
        for (const l of this.#pathListeners) l(path);
      });
      fresh.on("error", (err) => this.#ctx.logger.warn({ err }, "ceph mirror: a read failed; reloading"));
      const { pvc, zk } = this.#ctx;
      // The parents PVC creates at cluster bootstrap; pools and volumes are created under them.
      this.#cacheReady = Promise.all(
        [pvc.cephPools(), pvc.cephVolumes(), pvc.cephSnapshots(), pvc.cephOsds()].map((p) => zk.mkdirp(p)),
      )
        .then(() => fresh.start())
        .catch((err: unknown) => {
          // Not kept when it fails (the session went meanwhile): the next call builds anew.
          fresh.stop();
          if (this.#cache === fresh) {
            this.#cache = undefined;
            this.#cacheReady = undefined;
          }
          throw err;
        });
    }
    const cache = this.#cache;
    await this.#cacheReady;
    return cache;
  }

  /**
   * Makes the mirror under `roots` equal `desired` (paths not under a root are ignored; `keep`
   * protects paths owned by others) in one multi, with `alongside` (e.g. the status write that
   * reports the mirror, so that it never claims keys that were not written). Returns the paths
   * that changed.
   */
  async sync(
    desired: Map<string, string>,
    roots: string[],
    keep: (p: string) => boolean = () => false,
    alongside: ZkOp[] = [],
  ) {
    const cache = await this.mirror();
    const observed = new Map<string, string>();
    for (const root of roots) for (const [p, v] of cache.subtree(root)) observed.set(p, v);
    const plan = planTreeSync(desired, observed, keep);
    const ops = [...plan.ops, ...alongside];
    if (ops.length > 0) await this.commit(ops);
    return plan.changed;
  }

  /** Commits ops as one multi through the mirror (which learns them at once, quietly: our own writes wake nobody). */
  async commit(ops: ZkOp[]): Promise<void> {
    const cache = await this.mirror();
    await cache.commit(ops, { quiet: true });
  }

  /** Removes whole subtrees of the mirror (children first), ignoring what is already gone. */
  async removeTrees(roots: string[]): Promise<void> {
    const cache = await this.mirror();
    const paths = roots.flatMap((r) => [...cache.subtree(r).keys()]);
    if (paths.length === 0) return;
    const ops = paths
      .sort((a, b) => b.split("/").length - a.split("/").length)
      .map((path) => ({ op: "delete" as const, path }));
    try {
      await this.commit(ops);
    } catch {
      // The cache lagged (something appeared meanwhile): remove what is there now.
      for (const r of roots) await this.#ctx.zk.deleteRecursive(r).catch(() => undefined);
    }
  }

  /** Subscribes to the image poller; `pools()` names the pools this subscriber cares about. */
  poll(owner: object, pools: () => Iterable<string>, onListing: ListingListener): () => void {
    this.#pollers.set(owner, { pools, onListing });
    this.#schedulePoll();
    return () => {
      this.#pollers.delete(owner);
      if (this.#pollers.size === 0) {
        clearTimeout(this.#pollTimer);
        this.#pollTimer = undefined;
      }
    };
  }

  #schedulePoll(): void {
    if (this.#pollTimer || this.#pollers.size === 0) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      this.pollNow()
        .catch((err) => this.#ctx.logger.warn({ err }, "ceph poll failed; trying again next interval"))
        .finally(() => this.#schedulePoll());
    }, this.#ctx.settings.cephPollIntervalMs);
    this.#pollTimer.unref();
  }

  /** One `rbd ls -l` per pool of interest; every subscriber hears every listing. */
  async pollNow(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const ceph = cephOf(this.#ctx);
      const pools = new Set<string>();
      for (const p of this.#pollers.values()) for (const pool of p.pools()) pools.add(pool);
      await Promise.all(
        [...pools].map(async (pool) => {
          let entries: RbdLsEntry[] | null;
          try {
            entries = await ceph.rbdLs(pool);
          } catch (err) {
            if (!isEnoent(err)) {
              this.#ctx.logger.warn({ err, pool }, "ceph poll: rbd ls failed; trying again next interval");
              return;
            }
            entries = null;
          }
          this.listings.set(pool, entries);
          for (const p of this.#pollers.values()) p.onListing(pool, entries);
        }),
      );
    } finally {
      this.#polling = false;
    }
  }
}

const sharedByCtx = new WeakMap<ControllerContext, CephShared>();

export function isReadyStatus(res: Resource<unknown> | undefined): boolean {
  return (res?.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** CephVolume's second condition (src/resources/statuses.ts says what it means). */
export { MIRRORED };

export function isMirroredStatus(res: Resource<unknown> | undefined): boolean {
  return (res?.status?.conditions ?? []).some((c) => c.type === MIRRORED && c.status === "True");
}
