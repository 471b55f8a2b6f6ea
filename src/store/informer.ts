/**
 * Informer: list-then-watch one kind into an in-memory cache and tell listeners what changed.
 *
 * ZooKeeper watches are one-shot and carry no data, so the informer keeps, per object, one watch
 * on its object znode and one on its status znode, plus one on the kind's folder for adds and
 * deletes. A fired watch means "read it again": the informer never trusts the event, it reads the
 * current state and compares resourceVersions (zxids), so a burst of writes may reach listeners
 * as one update, but never out of order and never missing the last state — the guarantee a
 * level-triggered reconciler needs. After a session rebuild every watch fires and everything is
 * re-read: listeners get the differences (adds, updates, deletes), and the cache is correct again.
 *
 * Cached objects are deep-frozen: no listener can change what another sees.
 */
import { EventEmitter } from "node:events";
import type { Resource } from "../resources/types.ts";
import type { WatchEvent } from "../zk/client.ts";
import { deepFreeze } from "./freeze.ts";
import { type LabelSelector, matchesSelector } from "./labels.ts";
import type { ResourceStore } from "./store.ts";

export interface InformerEvents {
  add: [object: Resource];
  update: [object: Resource, old: Resource];
  delete: [object: Resource];
  /** The initial list is in the cache. */
  synced: [];
  /** A read failed; the informer retries on its own. */
  error: [err: unknown];
}

interface Entry {
  object?: Resource;
  /** The object's own znode as last read (without status and resourceVersion), and its zxid. */
  body?: { value: Resource; mzxid: string };
  /** The status znode as last read, and its zxid. */
  status?: { value: Record<string, unknown>; mzxid: string };
  objectWatched: boolean;
  statusWatched: boolean;
  /** A refresh is running; `again` asks it to read once more when it ends. */
  running: boolean;
  again: boolean;
}

/** The object as handed out: its znode, its status, and the later of their zxids as resourceVersion. */
function compose(
  body: { value: Resource; mzxid: string },
  status: { value: Record<string, unknown>; mzxid: string },
): Resource {
  const rv = BigInt(body.mzxid) >= BigInt(status.mzxid) ? body.mzxid : status.mzxid;
  const resource: Resource = { ...body.value, metadata: { ...body.value.metadata, resourceVersion: rv } };
  if (Object.keys(status.value).length > 0) resource.status = status.value;
  return deepFreeze(resource);
}

function rvOf(r: Resource): bigint {
  return BigInt(r.metadata.resourceVersion ?? "0");
}

export class Informer extends EventEmitter<InformerEvents> {
  readonly kind: string;
  readonly #store: ResourceStore;
  readonly #entries = new Map<string, Entry>();
  #listWatched = false;
  #listing = false;
  #listAgain = false;
  #stopped = false;
  #synced = false;
  #retryMs: number;
  #highestRv = 0n;

  constructor(store: ResourceStore, kind: string, options: { retryMs?: number } = {}) {
    super();
    this.#store = store;
    this.kind = store.kindInfo(kind).kind;
    this.#retryMs = options.retryMs ?? 500;
  }

  /** Lists the kind and resolves once the cache holds it; watches keep it current afterwards. */
  async start(): Promise<void> {
    await this.#relist();
    this.#synced = true;
    this.emit("synced");
  }

