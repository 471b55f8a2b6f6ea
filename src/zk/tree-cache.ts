/**
 * TreeCache: an in-memory mirror of a ZooKeeper subtree (every path → data and mzxid), kept
 * current by one persistent recursive watch (Curator's TreeCache, without a watch per node).
 *
 * - Events carry no data, so a created/changed event is followed by a get; events for one path
 *   are handled one after the other, so a slow get can never land after a later delete.
 * - A get result older (by mzxid) than what the cache holds is dropped: writers that know the
 *   zxid of their own write (`noteWrite`) make the cache current at once, and a stale read can
 *   not undo that. Multis sent on the same client are written through that way on their own
 *   (the client shows them to the cache as they are sent and as their reply arrives).
 * - After a reconnect or session rebuild (events may have been missed) the whole tree is read
 *   again and the differences are reported like events.
 * Listeners hear `change(path)` for every path whose cached value changed, appeared or went.
 * - Failures never escape: a failed read is reported as `error` (only while someone listens and
 *   the cache runs) and the tree is read again, retried every `retryMs` until it succeeds or the
 *   cache stops. A session loss rejects reads in flight after `stop()` may already have removed
 *   the listeners: an unheard `error` or an unhandled rejection would end the process.
 */
import { EventEmitter } from "node:events";
import { ErrorCodes, isPvcError } from "../errors.ts";
import { mapLimit } from "../map-limit.ts";
import type { WatchEvent, ZkClient, ZkOp, ZkOpResult } from "./client.ts";
import { InFlightPaths } from "./in-flight-paths.ts";

/** The client calls a TreeCache makes (a unit test gives it an in-memory fake). */
export type TreeCacheZk = Pick<
  ZkClient,
  "mkdirp" | "observeMultis" | "watchRecursive" | "listTree" | "get" | "multi"
>;

/** Gets in flight while a TreeCache (re)loads its tree: the server's pipeline is full long before. */
export const RELOAD_CONCURRENCY = 256;

export interface CachedNode {
  data: string;
  /**
   * zxid of the last change known to the cache (0 when unknown), as a number: exact while the
   * epoch (its high 32 bits) is under 2^21 elections, and a quarter of a string's memory — it is
   * held for every cached path (220,000 at 10,000 Networks).
   */
  mzxid: number;
}

export interface TreeCacheEvents {
  /** `own`: the change is a write of this client, written through (not seen from outside). */
  change: [path: string, own: boolean];
  /** The whole tree was (re)loaded. */
  loaded: [];
  error: [err: unknown];
}

/** A zxid as the cache keeps it (ZooKeeper's stats and replies give decimal strings). */
function zxidNumber(zxid: string): number {
  return Number(zxid);
}

function newer(a: number, b: number): boolean {
  return a >= b;
}

/** Tells caches apart in `version()`: a rebuilt cache's clock starts again. */
let nextCacheEpoch = 1;

