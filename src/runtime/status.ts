/**
 * Building and writing a resource's status from a reconcile: the previous status, what this
 * reconcile observed, and the standard conditions; written only when it changed, so that a
 * converged object costs zero writes per resync.
 */
import type { Condition, Resource, ResourceStatus } from "../resources/types.ts";
import type { ResourceStore } from "../store/store.ts";
import { applyConditions, type ConditionPatch, statusEqual } from "./conditions.ts";

/** The status after a reconcile: previous fields, the patch (undefined removes a field), the conditions. */
export function nextStatus<S extends ResourceStatus>(
  res: Resource<unknown>,
  patch: Partial<S>,
  condition: ConditionPatch,
): S {
  const prev = (res.status ?? {}) as S;
  const conditions = applyConditions(
    prev.conditions as Condition[] | undefined,
    condition,
    new Date(),
  ).conditions;
  const status = { ...prev, ...patch, observedGeneration: res.metadata.generation, conditions } as S;
  for (const key of Object.keys(status)) {
    if ((status as Record<string, unknown>)[key] === undefined)
      delete (status as Record<string, unknown>)[key];
  }
  return status;
}

/** Writes `status` unless the object already has it; returns the object as it now stands. */
export async function writeStatusIfChanged<T extends Resource<unknown>>(
  store: ResourceStore,
  obj: T,
  status: ResourceStatus,
): Promise<T> {
  if (statusEqual(obj.status ?? {}, status)) return obj;
  await store.updateStatus(obj.kind, obj.metadata.name, status);
  return { ...obj, status };
}
