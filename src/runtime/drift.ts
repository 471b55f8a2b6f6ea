/**
 * `spec.driftPolicy` (every kind; default Repair): what a controller does when what it owns was
 * changed behind its back (PVC's own CLI still writes ZooKeeper directly: DHCP reservations, ACLs).
 *
 * - Repair: put the spec's version back (and count it: `pvc_drift_repairs_total`).
 * - Report: keep the out-of-band change; the resource shows `Drifted=True` naming what differs,
 *   with a `DriftDetected` event, and nothing is written until the spec changes (a new
 *   generation is converged as usual, which also ends the drift) or the policy goes back to
 *   Repair (a spec change too).
 *
 * A difference is drift only once the object's current generation has been converged: before
 * that it is the work of converging the spec, which either policy does.
 */
import type { Resource, ResourceStatus } from "../resources/types.ts";
import { type ConditionPatch, isReady } from "./conditions.ts";

export type DriftPolicy = "Repair" | "Report";

export const DRIFTED = "Drifted";

export function driftPolicyOf(obj: Resource<unknown, ResourceStatus>): DriftPolicy {
  const policy = (obj.spec as { driftPolicy?: unknown } | undefined)?.driftPolicy;
  return policy === "Report" ? "Report" : "Repair";
}

/** Whether this object's current generation was converged (Ready for it) before this reconcile. */
export function convergedBefore(obj: Resource<unknown, ResourceStatus>): boolean {
  return (
    obj.status?.observedGeneration === obj.metadata.generation &&
    isReady(obj.status?.conditions, obj.metadata.generation)
  );
}

/** Whether differences found now are to be reported and kept, not repaired. */
export function reportsDrift(obj: Resource<unknown, ResourceStatus>): boolean {
  return driftPolicyOf(obj) === "Report" && convergedBefore(obj);
}

/** The paths that are not below another one of them (a subtree is named once, by its root). */
export function topmost(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  const out: string[] = [];
  for (const p of sorted) {
    const last = out.at(-1);
    if (last !== undefined && p.startsWith(`${last}/`)) continue;
    out.push(p);
  }
  return out;
}

/** At most `max` items, and how many more: `a, b, c (+4)`. */
export function listSome(items: readonly string[], max = 5): string {
  return items.slice(0, max).join(", ") + (items.length > max ? ` (+${items.length - max})` : "");
}

/** Drifted=True naming what differs (the condition a Report policy leaves). */
export function drifted(what: readonly string[], observedGeneration?: number): ConditionPatch {
  return {
    set: [
      {
        type: DRIFTED,
        status: "True",
        reason: "ChangedOutOfBand",
        message: `${what.length} owned ${what.length === 1 ? "item differs" : "items differ"} from the spec and ${what.length === 1 ? "was" : "were"} kept (driftPolicy Report): ${listSome(what)}`,
        observedGeneration,
      },
    ],
  };
}

/** Both patches: the first's conditions, then the second's (the second wins on a type both set). */
export function withConditions(a: ConditionPatch, b: ConditionPatch): ConditionPatch {
  return { set: [...a.set, ...b.set], remove: [...(a.remove ?? []), ...(b.remove ?? [])] };
}

/** Removes Drifted (the spec's version holds again). */
export function notDrifted(patch: ConditionPatch): ConditionPatch {
  return withConditions(patch, { set: [], remove: [DRIFTED] });
}
