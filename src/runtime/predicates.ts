/**
 * Update predicates for `Controller.watchInformer` (controller-runtime's GenerationChangedPredicate
 * and friends): which updates of an object are worth a reconcile.
 */
import { isDeepStrictEqual } from "node:util";
import type { ObjectMeta } from "../resources/types.ts";

/**
 * True unless only the status (and so the resourceVersion) changed. A controller's own status
 * write comes back as such an update; reconciling it again would only find nothing to do. Spec
 * changes bump generation; deletion, finalizers, labels, annotations, owners and a re-created
 * object (new uid) are metadata a reconcile may act on.
 */
export function specOrMetadataChanged(
  next: { metadata: ObjectMeta },
  prev: { metadata: ObjectMeta },
): boolean {
  const a = next.metadata;
  const b = prev.metadata;
  return (
    a.generation !== b.generation ||
    a.uid !== b.uid ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !isDeepStrictEqual(a.finalizers ?? [], b.finalizers ?? []) ||
    !isDeepStrictEqual(a.labels ?? {}, b.labels ?? {}) ||
    !isDeepStrictEqual(a.annotations ?? {}, b.annotations ?? {}) ||
    !isDeepStrictEqual(a.ownerReferences ?? [], b.ownerReferences ?? [])
  );
}
