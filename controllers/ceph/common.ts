/**
 * What the three Ceph kind controllers (CephPool, CephVolume, CephSnapshot) share, besides the
 * mirror of PVC's `/ceph` keys (keys.ts) and the image poller (src/ceph/image-poller.ts):
 *
 * - names: finalizers, annotations, the Mirrored condition;
 * - the intent record ("no leaks, no duplicates"): before a Ceph side effect that creates
 *   something, `status.pendingCreate = {op, at, uid}` is written; the outcome (the Ceph object's
 *   id) replaces it afterwards. A reconcile that finds an intent checks Ceph before acting again.
 *   (CephVolume's plain create records `createdAt` as its outcome first: see volume.ts.) Tests
 *   act between the two by giving the controllers a CephClient subclass (test/helpers/ceph-hooks.ts);
 * - how a failed Ceph command shows in the conditions (`reportingCephFailures`);
 * - small helpers on errors, Ceph's timestamps and statuses.
 */
import { isUnavailable } from "../../src/ceph/run.ts";
import { type ErrorCode, ErrorCodes, PvcError } from "../../src/errors.ts";
import { MIRRORED } from "../../src/resources/statuses.ts";
import type { Resource, ResourceStatus } from "../../src/resources/types.ts";
import { isTrue, reconciling } from "../../src/runtime/conditions.ts";
import type { Reconciler, WakeSource } from "../../src/runtime/controller.ts";
import { nextStatus, writeStatusIfChanged } from "../../src/runtime/status.ts";
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

export type { PendingCreate } from "../../src/resources/statuses.ts";
export { nextStatus } from "../../src/runtime/status.ts";

/** A reconcile's result (the work queue's): nothing, or look again after a while. */
export type ReconcileResult = { requeueAfter?: number } | undefined;

export function isCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof PvcError && err.code === code;
}

export const isEnoent = (err: unknown) => isCode(err, ErrorCodes.CEPH_ENOENT);

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

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
export function fieldsStatus<S extends ResourceStatus>(res: { status?: S }, patch: Partial<S>): S {
  const status: S = { ...(res.status ?? ({} as S)), ...patch };
  for (const key of Object.keys(status)) if (status[key] === undefined) delete status[key];
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

export function isReadyStatus(res: Resource<unknown> | undefined): boolean {
  return isTrue(res?.status?.conditions, "Ready");
}

export function isStalledStatus(res: Resource<unknown> | undefined): boolean {
  return isTrue(res?.status?.conditions, "Stalled");
}

/** CephVolume's second condition (src/resources/statuses.ts says what it means). */
export { MIRRORED };

export function isMirroredStatus(res: Resource<unknown> | undefined): boolean {
  return isTrue(res?.status?.conditions, MIRRORED);
}

/** Reconciling reason of a CephVolume whose rename (rename-from) is still moving things over. */
export const RENAMING = "Renaming";

/**
 * Whether snapshots of this volume may be taken or adopted: its image is ours and PVC's keys for
 * it are written (the snapshots' keys go under its `/ceph/snapshots/<pool>/<volume>`). That is
 * Ready and Mirrored, or, during a rename, Mirrored while the renamed snapshots are adopted.
 */
export function servesSnapshots(vol: Resource<unknown> | undefined): boolean {
  if (!vol || vol.metadata.deletionTimestamp || !isMirroredStatus(vol)) return false;
  if (isReadyStatus(vol)) return true;
  const reconcilingNow = (vol.status?.conditions ?? []).find((c) => c.type === "Reconciling");
  return reconcilingNow?.status === "True" && reconcilingNow.reason === RENAMING;
}

/**
 * A wake-up source (`Controller.watch`) that runs `fn` every `ms` while the controller runs, the
 * next run timed from the end of the last; a failure is handed to `onError` and tried again.
 */
export function every(
  ms: number,
  fn: (enqueue: (key: string) => void) => Promise<void>,
  onError: (err: unknown) => void,
): WakeSource {
  return (enqueue) => {
    let running = true;
    let timer: NodeJS.Timeout | undefined;
    const tick = () => {
      timer = setTimeout(() => {
        void fn(enqueue)
          .catch(onError)
          .finally(() => {
            if (running) tick();
          });
      }, ms);
      timer.unref();
    };
    tick();
    return () => {
      running = false;
      clearTimeout(timer);
    };
  };
}
