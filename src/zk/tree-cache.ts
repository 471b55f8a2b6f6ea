/**
 * TreeCache: an in-memory mirror of a ZooKeeper subtree (every path → data and mzxid), kept
 * current by one persistent recursive watch (Curator's TreeCache, without a watch per node).
 *
 * - Events carry no data, so a created/changed event is followed by a get; events for one path
 *   are handled one after the other, so a slow get can never land after a later delete.
 * - A get result older (by mzxid) than what the cache holds is dropped: writers that know the
 *   zxid of their own write (`noteWrite`) make the cache current at once, and a stale read can
 *   not undo that.
 * - After a reconnect or session rebuild (events may have been missed) the whole tree is read
 *   again and the differences are reported like events.
 * Listeners hear `change(path)` for every path whose cached value changed, appeared or went.
 */
import { EventEmitter } from "node:events";
import { ErrorCodes, isPvcError } from "../errors.ts";
import type { WatchEvent, ZkClient } from "./client.ts";

export interface CachedNode {
  data: string;
  /** zxid of the last change known to the cache ("0" when unknown). */
  mzxid: string;
}

export interface TreeCacheEvents {
  change: [path: string];
  /** The whole tree was (re)loaded. */
  loaded: [];
  error: [err: unknown];
}

function newer(a: string, b: string): boolean {
  return BigInt(a) >= BigInt(b);
}

export class TreeCache extends EventEmitter<TreeCacheEvents> {
  readonly root: string;
  readonly #zk: ZkClient;
  readonly #nodes = new Map<string, CachedNode>();
  /** Per-path chain of pending event handling. */
  readonly #chains = new Map<string, Promise<void>>();
  #unsubscribe: (() => void) | undefined;
  #reloading: Promise<void> | undefined;
  #reloadAgain = false;
  #stopped = false;

  constructor(zk: ZkClient, root: string) {
    super();
    this.#zk = zk;
    this.root = root;
  }

  /** Watches, then loads the whole subtree; resolves when the cache holds it. */
  async start(): Promise<void> {
    await this.#zk.mkdirp(this.root);
    this.#unsubscribe = await this.#zk.watchRecursive(this.root, (e) => this.#onEvent(e));
    await this.#reload();
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.removeAllListeners();
  }

  get(path: string): CachedNode | undefined {
    return this.#nodes.get(path);
  }

  has(path: string): boolean {
    return this.#nodes.has(path);
  }

  /** Names of the cached children of `path`, sorted. */
  children(path: string): string[] {
    const prefix = `${path}/`;
    const out: string[] = [];
    for (const p of this.#nodes.keys()) {
      if (p.startsWith(prefix) && !p.includes("/", prefix.length)) out.push(p.slice(prefix.length));
    }
    return out.sort();
  }

  /** Every cached path at or below `path`, with its data. */
  subtree(path: string): Map<string, string> {
    const out = new Map<string, string>();
    const prefix = `${path}/`;
    for (const [p, node] of this.#nodes) {
      if (p === path || p.startsWith(prefix)) out.set(p, node.data);
    }
    return out;
  }

  get size(): number {
    return this.#nodes.size;
  }

  /**
   * A writer tells the cache what its own committed transaction did (zxid = the transaction's),
   * so reads right after it see it without waiting for the watch round trip.
   */
  noteWrite(zxid: string, written: Array<{ path: string; data?: string; deleted?: boolean }>): void {
    for (const w of written) {
      if (w.deleted) {
        this.#removeTree(w.path);
        continue;
      }
      const cur = this.#nodes.get(w.path);
      if (cur && !newer(zxid, cur.mzxid)) continue;
      this.#set(w.path, { data: w.data ?? "", mzxid: zxid });
    }
  }

  #set(path: string, node: CachedNode): void {
    const cur = this.#nodes.get(path);
    this.#nodes.set(path, node);
    if (!cur || cur.data !== node.data) this.emit("change", path);
  }

  #removeTree(path: string): void {
    const prefix = `${path}/`;
    for (const p of [...this.#nodes.keys()]) {
      if (p === path || p.startsWith(prefix)) {
        this.#nodes.delete(p);
        this.emit("change", p);
      }
    }
  }

  #onEvent(event: WatchEvent): void {
    if (this.#stopped) return;
    if (event.type === "session-rebuilt") {
      void this.#reload();
      return;
    }
    const path = event.path;
    const previous = this.#chains.get(path) ?? Promise.resolve();
    const next = previous
      .then(() => this.#handle(event))
      .catch((err) => {
        this.emit("error", err);
        return this.#reload(); // we may have missed something: read it all again
      })
      .finally(() => {
        if (this.#chains.get(path) === next) this.#chains.delete(path);
      });
    this.#chains.set(path, next);
  }

  async #handle(event: WatchEvent): Promise<void> {
    if (event.type === "deleted") {
      // A delete in ZooKeeper is of a leaf: its descendants were deleted before it.
      if (this.#nodes.has(event.path)) {
        this.#nodes.delete(event.path);
        this.emit("change", event.path);
      }
      return;
    }
    await this.#refresh(event.path);
  }

  async #refresh(path: string): Promise<void> {
    try {
      const { data, stat } = await this.#zk.get(path);
      const cur = this.#nodes.get(path);
      if (cur && !newer(stat.mzxid, cur.mzxid)) return;
      this.#set(path, { data, mzxid: stat.mzxid });
    } catch (err) {
      if (!isPvcError(err, ErrorCodes.ZK_NO_NODE)) throw err;
      // Gone again before we read it; its delete event follows (or came) and is handled in order.
    }
  }

  /** Reads the whole tree and reports the differences; concurrent requests merge. */
  #reload(): Promise<void> {
    if (this.#reloading) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      do {
        this.#reloadAgain = false;
        const paths = await this.#zk.listTree(this.root);
        const read = await Promise.all(
          paths.map(async (p) => {
            try {
              const r = await this.#zk.get(p);
              return [p, { data: r.data, mzxid: r.stat.mzxid }] as const;
            } catch (err) {
              if (isPvcError(err, ErrorCodes.ZK_NO_NODE)) return null;
              throw err;
            }
          }),
        );
        const seen = new Set<string>();
        for (const entry of read) {
          if (!entry) continue;
          seen.add(entry[0]);
          const cur = this.#nodes.get(entry[0]);
          if (!cur || newer(entry[1].mzxid, cur.mzxid)) this.#set(entry[0], entry[1]);
        }
        for (const p of [...this.#nodes.keys()]) {
          if (!seen.has(p)) {
            this.#nodes.delete(p);
            this.emit("change", p);
          }
        }
      } while (this.#reloadAgain && !this.#stopped);
      this.emit("loaded");
    })().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }
}
