/**
 * Checks on user writes that the store does not make, because they concern who writes and how an
 * object may change rather than what a valid object is:
 * - kinds the cluster creates itself (Node: a node daemon registers its own) cannot be created by
 *   users (403), though they may be read, patched (desired states) and deleted;
 * - fields the kind declares immutable cannot change (422, listing them), as the registry says.
 */
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import type { KindInfo } from "../../src/resources/kinds.ts";
import type { Resource } from "../../src/resources/types.ts";
import { checkImmutable, validateResource, validationError } from "../../src/resources/validate.ts";
import { applyMergePatch } from "../../src/store/merge-patch.ts";

export function assertUserCreatable(info: KindInfo): void {
  if (info.userCreatable) return;
  throw new PvcError(
    ErrorCodes.FORBIDDEN,
    `${info.kind} objects are created by the cluster itself (each node registers its own); they cannot be created through the API`,
    { details: { kind: info.kind } },
  );
}

/** The stored part of an object, as a write would start from (no status, no resourceVersion). */
function writable(current: Resource): Record<string, unknown> {
  const { resourceVersion: _rv, ...metadata } = current.metadata;
  return { apiVersion: current.apiVersion, kind: current.kind, metadata, spec: current.spec };
}

/** Throws VALIDATION_FAILED if `next` (a full document) changes an immutable field of `current`. */
export function assertImmutableKept(current: Resource, next: unknown): void {
  const validated = validateResource(next); // throws the field list if next is invalid anyway
  const fields = checkImmutable(current, validated);
  if (fields.length > 0) throw validationError(current.kind, current.metadata.name, fields);
}

/** The same for a merge patch of `current`. */
export function assertPatchKeepsImmutable(current: Resource, patch: Record<string, unknown>): void {
  const merged = applyMergePatch(writable(current), { ...patch, status: undefined }) as Record<
    string,
    unknown
  >;
  merged.kind = current.kind;
  merged.metadata = { ...(merged.metadata as object), name: current.metadata.name };
  assertImmutableKept(current, merged);
}
