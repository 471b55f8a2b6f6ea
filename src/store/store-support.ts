/**
 * The resource store's types, errors and pure helpers (store.ts keeps the operations): what a
 * caller passes in, the typed errors it gets back (NOT_FOUND, CONFLICT, VALIDATION_FAILED with
 * the field), and how an object's metadata is tidied and split from its status.
 */

import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { type ErrorCode, ErrorCodes, PvcError } from "../errors.ts";
import { serverAnnotations } from "../resources/annotations.ts";
import type { FieldError, ObjectMeta, Resource } from "../resources/types.ts";
import { ZkMultiError, type ZkOp } from "../zk/client.ts";

/** What the store needs to know of a kind: its name and its plural (the ZooKeeper folder). */
export interface KindInfo {
  kind: string;
  plural: string;
}

export interface StoreOptions {
  root?: string;
  kinds: readonly KindInfo[];
  /** Schema + semantic validation with defaults filled in; throws VALIDATION_FAILED. */
  validate?: (doc: unknown) => Resource;
  /** Finalizers every new object of a kind gets (by kind name), e.g. those of its controller. */
  defaultFinalizers?: Readonly<Record<string, readonly string[]>>;
  /** Checks a change against the stored object (e.g. immutable fields); [] when allowed. */
  validateUpdate?: (current: Resource, next: Resource) => FieldError[];
  /**
   * Checks that need I/O, run before a create and before a spec change is written (also on a dry
   * run), e.g. compiling a ProvisionerScript; throws to refuse.
   */
  admit?: (next: Resource) => Promise<void>;
  /** Runs before a delete (also on a dry run), e.g. refusing a template a profile uses; throws to refuse. */
  validateDelete?: (current: Resource) => Promise<void>;
  now?: () => Date;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** apply: the caller has just seen the object, so it is read and updated at once (no create first). */
  existing?: boolean;
  /**
   * apply: called before an object that exists is changed (not before a create), and may refuse
   * by throwing — the GitOps write guard, which a new object cannot concern.
   */
  beforeUpdate?: () => Promise<void>;
}

export interface DeleteOptions extends WriteOptions {
  /** If given, the delete fails with CONFLICT unless the object is still at this version. */
  resourceVersion?: string;
}

export interface StatusOptions {
  /** Extra ops for the same multi, e.g. a leader fencing check, so a stale leader's write fails. */
  guard?: ZkOp[];
}

/** An object as read from ZooKeeper, with the znode versions needed to write it back safely. */
export interface Stored {
  resource: Resource;
  objVersion: number;
  statusVersion: number;
}

/** Server-managed metadata: never taken from a user's document. */
export const SYSTEM_METADATA = [
  "uid",
  "generation",
  "resourceVersion",
  "creationTimestamp",
  "deletionTimestamp",
] as const;

export function maxZxid(a: string, b: string): string {
  return BigInt(a) >= BigInt(b) ? a : b;
}

export function notFound(kind: string, name: string): PvcError {
  return new PvcError(ErrorCodes.NOT_FOUND, `${kind} ${JSON.stringify(name)} not found`, {
    details: { kind, name },
  });
}

export function conflict(kind: string, name: string, why: string): PvcError {
  return new PvcError(
    ErrorCodes.CONFLICT,
    `${kind} ${JSON.stringify(name)}: ${why}; read it again and retry`,
    {
      details: { kind, name },
    },
  );
}

export function invalid(
  pointer: string,
  value: unknown,
  message: string,
  code: ErrorCode = ErrorCodes.VALIDATION_FAILED,
): PvcError {
  return new PvcError(code, `${pointer}: ${message} (got ${JSON.stringify(value)})`, {
    details: { fields: [{ pointer, value, message }] },
  });
}

/** A name as shown in an error: a name too long to be one is cut (a URL may carry kilobytes). */
export function shownName(name: unknown): unknown {
  return typeof name === "string" && name.length > 80 ? `${name.slice(0, 79)}…` : name;
}

/** The part of a resource that lives in its own znode (everything but status and resourceVersion). */
export function objectBody(r: Resource): Resource {
  const metadata: ObjectMeta = { ...r.metadata };
  delete metadata.resourceVersion;
  return { apiVersion: r.apiVersion, kind: r.kind, metadata, spec: r.spec };
}

/** Drops empty optional metadata so that "absent" and "empty" compare equal. */
export function tidyMetadata(m: ObjectMeta): ObjectMeta {
  const out: ObjectMeta = { ...m };
  for (const key of Object.keys(out) as Array<keyof ObjectMeta>) {
    if (out[key] === undefined) delete out[key];
  }
  for (const key of ["labels", "annotations"] as const) {
    if (out[key] && Object.keys(out[key] as object).length === 0) delete out[key];
  }
  for (const key of ["finalizers", "ownerReferences"] as const) {
    if (out[key] && (out[key] as unknown[]).length === 0) delete out[key];
  }
  return out;
}

export function alreadyExists(kind: string, name: string): PvcError {
  return new PvcError(ErrorCodes.ALREADY_EXISTS, `${kind} ${JSON.stringify(name)} already exists`, {
    details: { kind, name },
  });
}

