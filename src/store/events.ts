/**
 * Events: a small record per resource ("Created volume vms/web1_sda", "Drift repaired on
 * /networks/200/ip4_gateway"), kept in ZooKeeper beside the store, at most `maxPerObject` each.
 * A repeat of the newest event (same type, reason and message) bumps its count instead of
 * adding a record, so a retry loop cannot flood the list.
 *
 * Recording is one ZooKeeper create in the common case: the store creates each object's event
 * folder with the object, and the recorder remembers, per object, the newest record and how many
 * there are. The first time it meets an object it creates the record first: a sequence number of
 * 0 means the folder never held a record (a new object: nothing to learn), otherwise one listing
 * learns the rest. Records it has not seen (another replica's, or ours from before a restart) are
 * not in that memory: at worst a repeat is stored as a new record, and trimming catches up at the
 * next listing.
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import type { ZkClient } from "../zk/client.ts";
import type { StoreLayout } from "./layout.ts";

export type EventType = "Normal" | "Warning";

export interface EventRecord {
  type: EventType;
  reason: string;
  message: string;
  /** When it last happened. */
  timestamp: string;
  firstTimestamp: string;
  count: number;
}

interface Known {
  newest?: { path: string; record: EventRecord };
  /** Records believed stored (trimmed when above the bound). */
  count: number;
}

/** The counter ZooKeeper appended to a sequential node's name (its parent's child-change count). */
function sequenceOf(path: string): number {
  return Number(path.slice(-10));
}

/** Objects whose newest record we remember; beyond it the memory starts over (it is a cache). */
const MAX_REMEMBERED = 10_000;

export class EventRecorder {
  readonly #zk: ZkClient;
  readonly #layout: StoreLayout;
  readonly #maxPerObject: number;
  readonly #now: () => Date;
  readonly #known = new Map<string, Known>();

  constructor(zk: ZkClient, layout: StoreLayout, options: { maxPerObject?: number; now?: () => Date } = {}) {
    this.#zk = zk;
    this.#layout = layout;
    this.#maxPerObject = options.maxPerObject ?? 20;
    this.#now = options.now ?? (() => new Date());
  }

  async record(
    plural: string,
    name: string,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const dir = this.#layout.eventsDir(plural, name);
    const key = `${plural}/${name}`;
    const now = this.#now().toISOString();
    const known = this.#known.get(key);
    const prev = known?.newest?.record;
    if (known?.newest && prev && prev.type === type && prev.reason === reason && prev.message === message) {
      const bumped: EventRecord = { ...prev, count: prev.count + 1, timestamp: now };
      try {
        await this.#zk.set(known.newest.path, JSON.stringify(bumped));
        known.newest = { path: known.newest.path, record: bumped };
        this.#remember(key, known);
        return;
      } catch (err) {
        if (!(err instanceof PvcError && err.code === ErrorCodes.ZK_NO_NODE)) throw err;
        // Trimmed or deleted meanwhile: store it as a new record.
      }
    }
    const record: EventRecord = { type, reason, message, timestamp: now, firstTimestamp: now, count: 1 };
    let path: string;
    try {
      path = await this.#zk.create(this.#layout.eventPrefix(plural, name), JSON.stringify(record), {
        mode: "persistent_sequential",
      });
    } catch (err) {
      if (!(err instanceof PvcError && err.code === ErrorCodes.ZK_NO_NODE)) throw err;
      // An object created before its store made event folders.
      await this.#zk.mkdirp(dir);
      path = await this.#zk.create(this.#layout.eventPrefix(plural, name), JSON.stringify(record), {
        mode: "persistent_sequential",
      });
    }
    let next: Known;
    if (known) next = { newest: { path, record }, count: known.count + 1 };
    else if (sequenceOf(path) === 0) next = { newest: { path, record }, count: 1 };
    else next = { newest: { path, record }, count: (await this.#children(dir)).length };
    if (next.count > this.#maxPerObject) next.count = await this.#trim(dir);
    this.#remember(key, next);
  }

  /** Oldest first. */
  async list(plural: string, name: string): Promise<EventRecord[]> {
    const dir = this.#layout.eventsDir(plural, name);
    const children = await this.#children(dir);
    const records = await Promise.all(children.map((c) => this.#zk.tryGet(`${dir}/${c}`)));
    return records.filter((r) => r !== null).map((r) => JSON.parse(r.data) as EventRecord);
  }

  #remember(key: string, known: Known): void {
    if (!this.#known.has(key) && this.#known.size >= MAX_REMEMBERED) this.#known.clear();
    this.#known.set(key, known);
  }

  /** Deletes the oldest records beyond the bound; returns how many remain. */
  async #trim(dir: string): Promise<number> {
    const children = await this.#children(dir);
    const excess = children.length - this.#maxPerObject;
    if (excess > 0) {
      await Promise.all(
        children.slice(0, excess).map((c) => this.#zk.delete(`${dir}/${c}`).catch(() => undefined)),
      );
    }
    return Math.min(children.length, this.#maxPerObject);
  }

  /** Sequential names sort by their zero-padded counter. */
  async #children(dir: string): Promise<string[]> {
    try {
      return (await this.#zk.children(dir)).sort();
    } catch (err) {
      if (err instanceof PvcError && err.code === ErrorCodes.ZK_NO_NODE) return [];
      throw err;
    }
  }
}

/**
 * The events of one object, for a reconcile. Events are a record for people: written after the
 * verdict, never holding it up and never failing it: a failed write is handed to `onError`. The
 * promise settles when the record is written (await it where order matters to a reader).
 */
export interface ObjectEvents {
  normal(reason: string, message: string): Promise<void>;
  warning(reason: string, message: string): Promise<void>;
}

export function objectEvents(
  recorder: EventRecorder,
  plural: string,
  name: string,
  onError: (err: unknown) => void,
): ObjectEvents {
  const record = (type: EventType) => (reason: string, message: string) =>
    recorder.record(plural, name, type, reason, message).catch(onError);
  return { normal: record("Normal"), warning: record("Warning") };
}
