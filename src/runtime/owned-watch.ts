/**
 * Persistent-style watches on the ZooKeeper subtrees a resource owns, so that an out-of-band
 * change (someone edits or deletes a key the controller wrote) enqueues the owner at once and the
 * drift is repaired in milliseconds instead of at the next resync.
 *
 * ZooKeeper watches are one-shot; this re-arms them after every fire:
 * - every node of a subtree has an `exists` watch (fires on data change, delete, and create of a
 *   missing root) and a `children` watch (to discover nodes created later, at any depth);
 * - a deleted root is watched for re-creation; a deleted inner node is forgotten (its parent's
 *   children watch sees it come back);
 * - after a session `rebuilt` every watch is gone: the whole set is armed again from the roots and
 *   each root is reported once (`session-rebuilt`), as anything may have changed unseen.
 * Each arm carries an id; a watch that fires after it was superseded is ignored, so a node is
 * never reported twice for one change, and stale watches from an old session do nothing.
 */
import { ErrorCodes, isPvcError } from "../errors.ts";
import type { WatchEvent, ZkClient, ZkStat } from "../zk/client.ts";

export type OwnedChangeType = "changed" | "deleted" | "created" | "session-rebuilt" | "unknown";

export interface OwnedChange {
  path: string;
  type: OwnedChangeType;
}

export interface OwnedWatchOptions {
  /** Subtree roots (a single key is a subtree of one node). */
  paths: string[];
  onChange: (change: OwnedChange) => void;
  /** A ZooKeeper call failed (other than a session loss); the node is armed again after `retryDelayMs`. */
  onError?: (err: unknown, path: string) => void;
  /** Default 1000 ms. */
  retryDelayMs?: number;
}

interface NodeState {
  dataArm: number;
  childArm: number;
  /** What the last look said: present, absent, or not looked at yet. */
  present?: boolean;
  /** The node's mzxid at the last look: any change (even a delete and re-create) moves it. */
  mzxid?: string;
}

function join(parent: string, child: string): string {
  return parent === "/" ? `/${child}` : `${parent}/${child}`;
}

function isSessionGone(err: unknown): boolean {
  return isPvcError(err, ErrorCodes.ZK_SESSION_EXPIRED) || isPvcError(err, ErrorCodes.ZK_CLOSED);
}

export class OwnedWatch {
  readonly #zk: ZkClient;
  readonly #onChange: (change: OwnedChange) => void;
  readonly #onError?: (err: unknown, path: string) => void;
  readonly #retryDelayMs: number;
  #roots: Set<string>;
  #nodes = new Map<string, NodeState>();
  #nextArm = 0;
  #closed = false;
  #started = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #onRebuilt = () => void this.#rearmAll();

  constructor(zk: ZkClient, options: OwnedWatchOptions) {
    this.#zk = zk;
    this.#roots = new Set(options.paths.map((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p)));
    this.#onChange = options.onChange;
    this.#onError = options.onError;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
  }

