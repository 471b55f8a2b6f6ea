/**
 * Events: a small record per resource ("Created volume vms/web1_sda", "Drift repaired on
 * /networks/200/ip4_gateway"), kept in ZooKeeper beside the store, at most `maxPerObject` each.
 * A repeat of the newest event (same type, reason and message) bumps its count instead of
 * adding a record, so a retry loop cannot flood the list.
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

export class EventRecorder {
  readonly #zk: ZkClient;
  readonly #layout: StoreLayout;
  readonly #maxPerObject: number;
  readonly #now: () => Date;

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
    const now = this.#now().toISOString();
    const children = await this.#children(dir);
    const newest = children.at(-1);
    if (newest) {
      const last = await this.#zk.tryGet(`${dir}/${newest}`);
      if (last) {
        const prev = JSON.parse(last.data) as EventRecord;
        if (prev.type === type && prev.reason === reason && prev.message === message) {
          const bumped: EventRecord = { ...prev, count: prev.count + 1, timestamp: now };
          await this.#zk
            .set(`${dir}/${newest}`, JSON.stringify(bumped), last.stat.version)
            .catch(() => undefined);
          return;
        }
      }
    }
    const record: EventRecord = { type, reason, message, timestamp: now, firstTimestamp: now, count: 1 };
    try {
      await this.#zk.create(this.#layout.eventPrefix(plural, name), JSON.stringify(record), {
        mode: "persistent_sequential",
      });
    } catch (err) {
      if (!(err instanceof PvcError && err.code === ErrorCodes.ZK_NO_NODE)) throw err;
      await this.#zk.mkdirp(dir);
      await this.#zk.create(this.#layout.eventPrefix(plural, name), JSON.stringify(record), {
        mode: "persistent_sequential",
      });
    }
    const excess = children.length + 1 - this.#maxPerObject;
    if (excess > 0) {
      await Promise.all(
        children.slice(0, excess).map((c) => this.#zk.delete(`${dir}/${c}`).catch(() => undefined)),
      );
    }
  }

  /** Oldest first. */
  async list(plural: string, name: string): Promise<EventRecord[]> {
    const dir = this.#layout.eventsDir(plural, name);
    const children = await this.#children(dir);
    const records = await Promise.all(children.map((c) => this.#zk.tryGet(`${dir}/${c}`)));
    return records.filter((r) => r !== null).map((r) => JSON.parse(r.data) as EventRecord);
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
