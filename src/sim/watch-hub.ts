/**
 * Keeps ZooKeeper watches armed and fans their events out to subscribers.
 *
 * ZooKeeper watches are one-shot; every hollow node cares about the same keys (each domain's
 * state and node, /primary_node…). Arming one watch per path for the whole cluster — not one per
 * node — keeps the watch count at O(keys) and stays clear of node-zookeeper-client's per-path
 * EventEmitter (it warns past 10 listeners). Subscribers are only told "this path may have
 * changed": they re-read, never trusting the event. The watch is re-armed before subscribers are
 * told, so a change that lands while they read triggers another event instead of being lost.
 */

import { ErrorCodes, isPvcError } from "../errors.ts";
import type { ZkClient } from "../zk/client.ts";

export type WatchKind = "data" | "children";
type Listener = () => void;

interface Entry {
  kind: WatchKind;
  path: string;
  listeners: Set<Listener>;
  /** Bumped on every arm: a watch from an earlier arm that fires late is ignored. */
  generation: number;
  armed: boolean;
  retry: NodeJS.Timeout | undefined;
}

export interface WatchHubOptions {
  /** Wait before re-arming after a failed arm (ZooKeeper unreachable). */
  retryMs?: number;
  onError?: (err: unknown, path: string) => void;
}

export class WatchHub {
  readonly #zk: ZkClient;
  readonly #entries = new Map<string, Entry>();
  readonly #retryMs: number;
  readonly #onError: (err: unknown, path: string) => void;
  #closed = false;

  constructor(zk: ZkClient, options: WatchHubOptions = {}) {
    this.#zk = zk;
    this.#retryMs = options.retryMs ?? 1000;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Calls `listener` whenever `path` (its data, or its children list) may have changed, including
   * its creation or deletion and a session rebuild. Resolves once the watch is armed, so a read
   * made after it cannot miss a change. Returns the unsubscribe function.
   */
  async subscribe(kind: WatchKind, path: string, listener: Listener): Promise<() => void> {
    const key = `${kind}:${path}`;
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { kind, path, listeners: new Set(), generation: 0, armed: false, retry: undefined };
      this.#entries.set(key, entry);
    }
    entry.listeners.add(listener);
    if (!entry.armed && !entry.retry) await this.#arm(entry);
    const e = entry;
    return () => {
      e.listeners.delete(listener);
      // The armed server-side watch stays until it fires; then nothing re-arms it.
      if (e.listeners.size === 0 && this.#entries.get(key) === e) {
        clearTimeout(e.retry);
        this.#entries.delete(key);
      }
    };
  }

  /** Stops re-arming and forgets every subscriber. */
  close(): void {
    this.#closed = true;
    for (const e of this.#entries.values()) clearTimeout(e.retry);
    this.#entries.clear();
  }

  async #arm(entry: Entry): Promise<void> {
    entry.generation += 1;
    const generation = entry.generation;
    entry.armed = true;
    const watch = () => this.#fired(entry, generation);
    try {
      if (entry.kind === "data") {
        await this.#zk.exists(entry.path, { watch });
      } else {
        try {
          await this.#zk.children(entry.path, { watch });
        } catch (err) {
          if (!isPvcError(err, ErrorCodes.ZK_NO_NODE)) throw err;
          // No parent (yet): wait for it to be created, then watch its children.
          await this.#zk.exists(entry.path, { watch });
        }
      }
    } catch (err) {
      if (entry.generation !== generation) return;
      entry.armed = false;
      if (this.#closed || !this.#live(entry)) return;
      this.#onError(err, entry.path);
      entry.retry = setTimeout(() => {
        entry.retry = undefined;
        if (this.#closed || !this.#live(entry)) return;
        void this.#arm(entry).then(() => this.#notify(entry));
      }, this.#retryMs);
    }
  }

  #live(entry: Entry): boolean {
    return this.#entries.get(`${entry.kind}:${entry.path}`) === entry && entry.listeners.size > 0;
  }

  async #fired(entry: Entry, generation: number): Promise<void> {
    if (entry.generation !== generation) return;
    entry.armed = false;
    if (this.#closed || !this.#live(entry)) return;
    await this.#arm(entry);
    this.#notify(entry);
  }

  #notify(entry: Entry): void {
    if (this.#closed) return;
    for (const listener of [...entry.listeners]) listener();
  }
}
