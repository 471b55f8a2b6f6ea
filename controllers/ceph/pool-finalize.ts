/**
 * Deleting a CephPool (behind its finalizer): a pool that still holds RBD images keeps the
 * finalizer and a DeletionBlocked condition naming them, until they are gone or
 * `spec.confirmDeleteWithVolumes` equals the pool's name; a pool that cannot even be listed says
 * so and how to delete it anyway. deletionPolicy Retain leaves the pool in Ceph and drops the
 * mirror; the mirror is ours to drop only if the pool was (a foreign pool's PVC keys stay).
 */
import type { CephPool } from "../../src/resources/specs.ts";
import type { CephPoolStatus } from "../../src/resources/statuses.ts";
import { deletionBlocked } from "../../src/runtime/conditions.ts";
import { listSome } from "../../src/runtime/drift.ts";
import { nextStatus, writeStatusIfChanged } from "../../src/runtime/status.ts";
import type { ControllerContext } from "../types.ts";
import { errorMessage, isEnoent, POOL_FINALIZER, type ReconcileResult } from "./common.ts";
import type { CephKeys } from "./keys.ts";
import { poolRoots } from "./pool-state.ts";

export async function finalizePool(
  ctx: ControllerContext,
  keys: CephKeys,
  pool: CephPool,
): Promise<ReconcileResult> {
  const name = pool.metadata.name;
  const st = pool.status ?? {};
  const owned = st.poolId !== undefined || st.pendingCreate !== undefined;
  if (pool.spec.deletionPolicy === "Delete" && owned) {
    const d = (await ctx.ceph.poolLsDetail()).find((p) => p.name === name);
    if (d && (st.poolId === undefined || d.id === st.poolId)) {
      const blocked = await blockedBy(ctx, pool);
      if (blocked) {
        const next = nextStatus<CephPoolStatus>(
          pool,
          blocked.fields,
          deletionBlocked(blocked.reason, blocked.message, pool.metadata.generation),
        );
        await writeStatusIfChanged(ctx.store, pool, next);
        return { requeueAfter: ctx.settings.cephPollIntervalMs };
      }
      await ctx.ceph.poolRm(name).catch((err) => (isEnoent(err) ? undefined : Promise.reject(err)));
      await ctx.eventsOf(pool).normal("Deleted", `Removed pool ${name}`);
    }
  }
  if (owned) await keys.removeTrees(poolRoots(ctx.pvc, name));
  await ctx.store.removeFinalizer("CephPool", name, POOL_FINALIZER);
  return undefined;
}

/** Why the pool may not go yet (volumes in it, unconfirmed), or undefined. */
async function blockedBy(
  ctx: ControllerContext,
  pool: CephPool,
): Promise<{ reason: string; message: string; fields: Partial<CephPoolStatus> } | undefined> {
  const name = pool.metadata.name;
  if (pool.spec.confirmDeleteWithVolumes === name) return undefined;
  let images: string[];
  try {
    images = (await ctx.ceph.rbdLs(name).catch((err) => (isEnoent(err) ? [] : Promise.reject(err))))
      .filter((e) => e.snapshot === undefined)
      .map((e) => e.image);
  } catch (err) {
    // A pool whose placement groups cannot serve I/O (e.g. more copies than OSDs) cannot even be
    // listed: say so, and how to delete it anyway, instead of retrying forever.
    return {
      reason: "PoolUnreadable",
      message: `cannot list the volumes of pool ${name} (${errorMessage(err)}); set spec.confirmDeleteWithVolumes to "${name}" to delete it without looking`,
      fields: {},
    };
  }
  if (images.length === 0) return undefined;
  return {
    reason: "PoolHasVolumes",
    message: `pool ${name} still holds ${images.length} volume(s): ${listSome(images, 10)}; delete them first, or set spec.confirmDeleteWithVolumes to "${name}" to delete the pool with them`,
    fields: { volumes: images.length },
  };
}