  stop(): void {
    this.#stopped = true;
    this.removeAllListeners();
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** The highest resourceVersion this informer has seen. */
  get resourceVersion(): string {
    return this.#highestRv.toString();
  }

  get(name: string): Resource | undefined {
    return this.#entries.get(name)?.object;
  }

  list(selector: LabelSelector = []): Resource[] {
    const out: Resource[] = [];
    for (const e of this.#entries.values()) {
      if (e.object && matchesSelector(e.object.metadata.labels, selector)) out.push(e.object);
    }
    return out.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  get size(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.object) n++;
    return n;
  }

  async #relist(): Promise<void> {
    if (this.#listing) {
      this.#listAgain = true;
      return;
    }
    this.#listing = true;
    try {
      do {
        this.#listAgain = false;
        // Arm the list watch only when none is armed: a second one would fire twice. The flag is
        // set before the read: the watch can fire before this await resumes.
        const armWatch = !this.#listWatched;
        if (armWatch) this.#listWatched = true;
        let names: string[];
        try {
          names = await this.#store.watchNames(this.kind, armWatch ? (e) => this.#onListWatch(e) : undefined);
        } catch (err) {
          if (armWatch) this.#listWatched = false;
          throw err;
        }
        const present = new Set(names);
        const work: Promise<void>[] = [];
        for (const name of names) {
          // Known objects follow their own watches; a listing only brings in the new ones (and
          // re-reads any whose watches are not armed, e.g. after a failed read).
          const known = this.#entries.get(name);
          if (known?.objectWatched && known.statusWatched) continue;
          if (!known) {
            this.#entries.set(name, {
              objectWatched: false,
              statusWatched: false,
              running: false,
              again: false,
            });
          }
          work.push(this.#refresh(name));
        }
        for (const name of this.#entries.keys()) if (!present.has(name)) work.push(this.#refresh(name));
        await Promise.all(work);
      } while (this.#listAgain && !this.#stopped);
    } finally {
      this.#listing = false;
    }
  }

  #onListWatch(_event: WatchEvent): void {
    this.#listWatched = false;
    if (this.#stopped) return;
    this.#relist().catch((err) => this.#retryLater(err, () => this.#relist()));
  }

  #retryLater(err: unknown, again: () => Promise<void>): void {
    if (this.#stopped) return;
    // An EventEmitter throws on an "error" nobody listens to; the informer recovers on its own.
    if (this.listenerCount("error") > 0) this.emit("error", err);
    setTimeout(() => {
      if (!this.#stopped) again().catch((e) => this.#retryLater(e, again));
    }, this.#retryMs).unref();
  }

  /** Reads one object (serialised per name) and emits what changed. */
  async #refresh(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) return;
    if (entry.running) {
      entry.again = true;
      return;
    }
    entry.running = true;
    try {
      do {
        entry.again = false;
        // Only what changed is read: a fired watch cleared its flag. The flags are set before
        // the read, not after: the watch armed by this read can fire (and clear its flag) before
        // this await resumes, and setting it afterwards would lose it.
        const readObject = !entry.objectWatched || !entry.body;
        const readStatus = !entry.statusWatched || !entry.status;
        if (readObject) entry.objectWatched = true;
        if (readStatus) entry.statusWatched = true;
        let body: Entry["body"] | null;
        let status: Entry["status"] | null;
        try {
          [body, status] = (await Promise.all([
            readObject
              ? this.#store.watchReadPart(this.kind, name, "object", () =>
                  this.#onObjectWatch(name, "objectWatched"),
                )
              : entry.body,
            readStatus
              ? this.#store.watchReadPart(this.kind, name, "status", () =>
                  this.#onObjectWatch(name, "statusWatched"),
                )
              : entry.status,
          ])) as [Entry["body"] | null, Entry["status"] | null];
        } catch (err) {
          if (readObject) entry.objectWatched = false;
          if (readStatus) entry.statusWatched = false;
          throw err;
        }
        // A watch on a missing znode is not armed.
        if (readObject && !body) entry.objectWatched = false;
        if (readStatus && !status) entry.statusWatched = false;
        let current: Resource | null = null;
        if (body && status) {
          entry.body = body as Entry["body"];
          entry.status = status;
          current = compose(body as NonNullable<Entry["body"]>, status);
        } else if (body && !status) {
          if (!readObject) {
            // Object and status come and go together: the status is gone, so the object is
            // probably being deleted; read the object again to know.
            entry.objectWatched = false;
            entry.again = true;
            continue;
          }
          // Both read, the object is there without a status znode: show it with an empty status.
          entry.body = body as Entry["body"];
          current = compose(body as NonNullable<Entry["body"]>, { value: {}, mzxid: "0" });
        }
        this.#apply(name, entry, current);
      } while (entry.again && !this.#stopped);
    } catch (err) {
      this.#retryLater(err, () => this.#refresh(name));
    } finally {
      entry.running = false;
    }
  }

  #onObjectWatch(name: string, which: "objectWatched" | "statusWatched"): void {
    const entry = this.#entries.get(name);
    if (entry) entry[which] = false;
    if (this.#stopped) return;
    void this.#refresh(name);
  }

  #apply(name: string, entry: Entry, current: Resource | null): void {
    const old = entry.object;
    if (!current) {
      this.#entries.delete(name);
      if (old) this.emit("delete", old);
      return;
    }
    const rv = rvOf(current);
    if (rv > this.#highestRv) this.#highestRv = rv;
    if (!old) {
      entry.object = current;
      this.emit("add", current);
    } else if (rv > rvOf(old) || old.metadata.uid !== current.metadata.uid) {
      entry.object = current;
      if (old.metadata.uid !== current.metadata.uid) {
        // Deleted and created again between two reads: tell it as it happened.
        this.emit("delete", old);
        this.emit("add", current);
      } else {
        this.emit("update", current, old);
      }
    }
  }
}
