/**
 * The resource store: desired state kept in ZooKeeper itself (as Kubernetes keeps it in etcd),
 * under a root of its own, so any number of API/controller replicas share it.
 *
 * - resourceVersion is the ZooKeeper zxid of the object's last change (its own znode or its
 *   status znode, whichever is later): cluster-wide, ordered, and new on every write.
 * - update requires the caller's resourceVersion; a stale one is a typed CONFLICT. The check
 *   and the write are one multi, so two racing writers cannot both win.
 * - generation bumps only when spec changes; status has its own znode and its own call.
 * - delete with finalizers only sets deletionTimestamp; the object goes with its last finalizer.
 * - Writes that change nothing are not made (a converged apply costs zero writes).
 */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { type ErrorCode, ErrorCodes, PvcError } from "../errors.ts";
import { storeNameProblem } from "../resources/names.ts";
import type { ObjectOf } from "../resources/specs.ts";
import type { FieldError, ObjectMeta, Resource, ResourceStatus } from "../resources/types.ts";
import { type ZkClient, ZkMultiError, type ZkOp, type ZkStat } from "../zk/client.ts";
import { deepFreeze } from "./freeze.ts";
import { matchesSelector, parseLabelSelector } from "./labels.ts";
import { DEFAULT_STORE_ROOT, StoreLayout } from "./layout.ts";
import { applyMergePatch, isPlainObject } from "./merge-patch.ts";

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
  now?: () => Date;
}

export interface WriteOptions {
  dryRun?: boolean;
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
interface Stored {
  resource: Resource;
  objVersion: number;
  statusVersion: number;
}

/** Server-managed metadata: never taken from a user's document. */
const SYSTEM_METADATA = [
  "uid",
  "generation",
  "resourceVersion",
  "creationTimestamp",
  "deletionTimestamp",
] as const;

function maxZxid(a: string, b: string): string {
  return BigInt(a) >= BigInt(b) ? a : b;
}

function notFound(kind: string, name: string): PvcError {
  return new PvcError(ErrorCodes.NOT_FOUND, `${kind} ${JSON.stringify(name)} not found`, {
    details: { kind, name },
  });
}

function conflict(kind: string, name: string, why: string): PvcError {
  return new PvcError(
    ErrorCodes.CONFLICT,
    `${kind} ${JSON.stringify(name)}: ${why}; read it again and retry`,
    {
      details: { kind, name },
    },
  );
}

function invalid(
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
function shownName(name: unknown): unknown {
  return typeof name === "string" && name.length > 80 ? `${name.slice(0, 79)}…` : name;
}

/** The part of a resource that lives in its own znode (everything but status and resourceVersion). */
function objectBody(r: Resource): Resource {
  const metadata: ObjectMeta = { ...r.metadata };
  delete metadata.resourceVersion;
  return { apiVersion: r.apiVersion, kind: r.kind, metadata, spec: r.spec };
}

/** Drops empty optional metadata so that "absent" and "empty" compare equal. */
function tidyMetadata(m: ObjectMeta): ObjectMeta {
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

export class ResourceStore {
  readonly zk: ZkClient;
  readonly layout: StoreLayout;
  readonly #kinds = new Map<string, KindInfo>();
  readonly #allKinds: readonly KindInfo[];
  readonly #validate: (doc: unknown) => Resource;
  readonly #validateUpdate: (current: Resource, next: Resource) => FieldError[];
  readonly #defaultFinalizers: Readonly<Record<string, readonly string[]>>;
  readonly #now: () => Date;

  constructor(zk: ZkClient, options: StoreOptions) {
    this.zk = zk;
    this.layout = new StoreLayout(options.root ?? DEFAULT_STORE_ROOT);
    this.#allKinds = options.kinds;
    for (const k of options.kinds) {
      this.#kinds.set(k.kind.toLowerCase(), k);
      this.#kinds.set(k.plural.toLowerCase(), k);
    }
    this.#validate = options.validate ?? ((doc) => doc as Resource);
    this.#validateUpdate = options.validateUpdate ?? (() => []);
    this.#defaultFinalizers = options.defaultFinalizers ?? {};
    this.#now = options.now ?? (() => new Date());
  }

  /** Creates the store's folders (idempotent). Call once before use. */
  async init(): Promise<void> {
    await Promise.all(
      this.#allKinds.flatMap((k) => [
        this.zk.mkdirp(this.layout.kindDir(k.plural)),
        this.zk.mkdirp(this.layout.eventsKindDir(k.plural)),
      ]),
    );
  }

  kinds(): readonly KindInfo[] {
    return this.#allKinds;
  }

  /** Resolves a kind by kind name or plural, case-insensitively. */
  kindInfo(kindOrPlural: string): KindInfo {
    const info = this.#kinds.get(kindOrPlural.toLowerCase());
    if (!info) {
      throw new PvcError(ErrorCodes.NOT_FOUND, `unknown kind ${JSON.stringify(kindOrPlural)}`, {
        details: { kind: kindOrPlural, known: this.#allKinds.map((k) => k.kind) },
      });
    }
    return info;
  }

  /**
   * Every name reaches ZooKeeper as a path segment, so every operation checks it first. A name
   * given as an argument (a URL's path, a controller's key) that cannot be a segment cannot name
   * any object: the request is malformed (BAD_REQUEST, 400, as Kubernetes answers
   * `GET .../pods/..`), never NOT_FOUND, which would say the object might exist. A name inside a
   * document is one of its fields, refused as any invalid field (VALIDATION_FAILED, 422, which the
   * kind's schema usually says first).
   */
  #checkName(name: unknown, code: ErrorCode = ErrorCodes.BAD_REQUEST): asserts name is string {
    const problem = storeNameProblem(name);
    if (problem !== undefined) throw invalid("/metadata/name", shownName(name), problem, code);
  }

  /** The kind and a checked name: the door of every operation that is given a name. */
  #target(kind: string, name: string): KindInfo {
    const info = this.kindInfo(kind);
    this.#checkName(name);
    return info;
  }

