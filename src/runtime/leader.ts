/**
 * Leader election on ZooKeeper, the classic recipe (as Curator's LeaderLatch):
 * - each candidate creates an ephemeral sequential node under `path`; the lowest sequence leads;
 * - every other candidate watches only its predecessor (no herd effect when the leader goes);
 * - node names carry a random id per attempt (`n-<uuid>-<seq>`), so that a create whose answer was
 *   lost can be recognised among the children instead of leaving an orphan that blocks everyone.
 *
 * Sessions: on `suspended` (connection lost, session maybe alive) and on `lost` the leader revokes
 * at once: it cannot know whether another replica has taken over. On `reconnected` (same session,
 * so its node still exists) it checks again and resumes if its node is still the lowest; on
 * `rebuilt` (new session: the old node is gone) it enters the election again with a new node.
 *
 * Fencing. Stepping down on `suspended` leaves a window: a write sent just before the cut may be
 * applied after another replica was elected. Guard every write of the leader with the fence:
 *
 *     const ops = elector.fenced([{ op: "set", path, data, version }]);
 *     try { await zk.multi(ops); } catch (err) { throw elector.fenceError(err) ?? err; }
 *
 * `fenced()` prepends `{op: "check", path: <our leader node>, version: 0}` (the node is never
 * written, so its version stays 0): ZooKeeper applies the multi only if our node still exists,
 * which is true exactly while our session lives — and our node is the lowest, since lower nodes
 * are never created later. A stale leader's write therefore fails atomically (ZK_NO_NODE on op 0),
 * whichever ZkClient sends it; `fenceError` turns that failure into a NOT_LEADER PvcError.
 * `token` (the leader node's sequence number) grows with every new leader: a fencing token for
 * systems outside ZooKeeper, which should refuse a token lower than one they have seen.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { ErrorCodes, isPvcError, PvcError } from "../errors.ts";
import { type WatchEvent, type ZkClient, ZkMultiError, type ZkOp } from "../zk/client.ts";

export interface LeaderElectorOptions {
  zk: ZkClient;
  /** The election's parent node, e.g. `<root>/leader`; created if missing. */
  path: string;
  /** Identity written into our node, for people (`pvcctl` can show who leads); default host:pid. */
  identity?: string;
  /** Delay before retrying after a failed ZooKeeper call (default 1000 ms). */
  retryDelayMs?: number;
  logger?: Logger;
}

export interface LeaderElectorEvents {
  /** We lead: start reconciling. */
  elected: [{ token: number; node: string }];
  /** We no longer lead (or may not): stop reconciling now. */
  revoked: [{ reason: "suspended" | "lost" | "closed" | "stopped" | "node-gone" }];
}

const SEQ_DIGITS = 10;

function sequenceOf(name: string): number {
  return Number(name.slice(-SEQ_DIGITS));
}