/** A failed write's error as the store reports it: a stale version is a CONFLICT, a missing object NOT_FOUND. */
export function writeError(err: unknown, kind: string, name: string, storeRoot: string): unknown {
  if (err instanceof PvcError && err.code === ErrorCodes.ZK_BAD_VERSION) {
    return conflict(kind, name, "it changed while we wrote it");
  }
  if (err instanceof PvcError && err.code === ErrorCodes.ZK_NO_NODE) {
    // The failing op tells whether the object itself or a guard is missing.
    if (err instanceof ZkMultiError && !err.failedOp.path.startsWith(storeRoot)) return err;
    return notFound(kind, name);
  }
  return err;
}

/** A new object as stored: system metadata set by us (uid, generation 1, creation time), default finalizers added. */
export function newObject(
  resource: Resource,
  kind: string,
  defaultFinalizers: readonly string[],
  now: Date,
): Resource {
  const metadata: ObjectMeta = { ...resource.metadata };
  for (const key of SYSTEM_METADATA) delete metadata[key];
  return {
    apiVersion: resource.apiVersion,
    kind,
    metadata: tidyMetadata({
      ...metadata,
      finalizers: [...new Set([...(metadata.finalizers ?? []), ...defaultFinalizers])],
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: now.toISOString(),
    }),
    spec: resource.spec ?? {},
  };
}

/**
 * What an apply of the manifest `resource` asks of the object whose metadata is `cur`: spec, labels
 * and annotations are the manifest's; finalizers and owners stay unless the manifest names them,
 * and so do the server's own annotations (who registered a Node: SERVER_ANNOTATIONS).
 */
export function appliedObject(resource: Resource, cur: ObjectMeta): Resource {
  return {
    ...resource,
    metadata: {
      ...resource.metadata,
      labels: resource.metadata.labels ?? {},
      annotations: { ...serverAnnotations(cur.annotations), ...resource.metadata.annotations },
      finalizers: resource.metadata.finalizers ?? cur.finalizers,
      ownerReferences: resource.metadata.ownerReferences ?? cur.ownerReferences,
    },
  };
}

/**
 * The object `desired` makes of `cur`: its spec, labels, annotations, finalizers and owners, with
 * our system metadata kept and generation moved only by a spec change. No finalizer may be added
 * to an object being deleted.
 */
export function nextObject(
  cur: Resource,
  desired: Resource,
  kind: string,
): { next: Resource; specChanged: boolean } {
  const specChanged = !isDeepStrictEqual(cur.spec, desired.spec ?? {});
  const metadata = tidyMetadata({
    ...desired.metadata,
    name: cur.metadata.name,
    uid: cur.metadata.uid,
    creationTimestamp: cur.metadata.creationTimestamp,
    generation: (cur.metadata.generation ?? 1) + (specChanged ? 1 : 0),
    deletionTimestamp: cur.metadata.deletionTimestamp,
    resourceVersion: undefined,
  });
  if (cur.metadata.deletionTimestamp) {
    const added = (metadata.finalizers ?? []).filter((f) => !(cur.metadata.finalizers ?? []).includes(f));
    if (added.length > 0) {
      throw invalid(
        "/metadata/finalizers",
        metadata.finalizers,
        "no finalizer may be added to an object that is being deleted",
      );
    }
  }
  const next: Resource = {
    apiVersion: desired.apiVersion ?? cur.apiVersion,
    kind,
    metadata,
    spec: desired.spec ?? {},
  };
  return { next, specChanged };
}

/** Throws VALIDATION_FAILED naming every field an update may not change (none: returns). */
export function refuseUpdate(refused: FieldError[]): void {
  if (refused.length === 0) return;
  throw new PvcError(
    ErrorCodes.VALIDATION_FAILED,
    refused.map((f) => `${f.pointer}: ${f.message} (got ${JSON.stringify(f.value)})`).join("\n"),
    { details: { fields: refused } },
  );
}

/**
 * The most a stored object (or its status) may take as JSON. ZooKeeper refuses a request over its
 * jute.maxbuffer (1 MiB by default) by dropping the connection: every request in flight fails and
 * the session may go. Kubernetes likewise refuses objects over etcd's limit (413).
 */
export const MAX_OBJECT_BYTES = 512 * 1024;

/** `value` as JSON, or OBJECT_TOO_LARGE (413) naming the object and the limit. */
export function sizedJson(value: unknown, kind: string, name: string): string {
  const json = JSON.stringify(value);
  if (json.length > MAX_OBJECT_BYTES / 4 && Buffer.byteLength(json) > MAX_OBJECT_BYTES) {
    throw new PvcError(
      ErrorCodes.OBJECT_TOO_LARGE,
      `${kind} ${JSON.stringify(name)} is ${Buffer.byteLength(json)} bytes as stored; at most ${MAX_OBJECT_BYTES} are allowed`,
      { details: { kind, name, limit: MAX_OBJECT_BYTES } },
    );
  }
  return json;
}

/** A patch cannot rename (the name is the object's identity), as an update cannot. */
export function refuseRename(patchMetadata: unknown, name: string): void {
  const given = (patchMetadata as { name?: unknown } | null | undefined)?.name;
  if (typeof patchMetadata !== "object" || given === undefined || given === name) return;
  throw invalid("/metadata/name", given, `must be ${JSON.stringify(name)}, the name of the object patched`);
}
