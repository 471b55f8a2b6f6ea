import { ErrorCodes, PvcError } from "../errors.ts";
import { sendAddWatch } from "./add-watch.ts";
import { toZkError } from "./errors.ts";
import { checkLibraryShape, type RawWatcherEvent } from "./library-internals.ts";
import { MultiObservers } from "./multi-observers.ts";
import { sendMulti } from "./multi-request.ts";
import { OneShotWatches } from "./one-shot-watches.ts";
import { PrefixIndex } from "./prefix-index.ts";
import { type ZkClientOptions, ZkSession } from "./session.ts";
import { deleteRecursive, listTree } from "./tree-ops.ts";
import {
  CREATE_MODES,
  type CreateMode,
  EVENT_TYPES,
  type MultiObserver,
  type RawStat,
  toStat,
  type Watcher,
  wireOp,
  ZkMultiError,
  type ZkOp,
  type ZkOpResult,
  type ZkStat,
} from "./types.ts";

export type { SessionState, ZkClientEvents, ZkClientOptions } from "./session.ts";
export type {
  CreateMode,
  MultiObserver,
  WatchEvent,
  WatchEventType,
  Watcher,
  ZkOp,
  ZkOpResult,
  ZkStat,
} from "./types.ts";
export { MAX_MULTI_OPS, ZkMultiError } from "./types.ts";

/** Set once checkLibraryShape() has passed in this process. */
let _libraryChecked: true | undefined;

