/**
 * Informer: list-then-watch one kind into an in-memory cache and tell listeners what changed.
 *
 * One persistent recursive watch on the kind's folder hears every object and status znode being
 * created, changed or deleted (no watch per object, no re-listing the folder on each create). An
 * event carries no data: it means "read that znode again". Reads are serialised per object and
 * each part (object, status) keeps the newest zxid it has seen, so a burst of writes may reach
 * listeners as one update, but never out of order and never missing the last state — the
 * guarantee a level-triggered reconciler needs. After a reconnect or session rebuild (events may
 * have been missed) the kind is listed and read again and listeners get the differences.
 *
 * Writes made through the same ZooKeeper client (the store's, a controller's status riding in
 * its own multi) are written through instead of read back: the client shows this informer every
 * multi as it is sent and as its reply arrives (`MultiObserver`). Events for the multi's paths that
 * arrive in between are its own or older ones it supersedes (ZooKeeper orders a session's events
 * and replies by zxid), so they are not read; the reply's zxid and the op's data are the new
 * state. A multi that fails or times out has every path it touched read again.
 *
 * Cached objects are deep-frozen: no listener can change what another sees.
 *
 * Typed: `Informer<T>` hands out objects of type T (ObjectOf<kind>, resources/specs.ts). The store
 * validates every object of a kind against its schema before writing it, so that is what a kind's
 * folder holds; this class is where the one cast saying so lives.
 */
import { EventEmitter } from "node:events";
import { ErrorCodes, isPvcError } from "../errors.ts";
import type { ObjectOf } from "../resources/specs.ts";
import type { Resource, ResourceStatus } from "../resources/types.ts";
import type { WatchEvent, ZkOp } from "../zk/client.ts";
import { InFlightPaths } from "../zk/in-flight-paths.ts";
import { deepFreeze } from "./freeze.ts";
import { type LabelSelector, matchesSelector } from "./labels.ts";
import type { ResourceStore } from "./store.ts";

/** Any resource, whatever its spec: what an informer's type parameter must be. */
export type AnyResource = Resource<unknown, ResourceStatus>;

export interface InformerEvents<T extends AnyResource = Resource> {
  add: [object: T];
  update: [object: T, old: T];
  delete: [object: T];
  /** The initial list is in the cache. */
  synced: [];
  /** A read failed; the informer retries on its own. */
  error: [err: unknown];
}

type PartName = "body" | "status";

/** One znode as last known: its parsed value and the zxid of its last change. */
interface Part<T> {
  value: T;
  mzxid: bigint;
}

interface Entry {
  object?: Resource;
  /** The object's own znode (without status and resourceVersion). */
  body?: Part<Resource>;
  status?: Part<Record<string, unknown>>;
  /** Parts an event (or a failed write of ours) says must be read again. */
  dirty: Set<PartName>;
  /** A read is running (settles when it ends); `again` asks it to read once more. */
  running?: Promise<void>;
  again: boolean;
  /** Counts write-throughs, so a read that overlapped one does not trust its "missing". */
  writes: number;
}

function parseBody(data: string): Resource {
  return JSON.parse(data) as Resource;
}

function parseStatus(data: string): Record<string, unknown> {
  return data ? (JSON.parse(data) as Record<string, unknown>) : {};
}

/** The object as handed out: its znode, its status, and the later of their zxids as resourceVersion. */
function compose(body: Part<Resource>, status: Part<Record<string, unknown>> | undefined): Resource {
  const rv = status && status.mzxid > body.mzxid ? status.mzxid : body.mzxid;
  const resource: Resource = {
    ...body.value,
    metadata: { ...body.value.metadata, resourceVersion: rv.toString() },
  };
  if (status && Object.keys(status.value).length > 0) resource.status = status.value;
  return deepFreeze(resource);
}

function rvOf(r: Resource): bigint {
  return BigInt(r.metadata.resourceVersion ?? "0");
}

