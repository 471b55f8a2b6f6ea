/**
 * A typed, promise-based ZooKeeper client on node-zookeeper-client.
 *
 * What it adds over the library, and why:
 * - Every call has a timeout. node-zookeeper-client queues calls made while disconnected and,
 *   if the session then expires, never answers them (measured): a caller would hang forever.
 * - Session handling like Curator's: a disconnect makes the client `suspended`; if it stays
 *   disconnected for the session timeout, or the server says the session expired, the session is
 *   `lost`: every in-flight call is rejected with ZK_SESSION_EXPIRED, a new session is built, and
 *   pending one-shot watches fire with `session-rebuilt` so their owners re-read (what they
 *   watched may have changed while no session was there to notice). Subscribers hear `lost` at
 *   once (a leader must stop acting) and `rebuilt` once the new session is usable (relist).
 * - A silent server is noticed. The library pings only when the socket is idle and never times a
 *   reply out, so a server that stops answering (SIGSTOP, a hung JVM, a dead link that TCP has not
 *   noticed) left the client "connected" and every call hanging until the server came back. Like
 *   ZooKeeper's own clients, a connection that has received nothing for 2/3 of the session timeout
 *   (pings go out every 1/3) is declared dead and dropped: the client becomes `suspended`, and the
 *   session is lost one session timeout later unless a server answers.
 * - Typed errors with stable codes (src/errors.ts); a failed multi names the op that failed.
 * - Values are UTF-8 strings, as in PVC's keys.
 */
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import zookeeper from "node-zookeeper-client";
import { ErrorCodes, PvcError } from "../errors.ts";
import { sendAddWatch, tapWatchEvents } from "./add-watch.ts";
import { batchWrites } from "./batch-writes.ts";
import { toZkError } from "./errors.ts";
import { readWholeFrames } from "./frame-reader.ts";
import {
  checkConnectionShape,
  checkLibraryShape,
  connectionOf,
  type RawWatcherEvent,
} from "./library-internals.ts";
import { MultiObservers } from "./multi-observers.ts";
import { sendMulti } from "./multi-request.ts";
import { OneShotWatches } from "./one-shot-watches.ts";
import { PrefixIndex } from "./prefix-index.ts";
import { SilenceDetector } from "./silence.ts";
import { deleteRecursive, listTree } from "./tree-ops.ts";
import {
  CREATE_MODES,
  type CreateMode,
  EVENT_TYPES,
  MAX_MULTI_OPS,
  type MultiObserver,
  type RawStat,
  toStat,
  type WatchEvent,
  type Watcher,
  wireOp,
  ZkMultiError,
  type ZkOp,
  type ZkOpResult,
  type ZkStat,
} from "./types.ts";

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

export type SessionState = "connecting" | "connected" | "suspended" | "closed";

export interface ZkClientOptions {
  /** `host:port[,host:port...]`, optionally with a chroot suffix. */
  connectString: string;
  /** Requested session timeout; the server may clamp it (tickTime×2 … tickTime×20). */
  sessionTimeoutMs?: number;
  /** Timeout of every call; a call that times out may or may not have been applied. */
  callTimeoutMs?: number;
  /** How long `connect()` waits for the first session. */
  connectTimeoutMs?: number;
  /** Called after every call, for metrics. */
  onCall?: (call: { op: string; ms: number; ok: boolean }) => void;
}

interface InFlight {
  reject: (err: PvcError) => void;
  /** performance.now() after which the call times out. */
  deadline: number;
  timeout: () => void;
}

/** Set once checkLibraryShape() has passed in this process. */
let libraryChecked: true | undefined;

/** How often in-flight calls are checked for their deadline: a timeout fires up to this late. */
const SWEEP_INTERVAL_MS = 50;

export interface ZkClientEvents {
  /** Connection lost; the session may still be alive. Reads and writes wait (and may time out). */
  suspended: [];
  /** Connection back within the same session; watches survived. */
  reconnected: [];
  /** The session is gone: ephemeral nodes and watches with it. Stop acting as a leader now. */
  lost: [];
  /** A new session is usable. Re-create ephemeral nodes and relist what you cache. */
  rebuilt: [];
  state: [SessionState];
  /** A MultiObserver threw (reported, never thrown into the socket handler). */
  error: [err: unknown];
}

