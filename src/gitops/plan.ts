/**
 * Step 2 of a sync (sync.ts): each declared document against the object as it is now. A document
 * is held (its file with it) if its kind is created by the cluster and the object does not exist,
 * if another folder owns the object, or if an immutable field would change; otherwise it is
 * applied unless what the folder owns already matches.
 *
 * At 10,000 documents this ran a ZooKeeper read and a deep comparison per document on every
 * sync. With `current` (a synced informer), the object is taken from memory, and a document's
 * verdict is kept until the document or the object changes (both are replaced, never mutated,
 * on a change: identity says it), so a sync after one file's save plans that file's documents.
 */
import { isDeepStrictEqual } from "node:util";
import type { ManifestDoc, ManifestProblem } from "../manifests/manifests.ts";
import { mapLimit } from "../map-limit.ts";
import { lookupKind } from "../resources/kinds.ts";
import type { Resource } from "../resources/types.ts";
import { checkImmutable } from "../resources/validate.ts";
import type { ResourceStore } from "../store/store.ts";
import { ownerOf, withOwner } from "./annotations.ts";
import type { InventoryEntry } from "./inventory.ts";

const emptyIsAbsent = (m: Record<string, string> | undefined) =>
  m && Object.keys(m).length > 0 ? m : undefined;

/** Whether applying `desired` would change nothing of what the folder owns in `current`. */
export function ownedFieldsMatch(current: Resource, desired: Resource): boolean {
  return (
    current.apiVersion === desired.apiVersion &&
    isDeepStrictEqual(current.spec ?? {}, desired.spec ?? {}) &&
    isDeepStrictEqual(emptyIsAbsent(current.metadata.labels), emptyIsAbsent(desired.metadata.labels)) &&
    isDeepStrictEqual(
      emptyIsAbsent(current.metadata.annotations),
      emptyIsAbsent(desired.metadata.annotations),
    ) &&
    (desired.metadata.finalizers === undefined ||
      isDeepStrictEqual(current.metadata.finalizers ?? [], desired.metadata.finalizers)) &&
    (desired.metadata.ownerReferences === undefined ||
      isDeepStrictEqual(current.metadata.ownerReferences ?? [], desired.metadata.ownerReferences))
  );
}

/** The object now: undefined when the lookup cannot say (the store is read then). */
export type CurrentLookup = (kind: string, name: string) => Resource | null | undefined;

export interface Verdict {
  doc: ManifestDoc;
  cur: Resource | null;
  /** The document as applied: with the folder's owner annotations. */
  desired: Resource;
  /** The document's inventory entry. */
  entry: InventoryEntry;
  /** Why the document (and its file) is held; empty when it may be applied. */
  problems: ManifestProblem[];
  /** What the folder owns already matches: nothing to send. */
  matches: boolean;
}

/** Verdicts kept between syncs, by `Kind/name`. */
export type Verdicts = Map<string, Verdict>;

function judge(doc: ManifestDoc, cur: Resource | null, sync: string, desired: Resource): Verdict {
  const problems: ManifestProblem[] = [];
  const hold = (pointer: string, message: string, value?: unknown) =>
    problems.push({
      file: doc.file,
      index: doc.index,
      line: doc.line,
      kind: doc.resource.kind,
      name: doc.resource.metadata.name,
      pointer,
      value,
      message,
    });
  const info = lookupKind(doc.resource.kind);
  if (!cur && info && !info.userCreatable) {
    hold(
      "/metadata/name",
      `${info.kind} ${JSON.stringify(doc.resource.metadata.name)} does not exist: ${info.kind} objects are created by the cluster; a folder may only change existing ones`,
    );
  } else if (cur) {
    const owner = ownerOf(cur);
    if (owner && owner.sync !== sync) {
      hold(
        "/metadata/name",
        `is already owned by the GitOps folder of sync ${JSON.stringify(owner.sync)} (file ${owner.file}); one object, one folder`,
      );
    } else {
      for (const f of checkImmutable(cur, doc.resource)) hold(f.pointer, f.message, f.value);
    }
  }
  const entry = { kind: doc.resource.kind, name: doc.resource.metadata.name, file: doc.file };
  return { doc, cur, desired, entry, problems, matches: cur !== null && ownedFieldsMatch(cur, desired) };
}

/**
 * The verdict on every document of `docs`, reusing `kept` where neither the document nor the
 * object changed; `kept` is updated to hold exactly these documents' verdicts.
 */
export async function planDocs(
  docs: readonly ManifestDoc[],
  deps: { store: ResourceStore; sync: string; current?: CurrentLookup; kept: Verdicts },
): Promise<Verdict[]> {
  const { kept, sync } = deps;
  const out: Verdict[] = new Array(docs.length);
  const misses: number[] = [];
  docs.forEach((doc, i) => {
    const cur = deps.current?.(doc.resource.kind, doc.resource.metadata.name);
    const previous = kept.get(doc.key);
    if (cur === undefined) misses.push(i);
    else if (previous && previous.doc === doc && previous.cur === cur) out[i] = previous;
    else {
      out[i] = judge(doc, cur, sync, previous?.doc === doc ? previous.desired : owned(doc, sync));
      kept.set(doc.key, out[i]);
    }
  });
  await mapLimit(misses, 16, async (i) => {
    const doc = docs[i];
    const cur = await deps.store.tryGet(doc.resource.kind, doc.resource.metadata.name);
    out[i] = judge(doc, cur, sync, owned(doc, sync));
    kept.set(doc.key, out[i]);
  });
  // Documents gone since (the keys are unique among `docs`: a duplicate holds its file).
  if (kept.size !== docs.length) {
    kept.clear();
    for (const v of out) kept.set(v.doc.key, v);
  }
  return out;
}

function owned(doc: ManifestDoc, sync: string): Resource {
  return withOwner(doc.resource, { sync, file: doc.file });
}