export class Informer<T extends AnyResource = Resource> extends EventEmitter<InformerEvents<T>> {
  readonly kind: string;
  readonly #store: ResourceStore;
  /** The kind's folder: `<dir>/<name>` is an object, `<dir>/<name>/status` its status. */
  readonly #dir: string;
  readonly #entries = new Map<string, Entry>();
  /** Our objects' and statuses' paths that a multi of this client is writing right now. */
  readonly #inFlight = new InFlightPaths();
  #unsubscribe: Array<() => void> = [];
  #listing: Promise<void> | undefined;
  /** The entries whose read is running (for `current()`, without a scan of every entry). */
  readonly #reading = new Set<Entry>();
  #listAgain = false;
  #stopped = false;
  #synced = false;
  #retryMs: number;
  #highestRv = 0n;
  #size = 0;

  constructor(store: ResourceStore, kind: string, options: { retryMs?: number } = {}) {
    super();
    // One informer per kind is shared by every controller, index, watch stream and the UI, and every
    // facade write waiting for its verdict (api/v1/converge.ts) listens until it ends: as many as
    // concurrent requests, not a leak, so Node's warning past 10 listeners is noise.
    this.setMaxListeners(0);
    this.#store = store;
    const info = store.kindInfo(kind);
    this.kind = info.kind;
    this.#dir = store.layout.kindDir(info.plural);
    this.#retryMs = options.retryMs ?? 500;
  }

