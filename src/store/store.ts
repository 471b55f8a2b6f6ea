import { isDeepStrictEqual } from "node:util";
import { type ErrorCode, ErrorCodes, PvcError } from "../errors.ts";
import { storeNameProblem } from "../resources/names.ts";
import type { ObjectOf } from "../resources/specs.ts";
import type { FieldError, Resource, ResourceStatus } from "../resources/types.ts";
import { type ZkClient, ZkMultiError, type ZkOp } from "../zk/client.ts";
import { deepFreeze } from "./freeze.ts";
import { matchesSelector, parseLabelSelector } from "./labels.ts";
import { DEFAULT_STORE_ROOT, StoreLayout } from "./layout.ts";
import { applyMergePatch, isPlainObject } from "./merge-patch.ts";

import {
  alreadyExists,
  appliedObject,
  conflict,
  type DeleteOptions,
  invalid,
  type KindInfo,
  maxZxid,
  newObject,
  nextObject,
  notFound,
  objectBody,
  refuseRename,
  refuseUpdate,
  type StatusOptions,
  type Stored,
  type StoreOptions,
  shownName,
  sizedJson,
  type WriteOptions,
  writeError,
} from "./store-support.ts";

export type { DeleteOptions, KindInfo, StatusOptions, StoreOptions, WriteOptions } from "./store-support.ts";

export class ResourceStore {
  readonly zk: ZkClient;
  readonly layout: StoreLayout;
  readonly #kinds = new Map<string, KindInfo>();
  readonly #allKinds: readonly KindInfo[];
  readonly #validate: (doc: unknown) => Resource;
  readonly #validateUpdate: (current: Resource, next: Resource) => FieldError[];
  readonly #defaultFinalizers: Readonly<Record<string, readonly string[]>>;
  readonly #admit: (next: Resource) => Promise<void>;
  readonly #validateDelete: (current: Resource) => Promise<void>;
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
    this.#admit = options.admit ?? (async () => undefined);
    this.#validateDelete = options.validateDelete ?? (async () => undefined);
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
   * kind's schema usually says first). Throws (BAD_REQUEST by default) naming `/metadata/name`.
   */
  checkName(name: unknown, code: ErrorCode = ErrorCodes.BAD_REQUEST): void {
    const problem = storeNameProblem(name);
    if (problem !== undefined) throw invalid("/metadata/name", shownName(name), problem, code);
  }

  /** The kind and a checked name: the door of every operation that is given a name. */
  #target(kind: string, name: string): KindInfo {
    const info = this.kindInfo(kind);
    this.checkName(name);
    return info;
  }

  async #read(info: KindInfo, name: string): Promise<Stored | null> {
    const [obj, status] = await Promise.all([
      this.zk.tryGet(this.layout.object(info.plural, name)),
      this.zk.tryGet(this.layout.status(info.plural, name)),
    ]);
    if (!obj) return null;
    const resource = JSON.parse(obj.data) as Resource;
    const statusValue = status?.data ? (JSON.parse(status.data) as ResourceStatus) : {};
    resource.metadata.resourceVersion = status ? maxZxid(obj.stat.mzxid, status.stat.mzxid) : obj.stat.mzxid;
    if (Object.keys(statusValue).length > 0) resource.status = statusValue;
    return { resource, objVersion: obj.stat.version, statusVersion: status?.stat.version ?? -1 };
  }

  /** A get that answers null for a missing node. */
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
    this.checkName(resource.metadata?.name, ErrorCodes.VALIDATION_FAILED);
    return { info, resource: { ...resource, kind: info.kind } };
  }

  async create(doc: unknown, options: WriteOptions = {}): Promise<Resource> {
    const { info, resource } = this.#validated(doc);
    return this.#create(info, resource, options);
  }

  async #create(info: KindInfo, resource: Resource, options: WriteOptions, attempt = 0): Promise<Resource> {
    const stored = newObject(resource, info.kind, this.#defaultFinalizers[info.kind] ?? [], this.#now());
    const metadata = stored.metadata;
    const path = this.layout.object(info.plural, metadata.name);
    if (attempt === 0) await this.#admit(stored);
    if (options.dryRun) {
      if (await this.zk.exists(path)) throw alreadyExists(info.kind, metadata.name);
      return deepFreeze(stored);
    }
    try {
      const results = await this.zk.multi([
        { op: "create", path, data: sizedJson(stored, info.kind, metadata.name) },
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
        throw alreadyExists(info.kind, metadata.name);
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
    const { next, specChanged } = nextObject(cur, desired, info.kind);
    const metadata = next.metadata;
    if (specChanged) refuseUpdate(this.#validateUpdate(cur, { ...cur, spec: desired.spec ?? {} }));
    if (specChanged) await this.#admit(next);
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
          data: sizedJson(next, info.kind, name),
          version: current.objVersion,
        },
      ]);
      return deepFreeze({
        ...next,
        metadata: { ...metadata, resourceVersion: results[1].stat?.mzxid },
        ...(cur.status ? { status: cur.status } : {}),
      });
    } catch (err) {
      throw writeError(err, info.kind, name, this.layout.root);
    }
  }

  async #remove(info: KindInfo, current: Stored): Promise<void> {
    const name = current.resource.metadata.name;
    try {
      await this.zk.multi([
        { op: "delete", path: this.layout.status(info.plural, name), version: current.statusVersion },
        { op: "delete", path: this.layout.object(info.plural, name), version: current.objVersion },
      ]);
    } catch (err) {
      throw writeError(err, info.kind, name, this.layout.root);
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
      refuseRename(patch.metadata, name);
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
        attempt === 0 && !options.dryRun && !options.existing
          ? null
          : await this.#read(info, resource.metadata.name);
      if (!current) {
        try {
          return { resource: await this.#create(info, resource, options), action: "created" };
        } catch (err) {
          if (err instanceof PvcError && err.code === ErrorCodes.ALREADY_EXISTS && attempt < 10) continue;
          throw err;
        }
      }
      await options.beforeUpdate?.();
      const cur = current.resource.metadata;
      const desired = appliedObject(resource, cur);
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
      if (!cur.metadata.deletionTimestamp) await this.#validateDelete(cur);
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
        const e = writeError(err, info.kind, name, this.layout.root);
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
        { op: "set", path: this.layout.status(info.plural, name), data: sizedJson(status, info.kind, name) },
      ]);
      const stat = results[results.length - 1].stat;
      return stat?.mzxid ?? "";
    } catch (err) {
      throw writeError(err, info.kind, name, this.layout.root);
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
      data: sizedJson(status, kind, name),
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