export class TreeCache extends EventEmitter<TreeCacheEvents> {
  readonly root: string;
  readonly #zk: TreeCacheZk;
  readonly #nodes = new Map<string, CachedNode>();
  /** parent path → names of its cached children: children() and subtree() without a full scan. */
  readonly #kids = new Map<string, Set<string>>();
  /** Per-path chain of pending event handling. */
  readonly #chains = new Map<string, Promise<void>>();
  #unsubscribe: (() => void) | undefined;
  /** Paths a multi of this client is writing right now: their events are not read. */
  readonly #inFlight = new InFlightPaths();
  /** Ops of `commit(…, {quiet})` calls: written through without change events. */
  readonly #quiet = new WeakSet<ZkOp>();
  #unobserve: (() => void) | undefined;
  #reloading: Promise<void> | undefined;
  #reloadAgain = false;
  /**
   * Paths set or dropped by events or write-through while a reload pass reads the tree. Why: the
   * watch runs during the reload, so a child created after the listing was taken is cached by its
   * event; the listing does not have it, and without this the pass would drop it as gone (and a
   * path read before its delete event was handled would be put back). An event after the watch
   * was set is newer than the listing: for these paths it, not the pass, has the last word.
   */
  #touched: Set<string> | undefined;
  #stopped = false;
  /**
   * Top-level child (`<root>/<name>`, "" for the root itself) → the clock at its subtree's last
   * change: `version()` tells a reader whether what it planned against has moved since.
   */
  readonly #versions = new Map<string, number>();
  #clock = 0;
  readonly #epoch = nextCacheEpoch++;
  readonly #retryMs: number;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(zk: TreeCacheZk, root: string, options: { retryMs?: number } = {}) {
    super();
    this.#zk = zk;
    this.root = root;
    this.#retryMs = options.retryMs ?? 500;
  }

  /** Watches, then loads the whole subtree; resolves when the cache holds it. */
  async start(): Promise<void> {
    await this.#zk.mkdirp(this.root);
    this.#unobserve = this.#zk.observeMultis(this.root, {
      sending: (ops) => this.#sending(ops),
      settled: (ops, zxid) => this.#settled(ops, zxid),
    });
    this.#unsubscribe = await this.#zk.watchRecursive(this.root, (e) => this.#onEvent(e));
    await this.#reload();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#unsubscribe?.();
    this.#unobserve?.();
    this.removeAllListeners();
  }

  get(path: string): CachedNode | undefined {
    return this.#nodes.get(path);
  }

  has(path: string): boolean {
    return this.#nodes.has(path);
  }

  #inTree(path: string): boolean {
    return path === this.root || path.startsWith(`${this.root}/`);
  }

  /** Names of the cached children of `path`, sorted. */
  children(path: string): string[] {
    return [...(this.#kids.get(path) ?? [])].sort();
  }

  /** Every cached path at or below `path`, with its data, parents before children. */
  subtree(path: string): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (p: string) => {
      const node = this.#nodes.get(p);
      if (node) out.set(p, node.data);
      for (const kid of this.#kids.get(p) ?? []) walk(`${p}/${kid}`);
    };
    walk(path);
    return out;
  }

  #link(path: string): void {
    const cut = path.lastIndexOf("/");
    if (cut <= 0 || path === this.root) return;
    const parent = path.slice(0, cut);
    let kids = this.#kids.get(parent);
    if (!kids) {
      kids = new Set();
      this.#kids.set(parent, kids);
    }
    kids.add(path.slice(cut + 1));
  }

  #unlink(path: string): void {
    const cut = path.lastIndexOf("/");
    if (cut <= 0) return;
    const parent = path.slice(0, cut);
    const kids = this.#kids.get(parent);
    kids?.delete(path.slice(cut + 1));
    if (kids && kids.size === 0) this.#kids.delete(parent);
  }

  /** Drops one path from the cache (not its descendants). */
  #drop(path: string): boolean {
    this.#touched?.add(path);
    if (!this.#nodes.delete(path)) return false;
    this.#moved(path);
    this.#unlink(path);
    return true;
  }

  get size(): number {
    return this.#nodes.size;
  }

  /**
   * A value that changes whenever anything in the subtree of the top-level child holding `path`
   * changes (`/networks/<vni>/…` → the version of `/networks/<vni>`), in this cache.
   */
  version(path: string): string {
    return `${this.#epoch}.${this.#versions.get(this.#topOf(path)) ?? 0}`;
  }

  #topOf(path: string): string {
    if (path.length <= this.root.length + 1) return "";
    const cut = path.indexOf("/", this.root.length + 1);
    return cut < 0 ? path.slice(this.root.length + 1) : path.slice(this.root.length + 1, cut);
  }

  #moved(path: string): void {
    this.#versions.set(this.#topOf(path), ++this.#clock);
  }

  /**
   * Writes `ops` as one multi; the cache holds the result as soon as the multi returns. Any multi
   * on this client that touches the tree is written through the same way (see `#settled`); this
   * one adds what makes it cheap: creates return no stat, so when the ops have no set, a set of the
   * last created path (same data) rides along to learn the transaction's zxid. Ops outside the
   * tree may ride along (e.g. a status write); the cache ignores them. `quiet` writes through
   * without `change` events for what the writer itself wrote.
   */
  async commit(ops: ZkOp[], options: { quiet?: boolean } = {}): Promise<ZkOpResult[]> {
    const written = ops.filter((o) => o.op !== "check" && this.#inTree(o.path));
    const lastCreate = [...written].reverse().find((o) => o.op === "create");
    const needsZxid = !ops.some((o) => o.op === "set") && lastCreate !== undefined;
    const all: ZkOp[] =
      needsZxid && lastCreate
        ? [
            ...ops,
            { op: "set", path: lastCreate.path, data: "data" in lastCreate ? (lastCreate.data ?? "") : "" },
          ]
        : ops;
    if (options.quiet) for (const o of all) this.#quiet.add(o);
    const results = await this.#zk.multi(all);
    return results.slice(0, ops.length);
  }

  /** A multi touching the tree is about to be sent: its events need not be read back. */
  #sending(ops: readonly ZkOp[]): void {
    this.#inFlight.add(ops);
  }

  /**
   * Its reply arrived (called before any later event is handled). Events consumed meanwhile were
   * its own or older ones it supersedes (a session's events and replies come in zxid order), so
   * with its zxid the ops' values are the new state. Without one (it failed, timed out, or had no
   * set) the paths are read again: a consumed event may have been someone else's.
   */
  #settled(ops: readonly ZkOp[], zxid: string | undefined): void {
    this.#inFlight.release(ops);
    const written = ops.filter((o) => o.op !== "check");
    if (this.#stopped) return;
    if (zxid) {
      const notes = written.map((o) =>
        o.op === "delete"
          ? { path: o.path, deleted: true }
          : { path: o.path, data: "data" in o ? (o.data ?? "") : "" },
      );
      this.noteWrite(zxid, notes, { quiet: written.some((o) => this.#quiet.has(o)) });
      return;
    }
    // Failed (zxid undefined): nothing is known to have changed, so every path is read again (a
    // delete that did happen still sends its event: deletes are never consumed). Succeeded
    // without a zxid: its deletes happened; what it created or set is read.
    const failed = zxid === undefined;
    for (const o of written)
      this.#onEvent({ type: o.op === "delete" && !failed ? "deleted" : "changed", path: o.path });
  }

  /**
   * A writer tells the cache what its own committed transaction did (zxid = the transaction's),
   * so reads right after it see it without waiting for the watch round trip.
   */
  noteWrite(
    zxid: string,
    written: Array<{ path: string; data?: string; deleted?: boolean }>,
    options: { quiet?: boolean } = {},
  ): void {
    const quiet = options.quiet === true;
    for (const w of written) {
      if (w.deleted) {
        this.#removeTree(w.path, quiet, true);
        continue;
      }
      const cur = this.#nodes.get(w.path);
      const mzxid = zxidNumber(zxid);
      if (cur && !newer(mzxid, cur.mzxid)) continue;
      this.#set(w.path, { data: w.data ?? "", mzxid }, quiet, true);
    }
  }

  #set(path: string, node: CachedNode, quiet = false, own = false): void {
    this.#touched?.add(path);
    const cur = this.#nodes.get(path);
    this.#nodes.set(path, node);
    if (!cur) this.#link(path);
    if (cur && cur.data === node.data) return;
    this.#moved(path);
    if (!quiet) this.emit("change", path, own);
  }

  #removeTree(path: string, quiet = false, own = false): void {
    for (const p of [...this.subtree(path).keys()].reverse()) {
      this.#drop(p);
      if (!quiet) this.emit("change", p, own);
    }
  }

  #onEvent(event: WatchEvent): void {
    if (this.#stopped) return;
    if (event.type === "session-rebuilt") {
      this.#reloadUntilDone();
      return;
    }
    const path = event.path;
    // A multi of ours in flight on the path (its own event, or an older one it supersedes): the
    // value comes with its reply.
    if (this.#inFlight.covers(event)) return;
    const previous = this.#chains.get(path) ?? Promise.resolve();
    const next = previous
      .then(() => this.#handle(event))
      .catch((err) => {
        this.#report(err);
        this.#reloadUntilDone(); // we may have missed something: read it all again
      })
      .finally(() => {
        if (this.#chains.get(path) === next) this.#chains.delete(path);
      });
    this.#chains.set(path, next);
  }

  async #handle(event: WatchEvent): Promise<void> {
    if (event.type === "deleted") {
      // A delete in ZooKeeper is of a leaf: its descendants were deleted before it.
      if (this.#drop(event.path)) this.emit("change", event.path, false);
      return;
    }
    await this.#refresh(event.path);
  }

  async #refresh(path: string): Promise<void> {
    try {
      const { data, stat } = await this.#zk.get(path);
      const cur = this.#nodes.get(path);
      const mzxid = zxidNumber(stat.mzxid);
      if (cur && !newer(mzxid, cur.mzxid)) return;
      this.#set(path, { data, mzxid });
    } catch (err) {
      if (!isPvcError(err, ErrorCodes.ZK_NO_NODE)) throw err;
      // Gone again before we read it; its delete event follows (or came) and is handled in order.
    }
  }

  /** Tells `error` listeners, if the cache runs and anyone listens (an unheard `error` throws). */
  #report(err: unknown): void {
    if (!this.#stopped && this.listenerCount("error") > 0) this.emit("error", err);
  }

  /** Reloads in the background, retrying every `retryMs` until it succeeds or the cache stops. */
  #reloadUntilDone(): void {
    if (this.#stopped) return;
    this.#reload().catch((err) => {
      if (this.#stopped) return;
      this.#report(err);
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#reloadUntilDone(), this.#retryMs);
      this.#retryTimer.unref();
    });
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
        const touched = new Set<string>();
        this.#touched = touched;
        const paths = await this.#zk.listTree(this.root);
        const read: Array<readonly [string, CachedNode] | null> = paths.map(() => null);
        // Bounded: one get in flight per znode (200,000 for 10,000 networks) held a promise,
        // closures and a request each, and the heap grown for them stayed (issue 16: 1 GB).
        await mapLimit([...paths.keys()], RELOAD_CONCURRENCY, async (i) => {
          try {
            const r = await this.#zk.get(paths[i]);
            read[i] = [paths[i], { data: r.data, mzxid: zxidNumber(r.stat.mzxid) }];
          } catch (err) {
            if (!isPvcError(err, ErrorCodes.ZK_NO_NODE)) throw err;
          }
        });
        this.#touched = undefined; // what follows is this pass's own doing
        const seen = new Set<string>();
        for (const entry of read) {
          if (!entry) continue;
          seen.add(entry[0]);
          if (touched.has(entry[0]) && !this.#nodes.has(entry[0])) continue; // deleted since read
          const cur = this.#nodes.get(entry[0]);
          if (!cur || newer(entry[1].mzxid, cur.mzxid)) this.#set(entry[0], entry[1]);
        }
        for (const p of [...this.#nodes.keys()]) {
          if (!seen.has(p) && !touched.has(p) && this.#drop(p)) this.emit("change", p, false);
        }
      } while (this.#reloadAgain && !this.#stopped);
      this.emit("loaded");
    })().finally(() => {
      this.#reloading = undefined;
      this.#touched = undefined;
    });
    return this.#reloading;
  }
}