  async #read(info: KindInfo, name: string): Promise<Stored | null> {
    const [obj, status] = await Promise.all([
      this.#getOrNull(this.layout.object(info.plural, name)),
      this.#getOrNull(this.layout.status(info.plural, name)),
    ]);
    if (!obj) return null;
    const resource = JSON.parse(obj.data) as Resource;
    const statusValue = status?.data ? (JSON.parse(status.data) as ResourceStatus) : {};
    resource.metadata.resourceVersion = status ? maxZxid(obj.stat.mzxid, status.stat.mzxid) : obj.stat.mzxid;
    if (Object.keys(statusValue).length > 0) resource.status = statusValue;
    return { resource, objVersion: obj.stat.version, statusVersion: status?.stat.version ?? -1 };
  }

  /** A get that answers null for a missing node. */
  async #getOrNull(path: string): Promise<{ data: string; stat: ZkStat } | null> {
    try {
      return await this.zk.get(path);
    } catch (err) {
      if (err instanceof PvcError && err.code === ErrorCodes.ZK_NO_NODE) return null;
      throw err;
    }
  }

  async get<K extends string>(kind: K, name: string): Promise<ObjectOf<K>> {
    const info = this.#target(kind, name);
    const stored = await this.#read(info, name);
    if (!stored) throw notFound(info.kind, name);
    return deepFreeze(stored.resource) as ObjectOf<K>;
  }

  async tryGet<K extends string>(kind: K, name: string): Promise<ObjectOf<K> | null> {
    const info = this.#target(kind, name);
    const stored = await this.#read(info, name);
    return stored ? (deepFreeze(stored.resource) as ObjectOf<K>) : null;
  }

  /**
   * Lists a kind, optionally filtered by a label selector. `resourceVersion` is the highest
   * version seen, a point from which a watch can continue.
   */
  async list(
    kind: string,
    options: { labelSelector?: string } = {},
  ): Promise<{ items: Resource[]; resourceVersion: string }> {
    const info = this.kindInfo(kind);
    const selector = parseLabelSelector(options.labelSelector);
    const names = await this.zk.children(this.layout.kindDir(info.plural));
    const read = await Promise.all(names.sort().map((n) => this.#read(info, n)));
    const items: Resource[] = [];
    let rv = "0";
    for (const s of read) {
      if (!s) continue; // deleted between the listing and the read
      rv = maxZxid(rv, s.resource.metadata.resourceVersion as string);
      if (matchesSelector(s.resource.metadata.labels, selector)) items.push(deepFreeze(s.resource));
    }
    return { items, resourceVersion: rv };
  }

  /** Validates a user document for `info`'s kind and returns it normalized. */
  #validated(doc: unknown): { info: KindInfo; resource: Resource } {
    if (!isPlainObject(doc)) throw invalid("", doc, "a resource must be an object");
    const kind = doc.kind;
    if (typeof kind !== "string") throw invalid("/kind", kind, "kind is required");
    const info = this.kindInfo(kind);
    const resource = this.#validate(doc);
    this.#checkName(resource.metadata?.name, ErrorCodes.VALIDATION_FAILED);
    return { info, resource: { ...resource, kind: info.kind } };
  }

  async create(doc: unknown, options: WriteOptions = {}): Promise<Resource> {
    const { info, resource } = this.#validated(doc);
    return this.#create(info, resource, options);
  }

  async #create(info: KindInfo, resource: Resource, options: WriteOptions, attempt = 0): Promise<Resource> {
    const metadata: ObjectMeta = { ...resource.metadata };
    for (const key of SYSTEM_METADATA) delete metadata[key];
    const stored: Resource = {
      apiVersion: resource.apiVersion,
      kind: info.kind,
      metadata: tidyMetadata({
        ...metadata,
        finalizers: [
          ...new Set([...(metadata.finalizers ?? []), ...(this.#defaultFinalizers[info.kind] ?? [])]),
        ],
        uid: randomUUID(),
        generation: 1,
        creationTimestamp: this.#now().toISOString(),
      }),
      spec: resource.spec ?? {},
    };
    const path = this.layout.object(info.plural, metadata.name);
    if (options.dryRun) {
      if (await this.zk.exists(path)) throw this.#exists(info, metadata.name);
      return deepFreeze(stored);
    }
    try {
      const results = await this.zk.multi([
        { op: "create", path, data: JSON.stringify(stored) },
        { op: "create", path: this.layout.status(info.plural, metadata.name), data: "{}" },
        // A set returns the stat, and so the transaction's zxid: the new resourceVersion, without a read.
        { op: "set", path: this.layout.status(info.plural, metadata.name), data: "{}" },
        // The object's event folder comes with it, so recording an event is a single create.
        { op: "create", path: this.layout.eventsDir(info.plural, metadata.name), data: "" },
      ]);
      stored.metadata.resourceVersion = results[2].stat?.mzxid;
    } catch (err) {
      if (err instanceof ZkMultiError && err.failedIndex === 3 && attempt === 0) {
        // Events left behind by an earlier object of that name (its delete was interrupted).
        await this.zk.deleteRecursive(this.layout.eventsDir(info.plural, metadata.name));
        return this.#create(info, resource, options, attempt + 1);
      }
      if (err instanceof PvcError && err.code === ErrorCodes.ZK_NODE_EXISTS)
        throw this.#exists(info, metadata.name);
      if (err instanceof PvcError && err.code === ErrorCodes.ZK_NO_NODE) {
        throw new PvcError(
          ErrorCodes.NOT_FOUND,
          `store folder for ${info.kind} is missing: was the store initialised?`,
          { cause: err },
        );
      }
      throw err;
    }
    return deepFreeze(stored);
  }

  #exists(info: KindInfo, name: string): PvcError {
    return new PvcError(ErrorCodes.ALREADY_EXISTS, `${info.kind} ${JSON.stringify(name)} already exists`, {
      details: { kind: info.kind, name },
    });
  }

  /**
   * Replaces spec, labels, annotations, finalizers and ownerReferences. The document must carry
   * the resourceVersion it was read at; a stale one is a CONFLICT.
   */
  async update(doc: unknown, options: WriteOptions = {}): Promise<Resource> {
    const { info, resource } = this.#validated(doc);
    const rv = resource.metadata.resourceVersion;
    if (!rv)
      throw invalid(
        "/metadata/resourceVersion",
        rv,
        "an update must carry the resourceVersion it was read at",
      );
    const current = await this.#read(info, resource.metadata.name);
    if (!current) throw notFound(info.kind, resource.metadata.name);
    if (current.resource.metadata.resourceVersion !== rv) {
      throw conflict(
        info.kind,
        resource.metadata.name,
        `resourceVersion ${rv} is stale (now ${current.resource.metadata.resourceVersion})`,
      );
    }
    return this.#write(info, current, resource, options);
  }

  /** Writes `desired` over `current` (already read), keeping the server-managed metadata. */
  async #write(info: KindInfo, current: Stored, desired: Resource, options: WriteOptions): Promise<Resource> {
    const cur = current.resource;
    const name = cur.metadata.name;
    const specChanged = !isDeepStrictEqual(cur.spec, desired.spec ?? {});
    const metadata = tidyMetadata({
      ...desired.metadata,
      name,
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
    if (specChanged) {
      const refused = this.#validateUpdate(cur, { ...cur, spec: desired.spec ?? {} });
      if (refused.length > 0) {
        throw new PvcError(
          ErrorCodes.VALIDATION_FAILED,
          refused.map((f) => `${f.pointer}: ${f.message} (got ${JSON.stringify(f.value)})`).join("\n"),
          { details: { fields: refused } },
        );
      }
    }
    const next: Resource = {
      apiVersion: desired.apiVersion ?? cur.apiVersion,
      kind: info.kind,
      metadata,
      spec: desired.spec ?? {},
    };
    const unchanged = isDeepStrictEqual(objectBody(cur), next);
    if (unchanged) return deepFreeze(cur);

    // The last finalizer of a deleting object is gone: the object goes.
    if (cur.metadata.deletionTimestamp && (metadata.finalizers ?? []).length === 0) {
      if (options.dryRun) return deepFreeze({ ...next, status: cur.status });
      await this.#remove(info, current);
      return deepFreeze({ ...next, status: cur.status });
    }
    if (options.dryRun)
      return deepFreeze({
        ...next,
        status: cur.status,
        metadata: { ...metadata, resourceVersion: cur.metadata.resourceVersion },
      });
    try {
      const results = await this.zk.multi([
        { op: "check", path: this.layout.status(info.plural, name), version: current.statusVersion },
        {
          op: "set",
          path: this.layout.object(info.plural, name),
          data: JSON.stringify(next),
          version: current.objVersion,
        },
      ]);
      return deepFreeze({
        ...next,
        metadata: { ...metadata, resourceVersion: results[1].stat?.mzxid },
        ...(cur.status ? { status: cur.status } : {}),
      });
    } catch (err) {
      throw this.#writeError(err, info, name);
    }
  }

  #writeError(err: unknown, info: KindInfo, name: string): unknown {
    if (err instanceof PvcError && err.code === ErrorCodes.ZK_BAD_VERSION) {
      return conflict(info.kind, name, "it changed while we wrote it");
    }
    if (err instanceof PvcError && err.code === ErrorCodes.ZK_NO_NODE) {
      // The failing op tells whether the object itself or a guard is missing.
      if (err instanceof ZkMultiError && !err.failedOp.path.startsWith(this.layout.root)) return err;
      return notFound(info.kind, name);
    }
    return err;
  }

  async #remove(info: KindInfo, current: Stored): Promise<void> {
    const name = current.resource.metadata.name;
    try {
      await this.zk.multi([
        { op: "delete", path: this.layout.status(info.plural, name), version: current.statusVersion },
        { op: "delete", path: this.layout.object(info.plural, name), version: current.objVersion },
      ]);
    } catch (err) {
      throw this.#writeError(err, info, name);
    }
    // Events belong to the object; they are not part of its state, so a failure here is only logged by callers.
    await this.zk.deleteRecursive(this.layout.eventsDir(info.plural, name)).catch(() => undefined);
  }

  /**
   * JSON merge patch of spec and metadata (labels, annotations, finalizers, ownerReferences).
   * Without a resourceVersion in the patch, a conflict is retried on a fresh read.
   */
  async patch(kind: string, name: string, patch: unknown, options: WriteOptions = {}): Promise<Resource> {
    const info = this.#target(kind, name);
    if (!isPlainObject(patch)) throw invalid("", patch, "a merge patch must be an object");
    const pinned = isPlainObject(patch.metadata)
      ? (patch.metadata.resourceVersion as string | undefined)
      : undefined;
    for (let attempt = 0; ; attempt++) {
      const current = await this.#read(info, name);
      if (!current) throw notFound(info.kind, name);
      if (pinned && pinned !== current.resource.metadata.resourceVersion) {
        throw conflict(
          info.kind,
          name,
          `resourceVersion ${pinned} is stale (now ${current.resource.metadata.resourceVersion})`,
        );
      }
      const body = objectBody(current.resource);
      const merged = applyMergePatch(body, { ...patch, status: undefined }) as Resource;
      merged.kind = info.kind;
      merged.metadata = { ...merged.metadata, name };
      const { resource } = this.#validated(merged);
      try {
        return await this.#write(info, current, resource, options);
      } catch (err) {
        if (!pinned && err instanceof PvcError && err.code === ErrorCodes.CONFLICT && attempt < 10) continue;
        throw err;
      }
    }
  }

  /**
   * Create-or-update from a full manifest (what `pvcctl apply` and the GitOps folder do): spec,
   * labels and annotations come from the manifest; finalizers and ownerReferences stay unless the
   * manifest names them. Nothing is written when the stored object already matches.
   */
  async apply(
    doc: unknown,
    options: WriteOptions = {},
  ): Promise<{ resource: Resource; action: "created" | "updated" | "unchanged" }> {
    const { info, resource } = this.#validated(doc);
    for (let attempt = 0; ; attempt++) {
      // Create first: a new object costs one round trip, not a look and then a write. An existing
      // one fails the create (nothing written) and is then read and updated. A dry run looks.
      const current =
        attempt === 0 && !options.dryRun ? null : await this.#read(info, resource.metadata.name);
      if (!current) {
        try {
          return { resource: await this.#create(info, resource, options), action: "created" };
        } catch (err) {
          if (err instanceof PvcError && err.code === ErrorCodes.ALREADY_EXISTS && attempt < 10) continue;
          throw err;
        }
      }
      const cur = current.resource.metadata;
      const desired: Resource = {
        ...resource,
        metadata: {
          ...resource.metadata,
          labels: resource.metadata.labels ?? {},
          annotations: resource.metadata.annotations ?? {},
          finalizers: resource.metadata.finalizers ?? cur.finalizers,
          ownerReferences: resource.metadata.ownerReferences ?? cur.ownerReferences,
        },
      };
      try {
        const written = await this.#write(info, current, desired, options);
        const action =
          written === current.resource || written.metadata.resourceVersion === cur.resourceVersion
            ? "unchanged"
            : "updated";
        return { resource: written, action };
      } catch (err) {
        if (err instanceof PvcError && err.code === ErrorCodes.CONFLICT && attempt < 10) continue;
        throw err;
      }
    }
  }

  /**
   * Deletes: with finalizers, only marks deletionTimestamp (the owners of the finalizers clean up
   * and remove them); without, removes the object and its status in one multi.
   */
  async delete(kind: string, name: string, options: DeleteOptions = {}): Promise<Resource> {
    const info = this.#target(kind, name);
    for (let attempt = 0; ; attempt++) {
      const current = await this.#read(info, name);
      if (!current) throw notFound(info.kind, name);
      const cur = current.resource;
      if (options.resourceVersion && options.resourceVersion !== cur.metadata.resourceVersion) {
        throw conflict(
          info.kind,
          name,
          `resourceVersion ${options.resourceVersion} is stale (now ${cur.metadata.resourceVersion})`,
        );
      }
      if (options.dryRun) return deepFreeze(cur);
      try {
        if ((cur.metadata.finalizers ?? []).length > 0) {
          if (cur.metadata.deletionTimestamp) return deepFreeze(cur);
          const marked = {
            ...objectBody(cur),
            metadata: { ...objectBody(cur).metadata, deletionTimestamp: this.#now().toISOString() },
          };
          const results = await this.zk.multi([
            { op: "check", path: this.layout.status(info.plural, name), version: current.statusVersion },
            {
              op: "set",
              path: this.layout.object(info.plural, name),
              data: JSON.stringify(marked),
              version: current.objVersion,
            },
          ]);
          return deepFreeze({
            ...marked,
            metadata: { ...marked.metadata, resourceVersion: results[1].stat?.mzxid },
            ...(cur.status ? { status: cur.status } : {}),
          });
        }
        await this.#remove(info, current);
        return deepFreeze(cur);
      } catch (err) {
        const e = this.#writeError(err, info, name);
        if (
          !options.resourceVersion &&
          e instanceof PvcError &&
          e.code === ErrorCodes.CONFLICT &&
          attempt < 10
        )
          continue;
        throw e;
      }
    }
  }

  /**
   * Writes status (whole). Controllers call this; it never touches spec or metadata, so it never
   * bumps generation. Returns the new resourceVersion.
   */
  async updateStatus(
    kind: string,
    name: string,
    status: ResourceStatus,
    options: StatusOptions = {},
  ): Promise<string> {
    const info = this.#target(kind, name);
    try {
      const results = await this.zk.multi([
        ...(options.guard ?? []),
        { op: "set", path: this.layout.status(info.plural, name), data: JSON.stringify(status) },
      ]);
      const stat = results[results.length - 1].stat;
      return stat?.mzxid ?? "";
    } catch (err) {
      throw this.#writeError(err, info, name);
    }
  }

  /**
   * The op that writes an object's status, for a controller that commits the status together
   * with the external keys it reports on, in one multi (what updateStatus would write).
   */
  statusWriteOp(kind: string, name: string, status: ResourceStatus): ZkOp {
    return {
      op: "set",
      path: this.layout.status(this.#target(kind, name).plural, name),
      data: JSON.stringify(status),
    };
  }

  /** Adds a finalizer if missing (read-modify-write with conflict retry). */
  async addFinalizer<K extends string>(kind: K, name: string, finalizer: string): Promise<ObjectOf<K>> {
    const updated = await this.#editFinalizers(kind, name, (f) =>
      f.includes(finalizer) ? f : [...f, finalizer],
    );
    return updated as ObjectOf<K>;
  }

  /** Removes a finalizer; removing the last one of a deleting object removes the object. */
  async removeFinalizer<K extends string>(kind: K, name: string, finalizer: string): Promise<ObjectOf<K>> {
    const updated = await this.#editFinalizers(kind, name, (f) => f.filter((x) => x !== finalizer));
    return updated as ObjectOf<K>;
  }

  async #editFinalizers(kind: string, name: string, edit: (f: string[]) => string[]): Promise<Resource> {
    const info = this.#target(kind, name);
    for (let attempt = 0; ; attempt++) {
      const current = await this.#read(info, name);
      if (!current) throw notFound(info.kind, name);
      const before = current.resource.metadata.finalizers ?? [];
      const after = edit([...before]);
      if (isDeepStrictEqual(before, after)) return deepFreeze(current.resource);
      const desired = { ...current.resource, metadata: { ...current.resource.metadata, finalizers: after } };
      try {
        return await this.#write(info, current, desired, {});
      } catch (err) {
        if (err instanceof PvcError && err.code === ErrorCodes.CONFLICT && attempt < 10) continue;
        throw err;
      }
    }
  }
}
