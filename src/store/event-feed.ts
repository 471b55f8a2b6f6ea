/**
 * Every event recorded in the store, as it is recorded, by any replica: one persistent recursive
 * watch on the events root (a record created, or its count bumped by a repeat) and one read of the
 * record it names. Kept: the newest `capacity` events, and how many drift repairs (`DriftRepaired`,
 * repeats counted) happened in each minute of the last `windowMinutes`: the status page's "recent
 * events" and its drift plot. What happened before this replica started is not in it (an object's
 * own history is: /apis/.../<name>/events reads it from the store).
 *
 * A notification is one write, so a bump read late (after the next bump) is still counted once per
 * notification. Reads run one at a time, in notification order.
 */
import type { ZkClient } from "../zk/client.ts";
import type { WatchEvent } from "../zk/types.ts";
import type { EventRecord } from "./events.ts";
import type { StoreLayout } from "./layout.ts";

export const DRIFT_REPAIRED = "DriftRepaired";

export interface FeedEvent extends EventRecord {
  /** The object's kind (from its plural; the plural itself for a plural we do not know). */
  kind: string;
  name: string;
}

/** Drift repairs in one minute: `minute` is its start, epoch milliseconds. */
export interface DriftBucket {
  minute: number;
  count: number;
}

export type FeedListener = (event: FeedEvent, drift: readonly DriftBucket[] | undefined) => void;

export interface EventFeedOptions {
  /** Events kept (default 200). */
  capacity?: number;
  /** Minutes of drift repairs kept (default 60). */
  windowMinutes?: number;
  kindOfPlural(plural: string): string | undefined;
  onError?(err: unknown): void;
  now?(): number;
}

const MINUTE_MS = 60_000;

export class EventFeed {
  readonly #zk: ZkClient;
  readonly #layout: StoreLayout;
  readonly #capacity: number;
  readonly #windowMinutes: number;
  readonly #options: EventFeedOptions;
  readonly #now: () => number;
  readonly #recent: FeedEvent[] = [];
  readonly #drift = new Map<number, number>();
  readonly #listeners = new Set<FeedListener>();
  #chain: Promise<void> = Promise.resolve();
  #unwatch: (() => void) | undefined;

  constructor(zk: ZkClient, layout: StoreLayout, options: EventFeedOptions) {
    this.#zk = zk;
    this.#layout = layout;
    this.#capacity = options.capacity ?? 200;
    this.#windowMinutes = options.windowMinutes ?? 60;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.#unwatch = await this.#zk.watchRecursive(this.#layout.eventsRoot(), (e) => this.#heard(e));
  }

  stop(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#listeners.clear();
  }

  /** The newest events, oldest first. */
  recent(): FeedEvent[] {
    return [...this.#recent];
  }

  /** Drift repairs per minute over the window, oldest first, a bucket for every minute. */
  driftRepairs(): DriftBucket[] {
    const last = Math.floor(this.#now() / MINUTE_MS) * MINUTE_MS;
    const out: DriftBucket[] = [];
    for (let i = this.#windowMinutes - 1; i >= 0; i--) {
      const minute = last - i * MINUTE_MS;
      out.push({ minute, count: this.#drift.get(minute) ?? 0 });
    }
    return out;
  }

  /** `listener` hears each event from now on (with the drift series when it was a repair). */
  subscribe(listener: FeedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once every notification so far has been read (tests). */
  settled(): Promise<void> {
    return this.#chain;
  }

  #heard(e: WatchEvent): void {
    if (e.type !== "created" && e.type !== "changed") return;
    const owner = this.#layout.eventRecordOf(e.path);
    if (!owner) return;
    this.#chain = this.#chain
      .then(() => this.#read(e.path, owner))
      .catch((err) => this.#options.onError?.(err));
  }

  async #read(path: string, owner: { plural: string; name: string }): Promise<void> {
    const found = await this.#zk.tryGet(path);
    if (!found) return; // trimmed or deleted with its object meanwhile
    const record = JSON.parse(found.data) as EventRecord;
    const event: FeedEvent = {
      ...record,
      kind: this.#options.kindOfPlural(owner.plural) ?? owner.plural,
      name: owner.name,
    };
    this.#recent.push(event);
    if (this.#recent.length > this.#capacity) this.#recent.shift();
    const repaired = record.reason === DRIFT_REPAIRED;
    if (repaired) this.#countRepair();
    for (const l of [...this.#listeners]) l(event, repaired ? this.driftRepairs() : undefined);
  }

  #countRepair(): void {
    const minute = Math.floor(this.#now() / MINUTE_MS) * MINUTE_MS;
    this.#drift.set(minute, (this.#drift.get(minute) ?? 0) + 1);
    const oldest = minute - (this.#windowMinutes - 1) * MINUTE_MS;
    for (const m of this.#drift.keys()) if (m < oldest) this.#drift.delete(m);
  }
}
