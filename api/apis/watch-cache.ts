/**
 * The watch cache of one kind, as Kubernetes' apiserver keeps one: it follows the informer, keeps
 * the objects as of its last event and a bounded history of recent events, and serves watches:
 * - without a resourceVersion (or "0"): ADDED for every object now, then every change;
 * - from resourceVersion R: the history from its first event newer than R, then every change.
 *   If events newer than R may have been dropped from the history (or happened before this cache
 *   started), the watch is refused with RESOURCE_VERSION_TOO_OLD (410): list again, watch from there.
 *
 * Event resourceVersions are ZooKeeper zxids. The informer may deliver a change of one object after
 * a newer change of another (it reads objects concurrently), so the replay starts at the first event
 * newer than R and sends everything after it, older or not: a resumed watch may repeat an event,
 * never skip one. A deletion's zxid is not in the informer's event; `kindRv` supplies one (the kind
 * folder's pzxid: the zxid of its last create or delete, so the deletion's or later), so a deletion
 * always sorts after the object's last version. The same read at start-up says from where the
 * history is complete: a kind with no objects left may still have had deletions a watch must see.
 *
 * A watch with a label selector sees an object leaving the selection as DELETED and one entering
 * it as ADDED, as in Kubernetes.
 */
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import type { Resource } from "../../src/resources/types.ts";
import type { Informer } from "../../src/store/informer.ts";
import { type LabelSelector, matchesSelector } from "../../src/store/labels.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatchEvent {
  type: WatchEventType;
  object: Resource;
}

export interface WatchSubscriber {
  send(event: WatchEvent): void;
  /** The cache is closing: finish the stream. */
  end(): void;
}

interface Entry {
  type: WatchEventType;
  object: Resource;
  /** For MODIFIED: the object before, to tell selection changes. */
  old?: Resource;
  rv: bigint;
}

interface Subscription {
  selector: LabelSelector;
  subscriber: WatchSubscriber;
}

export interface WatchCacheOptions {
  /** Events kept for resuming watches (default 1000). */
  capacity?: number;
  /**
   * The zxid of the kind's last create or delete (see the file comment): read for each deletion and
   * once at start. On error the last seen resourceVersion stands in.
   */
  kindRv?: () => Promise<string>;
  onError?: (err: unknown) => void;
}

export const DEFAULT_WATCH_HISTORY = 1000;

function rvOf(r: Resource): bigint {
  return BigInt(r.metadata.resourceVersion ?? "0");
}

function withRv(r: Resource, rv: bigint): Resource {
  return { ...r, metadata: { ...r.metadata, resourceVersion: rv.toString() } };
}

/** Parses a watch's resourceVersion: undefined for "from now with the current state". */
export function parseWatchRv(value: string | undefined): bigint | undefined {
  if (value === undefined || value === "" || value === "0") return undefined;
  if (!/^\d+$/.test(value)) {
    throw new PvcError(
      ErrorCodes.BAD_REQUEST,
      `resourceVersion ${JSON.stringify(value)} is not a resourceVersion`,
      {
        details: { resourceVersion: value },
      },
    );
  }
  return BigInt(value);
}

export class WatchCache {
  readonly kind: string;
  readonly #capacity: number;
  readonly #kindRv?: () => Promise<string>;
  readonly #onError: (err: unknown) => void;
  readonly #objects = new Map<string, Resource>();
  readonly #history: Entry[] = [];
  readonly #subs = new Set<Subscription>();
  /** Events newer than this are all in the history (or still to come). */
  #floor = 0n;
  /** The highest resourceVersion seen. */
  #latest = 0n;
  #synced = false;
  #closed = false;
  /** Informer events are handled one after the other (a deletion waits for its resourceVersion). */
  #chain: Promise<void> = Promise.resolve();
  readonly #detach: () => void;

  /** Attach before `informer.start()`: the initial listing fills the state without history. */
  constructor(informer: Informer, options: WatchCacheOptions = {}) {
    this.kind = informer.kind;
    this.#capacity = options.capacity ?? DEFAULT_WATCH_HISTORY;
    this.#kindRv = options.kindRv;
    this.#onError = options.onError ?? (() => undefined);
    const onAdd = (obj: Resource) => this.#enqueue(() => this.#record("ADDED", obj));
    const onUpdate = (obj: Resource, old: Resource) =>
      this.#enqueue(() => this.#record("MODIFIED", obj, old));
    const onDelete = (obj: Resource) => this.#enqueue(() => this.#recordDelete(obj));
    const onSynced = () =>
      this.#enqueue(async () => {
        const seen = BigInt(informer.resourceVersion);
        if (seen > this.#latest) this.#latest = seen;
        const kindRv = await this.#readKindRv();
        if (kindRv !== undefined && kindRv > this.#latest) this.#latest = kindRv;
        this.#floor = this.#latest;
        this.#synced = true;
      });
    informer.on("add", onAdd);
    informer.on("update", onUpdate);
    informer.on("delete", onDelete);
    informer.on("synced", onSynced);
    this.#detach = () => {
      informer.off("add", onAdd);
      informer.off("update", onUpdate);
      informer.off("delete", onDelete);
      informer.off("synced", onSynced);
    };
    if (informer.synced) {
      for (const obj of informer.list()) this.#objects.set(obj.metadata.name, obj);
      onSynced();
    }
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion of the newest event handled. */
  get resourceVersion(): string {
    return this.#latest.toString();
  }