export class LeaderElector extends EventEmitter<LeaderElectorEvents> {
  readonly #zk: ZkClient;
  readonly #path: string;
  readonly #identity: string;
  readonly #retryDelayMs: number;
  readonly #log?: Logger;
  /** Our node's full path, while we have one. */
  #node: string | undefined;
  /** The random id in our node's name, and the epoch (session) it was drawn for. */
  #attempt = "";
  #attemptEpoch = -1;
  #leader = false;
  #started = false;
  #stopped = false;
  /** Bumped on every session change and on stop: work of an older epoch is dropped. */
  #epoch = 0;
  #checking: Promise<void> | undefined;
  #recheck = false;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #listeners: Array<["suspended" | "reconnected" | "lost" | "rebuilt", () => void]>;
  readonly #onState = (state: string) => {
    if (state === "closed") this.#onClosed();
  };

  constructor(options: LeaderElectorOptions) {
    super();
    this.#zk = options.zk;
    this.#path = options.path.replace(/\/+$/, "");
    this.#identity = options.identity ?? `${process.env.HOSTNAME ?? "localhost"}:${process.pid}`;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#log = options.logger?.child({ component: "leader", path: this.#path });
    this.#listeners = [
      ["suspended", () => this.#onSuspended()],
      ["reconnected", () => this.#onReconnected()],
      ["lost", () => this.#onLost()],
      ["rebuilt", () => this.#onRebuilt()],
    ];
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /** Our node's sequence number while we lead: grows with every new leader. */
  get token(): number | undefined {
    return this.#leader && this.#node ? sequenceOf(this.#node) : undefined;
  }

  /** Our node's path (leader or not), or undefined while we have none. */
  get node(): string | undefined {
    return this.#node;
  }

  /**
   * Enters the election; resolves after the first attempt to create our node (a failed attempt is
   * retried in the background). Being elected is told by `elected`, not by this promise.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error("LeaderElector.start: already started");
    this.#started = true;
    for (const [event, fn] of this.#listeners) this.#zk.on(event, fn);
    this.#zk.on("state", this.#onState);
    await this.#enter(this.#epoch);
  }

  /** Leaves the election: revokes if leading and deletes our node. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#epoch++;
    clearTimeout(this.#retryTimer);
    for (const [event, fn] of this.#listeners) this.#zk.off(event, fn);
    this.#zk.off("state", this.#onState);
    this.#revoke("stopped");
    const node = this.#node;
    this.#node = undefined;
    if (node && this.#zk.state !== "closed") {
      try {
        await this.#zk.delete(node);
      } catch (err) {
        // Gone already, or the session is: either way the node does not outlive the session.
        this.#log?.debug({ err, node }, "leader: could not delete our node on stop");
      }
    }
  }

  /** The check op that makes a multi apply only while we lead. Throws NOT_LEADER when we don't. */
  fenceOp(): ZkOp {
    if (!this.#leader || !this.#node) {
      throw new PvcError(ErrorCodes.NOT_LEADER, `leader ${this.#path}: not the leader, write refused`);
    }
    return { op: "check", path: this.#node, version: 0 };
  }

  /** `ops` with the fence check prepended (op 0). */
  fenced(ops: ZkOp[]): ZkOp[] {
    return [this.fenceOp(), ...ops];
  }

  /**
   * If `err` is the failure of a fenced multi's check (op 0), a NOT_LEADER error saying so;
   * otherwise undefined (the error is the caller's own).
   */
  fenceError(err: unknown): PvcError | undefined {
    if (!(err instanceof ZkMultiError) || err.failedIndex !== 0 || err.failedOp.op !== "check")
      return undefined;
    return new PvcError(
      ErrorCodes.NOT_LEADER,
      `leader ${this.#path}: write refused, our leader node ${err.failedOp.path} is gone (leadership lost)`,
      { cause: err },
    );
  }

  #elect(): void {
    if (this.#leader || !this.#node) return;
    this.#leader = true;
    const token = sequenceOf(this.#node);
    this.#log?.info({ node: this.#node, token }, "leader: elected");
    this.emit("elected", { token, node: this.#node });
  }

  #revoke(reason: LeaderElectorEvents["revoked"][0]["reason"]): void {
    if (!this.#leader) return;
    this.#leader = false;
    this.#log?.warn({ reason, node: this.#node }, "leader: revoked");
    this.emit("revoked", { reason });
  }

  #onSuspended(): void {
    this.#revoke("suspended");
  }

  #onReconnected(): void {
    // Same session: our node (if any) still exists; see whether it is still the lowest.
    if (this.#node) this.#requestCheck();
  }

  #onLost(): void {
    this.#epoch++;
    clearTimeout(this.#retryTimer);
    this.#revoke("lost");
    this.#node = undefined; // it went with the session
  }

  /** Our client was closed under us: the session (and our node) is gone for good. */
  #onClosed(): void {
    this.#epoch++;
    clearTimeout(this.#retryTimer);
    this.#revoke("closed");
    this.#node = undefined;
  }

  #onRebuilt(): void {
    if (this.#stopped) return;
    this.#epoch++;
    void this.#enter(this.#epoch);
  }

  #current(epoch: number): boolean {
    return !this.#stopped && epoch === this.#epoch;
  }

  #scheduleRetry(epoch: number, what: () => void, err: unknown): void {
    if (!this.#current(epoch)) return;
    // Session expiry is handled by `lost`/`rebuilt`; anything else is retried after a pause.
    if (isPvcError(err, ErrorCodes.ZK_SESSION_EXPIRED) || isPvcError(err, ErrorCodes.ZK_CLOSED)) return;
    this.#log?.warn({ err }, "leader: zookeeper call failed, retrying");
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#current(epoch)) what();
    }, this.#retryDelayMs);
  }

  /** Creates our node (or finds it, if a create's answer was lost) and checks the order. */
  async #enter(epoch: number): Promise<void> {
    if (!this.#current(epoch)) return;
    // One id per session: a retry after a failed create first looks for the node that create
    // may have made (its answer lost), instead of leaving it behind as an orphan.
    const retry = this.#attemptEpoch === epoch;
    if (!retry) {
      this.#attempt = randomUUID();
      this.#attemptEpoch = epoch;
    }
    const prefix = `n-${this.#attempt}-`;
    try {
      await this.#zk.mkdirp(this.#path);
      let node = retry ? await this.#findOurs(prefix) : undefined;
      if (!node) {
        try {
          node = await this.#zk.create(`${this.#path}/${prefix}`, this.#identity, {
            mode: "ephemeral_sequential",
          });
        } catch (err) {
          if (isPvcError(err, ErrorCodes.ZK_SESSION_EXPIRED) || isPvcError(err, ErrorCodes.ZK_CLOSED)) {
            throw err;
          }
          node = await this.#findOurs(prefix);
          if (!node) throw err;
        }
      }
      if (!this.#current(epoch)) {
        // Stopped or the session changed meanwhile: the node is not ours to keep.
        if (this.#stopped) await this.#zk.delete(node).catch(() => undefined);
        return;
      }
      this.#node = node;
      this.#log?.debug({ node }, "leader: entered the election");
    } catch (err) {
      this.#scheduleRetry(epoch, () => void this.#enter(epoch), err);
      return;
    }
    this.#requestCheck();
  }

  async #findOurs(prefix: string): Promise<string | undefined> {
    const found = (await this.#zk.children(this.#path)).find((c) => c.startsWith(prefix));
    return found === undefined ? undefined : `${this.#path}/${found}`;
  }

  /** Runs #check, one at a time; a request during a check runs one more check after it. */
  #requestCheck(): void {
    if (this.#checking) {
      this.#recheck = true;
      return;
    }
    this.#checking = (async () => {
      try {
        do {
          this.#recheck = false;
          await this.#check(this.#epoch);
        } while (this.#recheck && !this.#stopped);
      } finally {
        this.#checking = undefined;
      }
    })();
  }

  async #check(epoch: number): Promise<void> {
    if (!this.#current(epoch) || !this.#node) return;
    const ourName = this.#node.slice(this.#path.length + 1);
    try {
      const children = (await this.#zk.children(this.#path))
        .filter((c) => /\d{10}$/.test(c))
        .sort((a, b) => sequenceOf(a) - sequenceOf(b));
      if (!this.#current(epoch)) return;
      const index = children.indexOf(ourName);
      if (index < 0) {
        // Our node vanished under a live session (someone deleted it): enter again.
        this.#revoke("node-gone");
        this.#node = undefined;
        void this.#enter(epoch);
        return;
      }
      if (index === 0) {
        if (this.#zk.state === "connected") this.#elect();
        return;
      }
      // Not the lowest (we never led: lower sequences are never created later): watch only our
      // predecessor.
      const predecessor = `${this.#path}/${children[index - 1]}`;
      const stat = await this.#zk.exists(predecessor, {
        watch: (event: WatchEvent) => {
          if (event.type !== "session-rebuilt" && this.#current(epoch)) this.#requestCheck();
        },
      });
      if (!stat && this.#current(epoch)) this.#recheck = true; // gone between the listing and the watch
    } catch (err) {
      if (isPvcError(err, ErrorCodes.ZK_NO_NODE) && this.#current(epoch)) {
        // The election's parent was removed (and our node with it): enter again.
        this.#revoke("node-gone");
        this.#node = undefined;
        void this.#enter(epoch);
        return;
      }
      this.#scheduleRetry(epoch, () => this.#requestCheck(), err);
    }
  }
}