export class ZkClient extends EventEmitter<ZkClientEvents> {
  readonly connectString: string;
  readonly #sessionTimeoutMs: number;
  readonly #callTimeoutMs: number;
  readonly #onCall?: ZkClientOptions["onCall"];
  #inner!: zookeeper.Client;
  #state: SessionState = "connecting";
  #inFlight = new Set<InFlight>();
  /** One timer sweeps every call's deadline: a timer per call cost more than the call at 10k calls/s. */
  #sweeper: NodeJS.Timeout | undefined;
  readonly #pendingWatches = new OneShotWatches();
  #lostTimer: NodeJS.Timeout | undefined;
  /** Drops a connection whose server went silent (see the header). */
  readonly #silence = new SilenceDetector(
    () => (this.#state === "connected" ? connectionOf(this.#inner).socket : undefined),
    () => this.#grantedTimeoutMs,
  );
  /** Persistent recursive watches: subtree root → listeners. Re-added on every (re)connect. */
  readonly #recursive = new PrefixIndex<Set<Watcher>>();
  /** MultiObservers by the root they watch. */
  readonly #multiObservers = new MultiObservers((err) => {
    if (this.listenerCount("error") > 0) this.emit("error", err);
  });
  #sessions = 0;

  private constructor(options: ZkClientOptions) {
    super();
    this.connectString = options.connectString;
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.#callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.#onCall = options.onCall;
  }

  /** Connects and resolves once the first session is established. */
  static async connect(options: ZkClientOptions): Promise<ZkClient> {
    libraryChecked ??= (checkLibraryShape(), true);
    const client = new ZkClient(options);
    client.#openSession();
    const timeoutMs = options.connectTimeoutMs ?? 15_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.close();
        reject(
          new PvcError(
            ErrorCodes.ZK_CONNECTION_LOSS,
            `zookeeper: could not connect to ${options.connectString} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const onState = (state: SessionState) => {
        if (state === "connected") {
          clearTimeout(timer);
          client.off("state", onState);
          resolve();
        }
      };
      client.on("state", onState);
    });
    return client;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** How many sessions this client has had (1 after connect, +1 per rebuild). */
  get sessionCount(): number {
    return this.#sessions;
  }

  /** The current session id (hex), or "" while none. */
  get sessionId(): string {
    const id = this.#inner?.getSessionId?.();
    if (id?.length !== 8) return "";
    const value = Buffer.from(id).readBigUInt64BE(0);
    return value === 0n ? "" : value.toString(16); // same form as ZkStat.ephemeralOwner
  }

  #setState(state: SessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit("state", state);
  }

  #openSession(): void {
    const inner = zookeeper.createClient(this.connectString, {
      sessionTimeout: this.#sessionTimeoutMs,
      spinDelay: 200,
      retries: 0,
    });
    this.#inner = inner;
    // Our protocol additions, on this client's connection only (the library's prototype is left alone).
    const connection = connectionOf(inner);
    checkConnectionShape(connection);
    readWholeFrames(connection);
    batchWrites(connection);
    tapWatchEvents(inner, (event) => this.#dispatchRecursive(event));
    let everConnected = false;
    inner.on("state", (s: { name: string }) => {
      if (this.#inner !== inner || this.#state === "closed") return; // an abandoned session
      switch (s.name) {
        case "SYNC_CONNECTED":
        case "CONNECTED_READ_ONLY":
          clearTimeout(this.#lostTimer);
          this.#lostTimer = undefined;
          this.#silence.start(this.#sessionTimeoutMs);
          if (!everConnected) {
            everConnected = true;
            this.#sessions += 1;
            this.#setState("connected");
            if (this.#sessions > 1) {
              this.#readdRecursiveWatches();
              this.#pendingWatches.fireAll();
              this.emit("rebuilt");
            }
          } else {
            this.#setState("connected");
            // One-shot watches are restored by the library's SetWatches; persistent ones are not.
            this.#readdRecursiveWatches();
            this.emit("reconnected");
          }
          break;
        case "DISCONNECTED":
          if (!everConnected) break; // still trying to reach a server for a new session
          this.#setState("suspended");
          this.emit("suspended");
          // Like Curator: without a server to tell us, assume the session is gone once it
          // would have timed out on the server side.
          clearTimeout(this.#lostTimer);
          this.#lostTimer = setTimeout(
            () => this.#loseSession("no connection for the session timeout"),
            this.#sessionTimeoutMs,
          );
          break;
        case "EXPIRED":
          this.#loseSession("the server expired the session");
          break;
        case "AUTH_FAILED":
          this.#loseSession("authentication failed");
          break;
      }
    });
    inner.connect();
  }

  /** The session timeout the server granted (it may clamp what we asked for). */
  get #grantedTimeoutMs(): number {
    const granted = (connectionOf(this.#inner) as { sessionTimeout?: number }).sessionTimeout;
    return typeof granted === "number" && granted > 0 ? granted : this.#sessionTimeoutMs;
  }

  /** How long the server had been silent when the liveness check dropped the last connection (0: it did not). */
  get lastSilenceMs(): number {
    return this.#silence.lastSilenceMs;
  }

  #loseSession(reason: string): void {
    if (this.#state === "closed") return;
    clearTimeout(this.#lostTimer);
    this.#lostTimer = undefined;
    const old = this.#inner;
    this.#setState("connecting");
    this.#rejectInFlight(new PvcError(ErrorCodes.ZK_SESSION_EXPIRED, `zookeeper: session lost (${reason})`));
    this.emit("lost");
    old.removeAllListeners();
    old.close();
    this.#openSession();
  }

  #rejectInFlight(err: PvcError): void {
    const calls = [...this.#inFlight];
    this.#inFlight.clear();
    for (const call of calls) call.reject(err);
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
        await this.#call("addWatch", path, (inner, done) => sendAddWatch(inner, path, (err) => done(err)));
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
      this.#call("addWatch", root, (inner, done) => sendAddWatch(inner, root, (err) => done(err))).then(
        () => {
          for (const l of [...listeners]) l({ type: "session-rebuilt", path: root });
        },
        () => {
          // The connection went again; the next (re)connect re-adds it.
        },
      );
    }
  }

  #armSweeper(): void {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => {
      const now = performance.now();
      for (const call of this.#inFlight) if (call.deadline <= now) call.timeout();
      if (this.#inFlight.size === 0) {
        clearInterval(this.#sweeper);
        this.#sweeper = undefined;
      }
    }, SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  /** Runs one library call with a timeout, typed errors and in-flight tracking. */
  #call<T>(
    op: string,
    path: string,
    invoke: (inner: zookeeper.Client, done: (err: unknown, value?: T) => void) => void,
    timeoutMs?: number,
  ): Promise<T> {
    if (this.#state === "closed") {
      return Promise.reject(new PvcError(ErrorCodes.ZK_CLOSED, `zookeeper ${op} ${path}: client is closed`));
    }
    const started = performance.now();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (err: PvcError | undefined, value?: T) => {
        if (settled) return;
        settled = true;
        this.#inFlight.delete(entry);
        this.#onCall?.({ op, ms: performance.now() - started, ok: !err });
        if (err) reject(err);
        else resolve(value as T);
      };
      const limit = timeoutMs ?? this.#callTimeoutMs;
      const entry: InFlight = {
        reject: (err) => finish(err),
        deadline: started + limit,
        timeout: () =>
          finish(
            new PvcError(
              ErrorCodes.ZK_TIMEOUT,
              `zookeeper ${op} ${path}: no answer within ${limit} ms (state ${this.#state}); a write may or may not have been applied`,
            ),
          ),
      };
      this.#armSweeper();
      this.#inFlight.add(entry);
      try {
        invoke(this.#inner, (err, value) => finish(err ? toZkError(err, op, path) : undefined, value));
      } catch (err) {
        // The library throws synchronously on bad arguments (e.g. an invalid path).
        finish(
          new PvcError(ErrorCodes.ZK_OTHER, `zookeeper ${op} ${path}: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
    });
  }

  async get(path: string, options: { watch?: Watcher } = {}): Promise<{ data: string; stat: ZkStat }> {
    const watch = this.#pendingWatches.arm(path, options.watch);
    return this.#call("get", path, (inner, done) => {
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
    return this.#call("exists", path, (inner, done) => {
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
    return this.#call("children", path, (inner, done) => {
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
    return this.#call("create", path, (inner, done) => {
      inner.create(path, Buffer.from(data, "utf8"), mode, (err: unknown, created?: string) =>
        done(err, created),
      );
    });
  }

  /** Creates the node and any missing parents (persistent, empty); an existing node is left as is. */
  async mkdirp(path: string): Promise<void> {
    await this.#call("mkdirp", path, (inner, done) => {
      inner.mkdirp(path, (err: unknown) => done(err));
    });
  }

  /** Sets data; `version` -1 means any version. A stale version fails with ZK_BAD_VERSION. */
  async set(path: string, data: string, version = -1): Promise<ZkStat> {
    return this.#call("set", path, (inner, done) => {
      inner.setData(path, Buffer.from(data, "utf8"), version, (err: unknown, stat?: RawStat) =>
        done(err, stat ? toStat(stat) : undefined),
      );
    });
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.#call("delete", path, (inner, done) => {
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
      return await this.#call<ZkOpResult[]>("multi", label, (inner, done) => {
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

  /** Closes the session (ephemeral nodes go at once) and rejects whatever is still in flight. */
  close(): void {
    if (this.#state === "closed") return;
    clearTimeout(this.#lostTimer);
    this.#silence.stop();
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#setState("closed");
    this.#rejectInFlight(new PvcError(ErrorCodes.ZK_CLOSED, "zookeeper: client closed"));
    this.#pendingWatches.clear();
    this.#inner.removeAllListeners();
    this.#inner.close();
  }
}
