/**
 * A ZooKeeper session on node-zookeeper-client, kept the way Curator keeps one (ZkClient, which
 * adds the calls, explains the behaviour in its header): connection states and events, the
 * session-lost timer and rebuild, the silence detector, and every call's deadline and typed error.
 * Subclasses hear watch events and a session coming back through the two hooks.
 */
import { EventEmitter } from "node:events";
import zookeeper from "node-zookeeper-client";
import { ErrorCodes, PvcError } from "../errors.ts";
import { tapWatchEvents } from "./add-watch.ts";
import { batchWrites } from "./batch-writes.ts";
import { toZkError } from "./errors.ts";
import { readWholeFrames } from "./frame-reader.ts";
import { checkConnectionShape, connectionOf, type RawWatcherEvent } from "./library-internals.ts";
import { SilenceDetector, type Watched } from "./silence.ts";

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

/** The library's connection state while it waits for the server's answer to a session request. */
const LIBRARY_CONNECTING = 1;

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

export abstract class ZkSession extends EventEmitter<ZkClientEvents> {
  readonly connectString: string;
  readonly #sessionTimeoutMs: number;
  readonly #callTimeoutMs: number;
  readonly #onCall?: ZkClientOptions["onCall"];
  #inner!: zookeeper.Client;
  #state: SessionState = "connecting";
  #inFlight = new Set<InFlight>();
  /** One timer sweeps every call's deadline: a timer per call cost more than the call at 10k calls/s. */
  #sweeper: NodeJS.Timeout | undefined;
  #lostTimer: NodeJS.Timeout | undefined;
  /** Drops a connection whose server went silent, or a handshake it never answers (silence.ts). */
  readonly #silence = new SilenceDetector(() => this.#watchedSocket());
  /** How many servers the connect string names: a handshake gets the session timeout / this. */
  readonly #servers: number;
  #sessions = 0;

  protected constructor(options: ZkClientOptions) {
    super();
    this.connectString = options.connectString;
    this.#servers = Math.max(1, options.connectString.split("/")[0].split(",").filter(Boolean).length);
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.#callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.#onCall = options.onCall;
  }

  /** A watch notification of the current session (before the library's own dispatch). */
  protected abstract onWatchEvent(event: RawWatcherEvent): void;
  /** The connection is back: `rebuilt` in a new session (one-shot watches are gone), else the same one. */
  protected abstract onSessionBack(rebuilt: boolean): void;

  /** Resolves once the first session is established; closes the client and fails after `timeoutMs`. */
  protected waitConnected(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close();
        reject(
          new PvcError(
            ErrorCodes.ZK_CONNECTION_LOSS,
            `zookeeper: could not connect to ${this.connectString} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const onState = (state: SessionState) => {
        if (state === "connected") {
          clearTimeout(timer);
          this.off("state", onState);
          resolve();
        }
      };
      this.on("state", onState);
    });
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

  protected openSession(): void {
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
    tapWatchEvents(inner, (event) => this.onWatchEvent(event));
    // From the first handshake on: a server that accepts TCP and never answers must not hold us.
    this.#silence.start(Math.min(this.#sessionTimeoutMs / 6, this.#handshakeLimitMs / 2));
    let everConnected = false;
    inner.on("state", (s: { name: string }) => {
      if (this.#inner !== inner || this.#state === "closed") return; // an abandoned session
      switch (s.name) {
        case "SYNC_CONNECTED":
        case "CONNECTED_READ_ONLY":
          clearTimeout(this.#lostTimer);
          this.#lostTimer = undefined;
          if (!everConnected) {
            everConnected = true;
            this.#sessions += 1;
            this.#setState("connected");
            if (this.#sessions > 1) {
              this.onSessionBack(true);
              this.emit("rebuilt");
            }
          } else {
            this.#setState("connected");
            this.onSessionBack(false);
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

  /** The Java client's connect timeout: time enough to try every server within one session timeout. */
  get #handshakeLimitMs(): number {
    return this.#sessionTimeoutMs / this.#servers;
  }

  /**
   * The socket the silence detector watches: the session's, allowed 2/3 of the granted timeout
   * (as ZooKeeper's clients); or one whose TCP connection is up but whose session request has no
   * answer yet, allowed the handshake limit. None while TCP itself is still connecting (the
   * library times that out).
   */
  #watchedSocket(): Watched | undefined {
    if (this.#state === "closed") return undefined;
    const connection = connectionOf(this.#inner);
    const socket = connection.socket;
    if (!socket || socket.destroyed || socket.connecting) return undefined;
    if (this.#state === "connected") return { socket, limitMs: (this.#grantedTimeoutMs * 2) / 3 };
    return connection.state === LIBRARY_CONNECTING ? { socket, limitMs: this.#handshakeLimitMs } : undefined;
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
    this.openSession();
  }

  #rejectInFlight(err: PvcError): void {
    const calls = [...this.#inFlight];
    this.#inFlight.clear();
    for (const call of calls) call.reject(err);
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
  protected call<T>(
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

  /** Closes the session (ephemeral nodes go at once) and rejects whatever is still in flight. */
  close(): void {
    if (this.#state === "closed") return;
    clearTimeout(this.#lostTimer);
    this.#silence.stop();
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#setState("closed");
    this.#rejectInFlight(new PvcError(ErrorCodes.ZK_CLOSED, "zookeeper: client closed"));
    this.onClose();
    this.#inner.removeAllListeners();
    this.#inner.close();
  }

  /** What a subclass drops when the client closes. */
  protected onClose(): void {}
}