  /** The roots watched. */
  get paths(): string[] {
    return [...this.#roots];
  }

  /** Nodes currently watched (roots and their descendants). */
  get size(): number {
    return this.#nodes.size;
  }

  /** Arms every watch; resolves once the subtrees as they are now are all watched. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#zk.on("rebuilt", this.#onRebuilt);
    await Promise.all([...this.#roots].map((root) => this.#track(root, false)));
  }

  /** Replaces the set of roots: new ones are armed, dropped ones forgotten. */
  async setPaths(paths: string[]): Promise<void> {
    const next = new Set(paths.map((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p)));
    const added = [...next].filter((p) => !this.#roots.has(p));
    const removed = [...this.#roots].filter((p) => !next.has(p));
    this.#roots = next;
    for (const root of removed) this.#forget(root);
    // A node dropped with a removed root may still lie under a kept one: arm the kept ones again.
    if (removed.length > 0) for (const root of next) if (!this.#nodes.has(root)) added.push(root);
    if (this.#started) await Promise.all([...new Set(added)].map((root) => this.#track(root, false)));
  }

  /** Stops reporting; the pending one-shot watches fire once more into nothing. */
  close(): void {
    this.#closed = true;
    this.#zk.off("rebuilt", this.#onRebuilt);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#nodes.clear();
  }

  #report(path: string, type: OwnedChangeType): void {
    if (!this.#closed) this.#onChange({ path, type });
  }

  #isRoot(path: string): boolean {
    return this.#roots.has(path);
  }

  /** Under one of our roots (or one itself)? */
  #covered(path: string): boolean {
    for (const root of this.#roots) {
      if (path === root || path.startsWith(root === "/" ? "/" : `${root}/`)) return true;
    }
    return false;
  }

  /** Forgets the node and everything under it: their pending watches become stale. */
  #forget(path: string): void {
    const prefix = path === "/" ? "/" : `${path}/`;
    for (const p of this.#nodes.keys()) {
      if ((p === path || p.startsWith(prefix)) && !(p !== path && this.#isRoot(p))) this.#nodes.delete(p);
    }
  }

  /** Starts watching a node (unless already watched). `isNew`: found after the initial listing. */
  async #track(path: string, isNew: boolean): Promise<void> {
    if (this.#closed || this.#nodes.has(path)) return;
    // A new node is known absent before: its arm reports it as created, once the watch is set.
    const state: NodeState = { dataArm: 0, childArm: 0, present: isNew ? false : undefined };
    this.#nodes.set(path, state);
    await this.#armData(path, state, isNew);
  }

  #retry(path: string, state: NodeState, err: unknown, children: boolean): void {
    if (this.#closed || isSessionGone(err)) return; // `rebuilt` re-arms everything
    this.#onError?.(err, path);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#nodes.get(path) !== state) return;
      // Something may have changed while we could not watch: report it.
      this.#report(path, "unknown");
      if (children) state.childArm = 0;
      void this.#armData(path, state, true);
    }, this.#retryDelayMs);
    this.#timers.add(timer);
  }

  /**
   * Arms the node's exists watch, then reports what changed since the last look: created,
   * deleted, or changed (another mzxid). Reporting after the watch is armed means that every
   * change is followed by a report made after it, even a change made between a watch firing
   * and its re-arm (which fires no watch). Arms the children watch once, while the node exists
   * (re-arming it with every data change would pile up one pending watcher per change).
   */
  async #armData(path: string, state: NodeState, reportChildren: boolean): Promise<void> {
    const arm = ++this.#nextArm;
    state.dataArm = arm;
    let stat: ZkStat | null;
    try {
      stat = await this.#zk.exists(path, { watch: (e) => this.#onData(path, state, arm, e) });
    } catch (err) {
      if (this.#nodes.get(path) === state && state.dataArm === arm) this.#retry(path, state, err, false);
      return;
    }
    if (this.#nodes.get(path) !== state) return;
    // Answers come in the order of the calls, so each look is compared with the one before it,
    // even when a newer arm's watch has fired meanwhile.
    const was = state.present;
    state.present = stat !== null;
    if (was === false && stat) this.#report(path, "created");
    else if (was === true && !stat) this.#report(path, "deleted");
    else if (was === true && stat && stat.mzxid !== state.mzxid) this.#report(path, "changed");
    state.mzxid = stat?.mzxid;
    if (!stat) {
      // Only a root is watched while missing; an inner node is its parent's business.
      if (!this.#isRoot(path)) this.#nodes.delete(path);
      return;
    }
    if (state.childArm === 0) await this.#armChildren(path, state, reportChildren);
  }

  async #armChildren(path: string, state: NodeState, report: boolean): Promise<void> {
    const arm = ++this.#nextArm;
    state.childArm = arm;
    let children: string[];
    try {
      children = await this.#zk.children(path, { watch: (e) => this.#onChildren(path, state, arm, e) });
    } catch (err) {
      // NoNode: deleted meanwhile, the exists watch reports it.
      if (
        !isPvcError(err, ErrorCodes.ZK_NO_NODE) &&
        this.#nodes.get(path) === state &&
        state.childArm === arm
      ) {
        this.#retry(path, state, err, true);
      }
      return;
    }
    if (this.#nodes.get(path) !== state) return;
    await Promise.all(children.map((c) => this.#track(join(path, c), report)));
  }

  #onData(path: string, state: NodeState, arm: number, event: WatchEvent): void {
    if (this.#closed || event.type === "session-rebuilt") return;
    if (this.#nodes.get(path) !== state || state.dataArm !== arm) return;
    if (event.type === "deleted") {
      this.#report(path, "deleted");
      this.#forget(path);
      if (this.#isRoot(path)) {
        // Watch for the root's re-creation.
        const fresh: NodeState = { dataArm: 0, childArm: 0, present: false };
        this.#nodes.set(path, fresh);
        void this.#armData(path, fresh, true);
      }
      return;
    }
    // changed or created: the re-arm looks and reports.
    void this.#armData(path, state, true);
  }

  #onChildren(path: string, state: NodeState, arm: number, event: WatchEvent): void {
    if (this.#closed || event.type !== "children") return; // a delete is the exists watch's
    if (this.#nodes.get(path) !== state || state.childArm !== arm) return;
    void this.#armChildren(path, state, true);
  }

  async #rearmAll(): Promise<void> {
    if (this.#closed) return;
    this.#nodes = new Map();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const roots = [...this.#roots];
    await Promise.all(roots.map((root) => this.#track(root, false)));
    for (const root of roots) this.#report(root, "session-rebuilt");
  }

  /** For tests and debugging: is this path currently watched? */
  watches(path: string): boolean {
    return this.#nodes.has(path) && this.#covered(path);
  }
}

/**
 * Owned watches for many owners on one ZkClient: `set(owner, paths)` from a reconcile (after it
 * knows what the resource owns), `delete(owner)` when the resource is gone; `onChange(owner, …)`
 * usually enqueues the owner's key.
 */
export class OwnedWatches {
  readonly #zk: ZkClient;
  readonly #onChange: (owner: string, change: OwnedChange) => void;
  readonly #onError?: (err: unknown, path: string) => void;
  readonly #byOwner = new Map<string, OwnedWatch>();

  constructor(
    zk: ZkClient,
    onChange: (owner: string, change: OwnedChange) => void,
    options: { onError?: (err: unknown, path: string) => void } = {},
  ) {
    this.#zk = zk;
    this.#onChange = onChange;
    this.#onError = options.onError;
  }

  get owners(): string[] {
    return [...this.#byOwner.keys()];
  }

  /** Watches exactly `paths` for `owner` (cheap when they are unchanged). */
  async set(owner: string, paths: string[]): Promise<void> {
    const existing = this.#byOwner.get(owner);
    if (existing) {
      const same = existing.paths.length === paths.length && paths.every((p) => existing.paths.includes(p));
      if (!same) await existing.setPaths(paths);
      return;
    }
    const watch = new OwnedWatch(this.#zk, {
      paths,
      onChange: (change) => this.#onChange(owner, change),
      onError: this.#onError,
    });
    this.#byOwner.set(owner, watch);
    await watch.start();
  }

  delete(owner: string): void {
    this.#byOwner.get(owner)?.close();
    this.#byOwner.delete(owner);
  }

  /** Drops every owner's watches (e.g. when leadership is lost). */
  clear(): void {
    for (const watch of this.#byOwner.values()) watch.close();
    this.#byOwner.clear();
  }
}