  /** Watches, lists the kind, and resolves once the cache holds it. */
  async start(): Promise<void> {
    const zk = this.#store.zk;
    this.#unsubscribe.push(
      zk.observeMultis(this.#dir, {
        sending: (ops) => this.#sending(ops),
        settled: (ops, zxid) => this.#settled(ops, zxid),
      }),
    );
    this.#unsubscribe.push(await zk.watchRecursive(this.#dir, (e) => this.#onEvent(e)));
    await this.#relist();
    this.#synced = true;
    this.emit("synced");
  }

  stop(): void {
    this.#stopped = true;
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.removeAllListeners();
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** The highest resourceVersion this informer has seen. */
  get resourceVersion(): string {
    return this.#highestRv.toString();
  }

  get(name: string): T | undefined {
    return this.#entries.get(name)?.object as T | undefined;
  }

  /**
   * Resolves once the cache holds every change ZooKeeper had made when it was called (what a read
   * of ZooKeeper itself would have seen): a list served from here is read-your-writes.
   * How: a read of the folder is the barrier — ZooKeeper sends a session's watch events and replies
   * in order, so every event of an earlier change has arrived when it returns (our own multis
   * are written through on their replies, earlier still); then the object reads those events
   * started (and a relist, after a reconnect) are awaited, once: later events are not waited for.
   */
  async current(): Promise<void> {
    await this.#store.zk.exists(this.#dir);
    const pending: Promise<void>[] = this.#listing ? [this.#listing] : [];
    for (const entry of this.#reading) if (entry.running) pending.push(entry.running);
    await Promise.all(pending);
  }

  /** The names of the cached objects, unsorted (a resync's keys: no list to build and sort). */
  *names(): IterableIterator<string> {
    for (const [name, entry] of this.#entries) if (entry.object) yield name;
  }

  list(selector: LabelSelector = []): T[] {
    const out: T[] = [];
    for (const e of this.#entries.values()) {
      if (e.object && matchesSelector(e.object.metadata.labels, selector)) out.push(e.object as T);
    }
    return out.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  /** Kept as objects come and go, not counted per call: GET /api/v1/vm asks it on every request. */
  get size(): number {
    return this.#size;
  }

  /** `<dir>/<name>` → [name, "body"], `<dir>/<name>/status` → [name, "status"], else undefined. */
  #locate(path: string): [string, PartName] | undefined {
    if (!path.startsWith(`${this.#dir}/`)) return undefined;
    const rest = path.slice(this.#dir.length + 1);
    const cut = rest.indexOf("/");
    if (cut < 0) return [rest, "body"];
    return rest.slice(cut + 1) === "status" ? [rest.slice(0, cut), "status"] : undefined;
  }

  #entry(name: string): Entry {
    let entry = this.#entries.get(name);
    if (!entry) {
      entry = { dirty: new Set(["body", "status"]), again: false, writes: 0 };
      this.#entries.set(name, entry);
    }
    return entry;
  }

  #onEvent(event: WatchEvent): void {
    if (this.#stopped) return;
    if (event.type === "session-rebuilt") {
      this.#relist().catch((err) => this.#retryLater(err, () => this.#relist()));
      return;
    }
    const at = this.#locate(event.path);
    if (!at) return;
    // Our own write in flight (or an older change it supersedes): its reply brings the value.
    if (this.#inFlight.covers(event)) return;
    this.#markDirty(at[0], at[1]);
  }

  #markDirty(name: string, part: PartName): void {
    const entry = this.#entry(name);
    entry.dirty.add(part);
    void this.#refresh(name);
  }

  /** The ops that write one of our objects or statuses (checks write nothing). */
  #ours(ops: readonly ZkOp[]): ZkOp[] {
    return ops.filter((o) => o.op !== "check" && this.#locate(o.path) !== undefined);
  }

  #sending(ops: readonly ZkOp[]): void {
    this.#inFlight.add(this.#ours(ops));
  }

  #settled(ops: readonly ZkOp[], zxid: string | undefined): void {
    const ours = this.#ours(ops);
    if (ours.length === 0) return;
    this.#inFlight.release(ours);
    if (this.#stopped) return;
    const written = new Set<string>();
    for (const o of ours) {
      const at = this.#locate(o.path) as [string, PartName];
      if (!zxid || o.op === "delete") {
        // Failed, unknown outcome, no zxid to order it by, or a delete: read what is there now.
        this.#markDirty(at[0], at[1]);
        continue;
      }
      const data = o.op === "create" ? (o.data ?? "") : o.op === "set" ? o.data : "";
      const entry = this.#entry(at[0]);
      entry.writes++;
      const mzxid = BigInt(zxid);
      if (at[1] === "body") {
        if (!entry.body || mzxid > entry.body.mzxid) entry.body = { value: parseBody(data), mzxid };
      } else if (!entry.status || mzxid > entry.status.mzxid) {
        entry.status = { value: parseStatus(data), mzxid };
      }
      // Whatever made this part dirty happened before our write (events after it come later).
      entry.dirty.delete(at[1]);
      written.add(at[0]);
    }
    for (const name of written) {
      const entry = this.#entries.get(name) as Entry;
      if (entry.dirty.size > 0) void this.#refresh(name);
      else if (entry.body) this.#apply(entry);
    }
  }

  /** Lists the folder and reads every object in it; concurrent requests merge. */
  #relist(): Promise<void> {
    if (this.#listing) {
      this.#listAgain = true;
      return this.#listing;
    }
    this.#listing = (async () => {
      do {
        this.#listAgain = false;
        const names = new Set(await this.#store.zk.children(this.#dir));
        for (const name of names) {
          const entry = this.#entry(name);
          entry.dirty.add("body");
          entry.dirty.add("status");
        }
        for (const [name, entry] of this.#entries) {
          if (!names.has(name)) entry.dirty.add("body");
        }
        await Promise.all([...this.#entries.keys()].map((name) => this.#refresh(name)));
      } while (this.#listAgain && !this.#stopped);
    })().finally(() => {
      this.#listing = undefined;
    });
    return this.#listing;
  }

  #retryLater(err: unknown, again: () => Promise<void>): void {
    if (this.#stopped) return;
    // An EventEmitter throws on an "error" nobody listens to; the informer recovers on its own.
    if (this.listenerCount("error") > 0) this.emit("error", err);
    setTimeout(() => {
      if (!this.#stopped) again().catch((e) => this.#retryLater(e, again));
    }, this.#retryMs).unref();
  }

  /**
   * Reads one object's dirty parts and emits what changed. Serialised per name: a call while a
   * read runs asks it to go round once more and resolves when it ends.
   */
  #refresh(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) return Promise.resolve();
    if (entry.running) {
      entry.again = true;
      return entry.running;
    }
    this.#reading.add(entry);
    entry.running = this.#readLoop(name, entry).finally(() => {
      entry.running = undefined;
      this.#reading.delete(entry);
      // Gone, and nothing more to learn: forget it.
      if (!entry.body && !entry.status && entry.dirty.size === 0 && this.#entries.get(name) === entry) {
        this.#entries.delete(name);
        if (entry.object) this.#size--; // leaves the map, so it leaves the count
      }
    });
    return entry.running;
  }

  async #readLoop(name: string, entry: Entry): Promise<void> {
    try {
      do {
        entry.again = false;
        const parts = [...entry.dirty];
        entry.dirty.clear();
        if (parts.length === 0) break;
        const writesBefore = entry.writes;
        let read: Array<{ data: string; mzxid: bigint } | null>;
        try {
          read = await Promise.all(parts.map((p) => this.#read(name, p)));
        } catch (err) {
          for (const p of parts) entry.dirty.add(p);
          throw err;
        }
        parts.forEach((part, i) => {
          const got = read[i];
          if (!got) {
            // Missing now; unless a write of ours landed meanwhile (its value is newer).
            if (entry.writes !== writesBefore) entry.dirty.add(part);
            else if (part === "body") entry.body = undefined;
            else entry.status = undefined;
            return;
          }
          if (part === "body") {
            if (!entry.body || got.mzxid > entry.body.mzxid)
              entry.body = { value: parseBody(got.data), mzxid: got.mzxid };
          } else if (!entry.status || got.mzxid > entry.status.mzxid) {
            entry.status = { value: parseStatus(got.data), mzxid: got.mzxid };
          }
        });
        if (!entry.body && entry.status && !parts.includes("status")) {
          // Object and status go together: the object is gone, so read the status too.
          entry.dirty.add("status");
        }
        if (entry.dirty.size > 0) entry.again = true;
        else this.#apply(entry);
      } while (entry.again && !this.#stopped);
    } catch (err) {
      this.#retryLater(err, () => this.#refresh(name));
    }
  }

  async #read(name: string, part: PartName): Promise<{ data: string; mzxid: bigint } | null> {
    const path = part === "body" ? `${this.#dir}/${name}` : `${this.#dir}/${name}/status`;
    try {
      const got = await this.#store.zk.get(path);
      return { data: got.data, mzxid: BigInt(got.stat.mzxid) };
    } catch (err) {
      if (isPvcError(err, ErrorCodes.ZK_NO_NODE)) return null;
      throw err;
    }
  }

  /** Composes the entry's parts and tells listeners how the object changed. */
  #apply(entry: Entry): void {
    const old = entry.object;
    if (!entry.body) {
      entry.object = undefined;
      if (old) {
        this.#size--;
        this.emit("delete", old as T);
      }
      return;
    }
    const current = compose(entry.body, entry.status);
    const rv = rvOf(current);
    if (rv > this.#highestRv) this.#highestRv = rv;
    if (!old) {
      entry.object = current;
      this.#size++;
      this.emit("add", current as T);
    } else if (rv > rvOf(old) || old.metadata.uid !== current.metadata.uid) {
      entry.object = current;
      if (old.metadata.uid !== current.metadata.uid) {
        // Deleted and created again between two reads: tell it as it happened.
        this.emit("delete", old as T);
        this.emit("add", current as T);
      } else {
        this.emit("update", current as T, old as T);
      }
    }
  }
}

/** Informers by kind name, each typed by its kind (ObjectOf): what controllers and facades are given. */
export type InformerOf = <K extends string>(kind: K) => Informer<ObjectOf<K>>;

/**
 * Types a by-kind lookup of informers: the informer of kind K holds ObjectOf<K>, because the store
 * validated every object it wrote there against K's schema (the header says more).
 */
export function typedInformers(lookup: (kind: string) => Informer): InformerOf {
  return lookup as unknown as InformerOf;
}
