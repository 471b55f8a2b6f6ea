/**
 * Pure helpers for status conditions, the Kubernetes way (kstatus): `lastTransitionTime` changes
 * only when `status` flips, and nothing changes at all when nothing changed, so that a converged
 * object costs zero status writes per resync (compare with `statusEqual` before writing).
 *
 * The standard set, produced together so that they never contradict each other:
 * | helper            | Ready | Reconciling | Stalled | DeletionBlocked |
 * | ready()           | True  | False       | False   | (removed)       |
 * | reconciling()     | False | True        | False   | (removed)       |
 * | stalled()         | False | False       | True    | (removed)       |
 * | deletionBlocked() | False | False       | False   | True            |
 */
import type { Condition, ConditionStatus } from "../resources/types.ts";

export const ConditionTypes = {
  Ready: "Ready",
  Reconciling: "Reconciling",
  Stalled: "Stalled",
  DeletionBlocked: "DeletionBlocked",
} as const;

/** A condition as a reconcile states it; `lastTransitionTime` is the helpers' business. */
export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** Conditions to set and condition types to remove, applied together by `applyConditions`. */
export interface ConditionPatch {
  set: ConditionInput[];
  remove?: string[];
}

export interface ConditionsUpdate {
  conditions: Condition[];
  /** False when nothing changed; `conditions` is then the very array given (or [] for none). */
  changed: boolean;
}

function isoTime(now: Date | string | undefined): string {
  if (now === undefined) return new Date().toISOString();
  return typeof now === "string" ? now : now.toISOString();
}

export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Sets one condition. The time of transition is kept unless the status flips; if status, reason,
 * message and observedGeneration are all unchanged, the same array comes back with `changed: false`.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  now?: Date | string,
): ConditionsUpdate {
  const current = (conditions ?? []) as Condition[];
  const index = current.findIndex((c) => c.type === input.type);
  const existing = index >= 0 ? current[index] : undefined;
  if (
    existing &&
    existing.status === input.status &&
    existing.reason === input.reason &&
    existing.message === input.message &&
    existing.observedGeneration === input.observedGeneration
  ) {
    return { conditions: current, changed: false };
  }
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message,
    lastTransitionTime:
      existing && existing.status === input.status ? existing.lastTransitionTime : isoTime(now),
  };
  if (input.observedGeneration !== undefined) next.observedGeneration = input.observedGeneration;
  const out = [...current];
  if (index >= 0) out[index] = next;
  else out.push(next);
  return { conditions: out, changed: true };
}

/** Removes the condition of that type; the same array and `changed: false` if there was none. */
export function removeCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): ConditionsUpdate {
  const current = (conditions ?? []) as Condition[];
  if (!current.some((c) => c.type === type)) return { conditions: current, changed: false };
  return { conditions: current.filter((c) => c.type !== type), changed: true };
}

/** Applies a patch (e.g. from `ready()`); `changed: false` and the same array if nothing changed. */
export function applyConditions(
  conditions: readonly Condition[] | undefined,
  patch: ConditionPatch,
  now?: Date | string,
): ConditionsUpdate {
  const at = isoTime(now);
  let update: ConditionsUpdate = { conditions: (conditions ?? []) as Condition[], changed: false };
  for (const input of patch.set) {
    const next = setCondition(update.conditions, input, at);
    update = { conditions: next.conditions, changed: update.changed || next.changed };
  }
  for (const type of patch.remove ?? []) {
    const next = removeCondition(update.conditions, type);
    update = { conditions: next.conditions, changed: update.changed || next.changed };
  }
  return update;
}

/** Whether the condition of that type has status True. */
export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === "True";
}

/**
 * Ready=True; with `generation`, only if Ready was observed for that generation (a Ready left
 * over from an older spec is not readiness).
 */
export function isReady(conditions: readonly Condition[] | undefined, generation?: number): boolean {
  const c = getCondition(conditions, ConditionTypes.Ready);
  if (c?.status !== "True") return false;
  return generation === undefined || c.observedGeneration === generation;
}

function standard(
  statuses: { Ready: ConditionStatus; Reconciling: ConditionStatus; Stalled: ConditionStatus },
  reason: string,
  message: string,
  observedGeneration: number | undefined,
): ConditionInput[] {
  return (["Ready", "Reconciling", "Stalled"] as const).map((type) => ({
    type,
    status: statuses[type],
    reason,
    message,
    observedGeneration,
  }));
}

/** Converged: Ready=True, Reconciling=False, Stalled=False; clears DeletionBlocked. */
export function ready(reason: string, message: string, observedGeneration?: number): ConditionPatch {
  return {
    set: standard(
      { Ready: "True", Reconciling: "False", Stalled: "False" },
      reason,
      message,
      observedGeneration,
    ),
    remove: [ConditionTypes.DeletionBlocked],
  };
}

/** Work in progress: Reconciling=True, Ready=False, Stalled=False; clears DeletionBlocked. */
export function reconciling(reason: string, message: string, observedGeneration?: number): ConditionPatch {
  return {
    set: standard(
      { Ready: "False", Reconciling: "True", Stalled: "False" },
      reason,
      message,
      observedGeneration,
    ),
    remove: [ConditionTypes.DeletionBlocked],
  };
}

/** Cannot progress without outside help: Stalled=True, Ready=False, Reconciling=False. */
export function stalled(reason: string, message: string, observedGeneration?: number): ConditionPatch {
  return {
    set: standard(
      { Ready: "False", Reconciling: "False", Stalled: "True" },
      reason,
      message,
      observedGeneration,
    ),
    remove: [ConditionTypes.DeletionBlocked],
  };
}

/**
 * A delete was asked but must wait (e.g. dependents still use the object): DeletionBlocked=True,
 * Ready=False, Reconciling=False, Stalled=False.
 */
export function deletionBlocked(
  reason: string,
  message: string,
  observedGeneration?: number,
): ConditionPatch {
  return {
    set: [
      ...standard(
        { Ready: "False", Reconciling: "False", Stalled: "False" },
        reason,
        message,
        observedGeneration,
      ),
      { type: ConditionTypes.DeletionBlocked, status: "True", reason, message, observedGeneration },
    ],
  };
}

/**
 * Deep equality of two JSON-like values, ignoring key order; a key whose value is `undefined`
 * counts as absent (as it would after a JSON round trip). Array order matters.
 */
export function statusEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!statusEqual(a[i], b[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const aKeys = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bKeys = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (aKeys.length !== bKeys.length) return false;
  for (const k of aKeys) {
    if (!Object.hasOwn(bo, k) || !statusEqual(ao[k], bo[k])) return false;
  }
  return true;
}

/**
 * A controller's fingerprint (runtime/controller.ts `Fingerprint`) of a converged object: its
 * resourceVersion and the versions of the cached keys it plans against, or undefined unless it is
 * Ready for its generation and not being deleted — an object that waits, failed or goes is run
 * by every resync, whatever woke it or not.
 */
export function convergedFingerprint(
  obj:
    | {
        metadata: { resourceVersion?: string; generation?: number; deletionTimestamp?: string };
        status?: unknown;
      }
    | undefined,
  ...versions: Array<string | undefined>
): string | undefined {
  if (!obj || obj.metadata.deletionTimestamp) return undefined;
  const conditions = (obj.status as { conditions?: Condition[] } | undefined)?.conditions;
  if (!isReady(conditions, obj.metadata.generation)) return undefined;
  if (versions.some((v) => v === undefined)) return undefined;
  return `${obj.metadata.resourceVersion}|${versions.join("|")}`;
}