export class ZkClient extends ZkSession {
  readonly #pendingWatches = new OneShotWatches();
  /** Persistent recursive watches: subtree root → listeners. Re-added on every (re)connect. */
  readonly #recursive = new PrefixIndex<Set<Watcher>>();
  /** MultiObservers by the root they watch. */
  readonly #multiObservers = new MultiObservers((err) => {
    if (this.listenerCount("error") > 0) this.emit("error", err);
  });

  /** Connects and resolves once the first session is established. */
  static async connect(options: ZkClientOptions): Promise<ZkClient> {
    if (!_libraryChecked) {
      checkLibraryShape();
      _libraryChecked = true;
    }
    const client = new ZkClient(options);
    client.openSession();
    await client.waitConnected(options.connectTimeoutMs ?? 15_000);
    return client;
  }

  protected onWatchEvent(event: RawWatcherEvent): void {
    this.#dispatchRecursive(event);
  }

  protected onSessionBack(rebuilt: boolean): void {
    // One-shot watches survive a reconnect (the library's SetWatches) but not a new session;
    // persistent ones are re-added either way.
    this.#readdRecursiveWatches();
    if (rebuilt) this.#pendingWatches.fireAll();
  }

  protected override onClose(): void {
    this.#pendingWatches.clear();
  }

  /** How many one-shot watches are armed and not yet fired (for leak checks and metrics). */
  get pendingWatchCount(): number {
    return this.#pendingWatches.size;
  }

  /**
   * A persistent recursive watch (ZooKeeper 3.6+): `listener` hears `created`, `changed` and
   * `deleted` for the root and every node below it, without re-arming, until unsubscribed. After a
   * reconnect or a session rebuild it hears one `session-rebuilt` for the root: events may have
   * been missed, re-read what you mirror. Returns the unsubscribe function.
   */
  async watchRecursive(path: string, listener: Watcher): Promise<() => void> {
    let listeners = this.#recursive.get(path);
    const first = !listeners;
    if (!listeners) {
      listeners = new Set();
      this.#recursive.set(path, listeners);
    }
    listeners.add(listener);
    const unsubscribe = () => {
      const set = this.#recursive.get(path);
      set?.delete(listener);
      // The server keeps the watch until the connection ends; its events then find no listener.
      if (set && set.size === 0) this.#recursive.delete(path);
    };
    if (first) {
      try {
        await this.call("addWatch", path, (inner, done) => sendAddWatch(inner, path, (err) => done(err)));
      } catch (err) {
        unsubscribe();
        throw err;
      }
    }
    return unsubscribe;
  }

  #dispatchRecursive(event: RawWatcherEvent): void {
    if (this.#recursive.size === 0) return;
    const type = EVENT_TYPES[event.type];
    if (type === undefined || type === "children") return; // recursive watches never send children events
    for (const [, listeners] of this.#recursive.matching(event.path)) {
      for (const l of [...listeners]) l({ type, path: event.path });
    }
  }

  #readdRecursiveWatches(): void {
    for (const [root, listeners] of this.#recursive.entries()) {
      this.call("addWatch", root, (inner, done) => sendAddWatch(inner, root, (err) => done(err))).then(
        () => {
          for (const l of [...listeners]) l({ type: "session-rebuilt", path: root });
        },
        () => {
          // The connection went again; the next (re)connect re-adds it.
        },
      );
    }
  }

  async get(path: string, options: { watch?: Watcher } = {}): Promise<{ data: string; stat: ZkStat }> {
    const watch = this.#pendingWatches.arm(path, options.watch);
    return this.call("get", path, (inner, done) => {
      const cb = (err: unknown, data?: Buffer, stat?: RawStat) => {
        if (err) watch?.cancel(); // the library registers a data watch only on success
        done(
          err,
          err ? undefined : { data: data ? data.toString("utf8") : "", stat: toStat(stat as RawStat) },
        );
      };
      if (watch) inner.getData(path, watch.fire, cb);
      else inner.getData(path, cb);
    });
  }

  /** Like get, but null when the node does not exist. */
  async tryGet(
    path: string,
    options: { watch?: Watcher } = {},
  ): Promise<{ data: string; stat: ZkStat } | null> {
    try {
      return await this.get(path, options);
    } catch (err) {
      if (err instanceof PvcError && err.code === ErrorCodes.ZK_NO_NODE) {
        // A getData watch is not left on a missing node; make the caller's watch still fire on create.
        if (options.watch) await this.exists(path, options);
        return null;
      }
      throw err;
    }
  }

  /** The node's stat, or null. With `watch`, fires on create, delete or data change. */
  async exists(path: string, options: { watch?: Watcher } = {}): Promise<ZkStat | null> {
    const watch = this.#pendingWatches.arm(path, options.watch);
    return this.call("exists", path, (inner, done) => {
      const cb = (err: unknown, stat?: RawStat | null) => {
        if (err) watch?.cancel();
        done(err, stat ? toStat(stat) : null);
      };
      if (watch) inner.exists(path, watch.fire, cb);
      else inner.exists(path, cb);
    });
  }

  async children(path: string, options: { watch?: Watcher } = {}): Promise<string[]> {
    return (await this.childrenWithStat(path, options)).children;
  }

  async childrenWithStat(
    path: string,
    options: { watch?: Watcher } = {},
  ): Promise<{ children: string[]; stat: ZkStat }> {
    const watch = this.#pendingWatches.arm(path, options.watch);
    return this.call("children", path, (inner, done) => {
      const cb = (err: unknown, children?: string[], stat?: RawStat) => {
        if (err) watch?.cancel(); // registered only on success
        done(err, err ? undefined : { children: children ?? [], stat: toStat(stat as RawStat) });
      };
      if (watch) inner.getChildren(path, watch.fire, cb);
      else inner.getChildren(path, cb);
    });
  }

  /** Creates a node; returns the created path (with the suffix for sequential modes). */
  async create(path: string, data = "", options: { mode?: CreateMode } = {}): Promise<string> {
    const mode = CREATE_MODES[options.mode ?? "persistent"];
    return this.call("create", path, (inner, done) => {
      inner.create(path, Buffer.from(data, "utf8"), mode, (err: unknown, created?: string) =>
        done(err, created),
      );
    });
  }

  /** Creates the node and any missing parents (persistent, empty); an existing node is left as is. */
  async mkdirp(path: string): Promise<void> {
    await this.call("mkdirp", path, (inner, done) => {
      inner.mkdirp(path, (err: unknown) => done(err));
    });
  }

  /** Sets data; `version` -1 means any version. A stale version fails with ZK_BAD_VERSION. */
  async set(path: string, data: string, version = -1): Promise<ZkStat> {
    return this.call("set", path, (inner, done) => {
      inner.setData(path, Buffer.from(data, "utf8"), version, (err: unknown, stat?: RawStat) =>
        done(err, stat ? toStat(stat) : undefined),
      );
    });
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.call("delete", path, (inner, done) => {
      inner.remove(path, version, (err: unknown) => done(err));
    });
  }

  /** Every path in the subtree rooted at `path`, parents before children (empty if it does not exist). */
  listTree(path: string): Promise<string[]> {
    return listTree(this, path);
  }

  /** The delete ops that remove a subtree in one multi, children first. */
  async deleteTreeOps(path: string): Promise<ZkOp[]> {
    return (await listTree(this, path)).reverse().map((p) => ({ op: "delete", path: p }) as const);
  }

  /** Removes a subtree, atomically when it is small enough (see tree-ops.ts); a missing node is not an error. */
  deleteRecursive(path: string): Promise<void> {
    return deleteRecursive(this, path);
  }

  /**
   * Applies all ops atomically, or none. On failure throws ZkMultiError whose `code` is the
   * failing op's (ZK_BAD_VERSION, ZK_NO_NODE, ZK_NODE_EXISTS, ZK_NOT_EMPTY…) and which names it.
   */
  async multi(ops: ZkOp[]): Promise<ZkOpResult[]> {
    if (ops.length === 0) return [];
    const label = ops[0].path + (ops.length > 1 ? ` (+${ops.length - 1})` : "");
    const settle = this.#multiObservers.sending(ops);
    try {
      return await this.call<ZkOpResult[]>("multi", label, (inner, done) => {
        const wire = ops.map(wireOp);
        // Runs inside the library's reply handling: observers settle before the next frame.
        sendMulti<RawStat>(inner, wire, (err, raw, failed) => {
          if (err && failed !== undefined) {
            settle(undefined);
            // The failing op carries its own code; the ops after it carry RUNTIME_INCONSISTENCY.
            done(
              new ZkMultiError(
                toZkError(err, ops[failed].op, ops[failed].path),
                failed,
                ops[failed],
                ops.length,
              ),
            );
            return;
          }
          if (err) {
            settle(undefined);
            done(err);
            return;
          }
          const results = ops.map((op, i) => {
            const r = raw?.[i];
            const result: ZkOpResult = { op: op.op, path: op.path };
            if (op.op === "create" && r?.path) result.created = r.path;
            if (op.op === "set" && r?.stat) result.stat = toStat(r.stat);
            return result;
          });
          settle(results);
          done(undefined, results);
        });
      });
    } catch (err) {
      settle(undefined); // timed out or the session went: the outcome is unknown
      throw err;
    }
  }

  /** Registers a MultiObserver for the ops at or below `root`; returns the function that removes it. */
  observeMultis(root: string, observer: MultiObserver): () => void {
    return this.#multiObservers.add(root, observer);
  }
}