  get historySize(): number {
    return this.#history.length;
  }

  /** Resolves once every informer event so far has been handled (for tests). */
  settled(): Promise<void> {
    return this.#chain;
  }

  #enqueue(step: () => void | Promise<void>): void {
    this.#chain = this.#chain.then(step).catch((err) => this.#onError(err));
  }

  #record(type: "ADDED" | "MODIFIED", object: Resource, old?: Resource): void {
    this.#objects.set(object.metadata.name, object);
    const rv = rvOf(object);
    if (rv > this.#latest) this.#latest = rv;
    this.#append({ type, object, old, rv });
  }

  async #readKindRv(): Promise<bigint | undefined> {
    if (!this.#kindRv) return undefined;
    try {
      return BigInt(await this.#kindRv());
    } catch (err) {
      this.#onError(err);
      return undefined;
    }
  }

  async #recordDelete(object: Resource): Promise<void> {
    let rv = rvOf(object);
    if (this.#latest > rv) rv = this.#latest;
    const at = this.#synced ? await this.#readKindRv() : undefined;
    if (at !== undefined && at > rv) rv = at;
    if (this.#objects.get(object.metadata.name)?.metadata.uid === object.metadata.uid) {
      this.#objects.delete(object.metadata.name);
    }
    if (rv > this.#latest) this.#latest = rv;
    this.#append({ type: "DELETED", object: withRv(object, rv), rv });
  }

  #append(entry: Entry): void {
    if (!this.#synced) return; // the initial listing: state, not history
    this.#history.push(entry);
    if (this.#history.length > this.#capacity) {
      const dropped = this.#history.shift() as Entry;
      if (dropped.rv > this.#floor) this.#floor = dropped.rv;
    }
    for (const sub of this.#subs) this.#deliver(sub, entry);
  }

  #deliver(sub: Subscription, entry: Entry): void {
    const event = this.#filter(sub.selector, entry);
    if (event) sub.subscriber.send(event);
  }

  #filter(selector: LabelSelector, entry: Entry): WatchEvent | undefined {
    const matches = (r: Resource | undefined) =>
      r !== undefined && matchesSelector(r.metadata.labels, selector);
    if (entry.type !== "MODIFIED" || selector.length === 0) {
      return matches(entry.object) ? { type: entry.type, object: entry.object } : undefined;
    }
    const now = matches(entry.object);
    const before = matches(entry.old);
    if (now && before) return { type: "MODIFIED", object: entry.object };
    if (now) return { type: "ADDED", object: entry.object };
    if (before) return { type: "DELETED", object: entry.object };
    return undefined;
  }

  /**
   * Starts a watch. Resolves once the initial events (current state or history) have been sent;
   * from then on `subscriber` gets every change until the returned function is called.
   * Rejects with RESOURCE_VERSION_TOO_OLD when `fromRv` is older than the history reaches.
   */
  async watch(
    fromRv: bigint | undefined,
    selector: LabelSelector,
    subscriber: WatchSubscriber,
  ): Promise<() => void> {
    // Start at a point where every event so far has been handled: the state and history agree.
    await this.#chain;
    if (this.#closed)
      throw new PvcError(ErrorCodes.ZK_CLOSED, `watch of ${this.kind}: the server is shutting down`);
    const sub: Subscription = { selector, subscriber };
    if (fromRv === undefined) {
      const names = [...this.#objects.keys()].sort();
      for (const name of names) {
        const object = this.#objects.get(name) as Resource;
        if (matchesSelector(object.metadata.labels, selector)) subscriber.send({ type: "ADDED", object });
      }
    } else {
      if (!this.#synced || fromRv < this.#floor) {
        throw new PvcError(
          ErrorCodes.RESOURCE_VERSION_TOO_OLD,
          `watch of ${this.kind} from resourceVersion ${fromRv}: too old, the history starts after ${this.#floor}; list again and watch from the list's resourceVersion`,
          {
            details: { kind: this.kind, resourceVersion: fromRv.toString(), oldest: this.#floor.toString() },
          },
        );
      }
      const start = this.#history.findIndex((e) => e.rv > fromRv);
      if (start >= 0) for (const entry of this.#history.slice(start)) this.#deliver(sub, entry);
    }
    this.#subs.add(sub);
    return () => {
      this.#subs.delete(sub);
    };
  }

  /** Ends every watch and stops following the informer. */
  close(): void {
    this.#closed = true;
    this.#detach();
    for (const sub of this.#subs) sub.subscriber.end();
    this.#subs.clear();
  }
}
