/**
 * Mirror: the PVC keys a kind owns (a subtree such as `/networks` or `/ceph`), held in memory by a
 * TreeCache (one persistent recursive watch) while the controllers that use it run.
 *
 * Every kind reads its PVC keys this way, so the rules are stated once:
 * - It lives while at least one running controller uses it: `Controller.useMirror(mirror, keysFor)`
 *   acquires it on start (the cache is built at once, in the background) and releases it on stop
 *   (the last release stops the cache: a follower holds no mirror).
 * - `ready()` resolves with the cache once it holds the whole subtree. A build that fails (the
 *   session went meanwhile) is forgotten, so the next `ready()` builds anew instead of failing on
 *   the same rejection until the next election.
 * - Changes reach subscribers with `own` = whether this process wrote them (its multis are written
 *   through); the wake-up rule that maps a path to keys lives in `Controller.useMirror`.
 * - Several kinds may mirror one subtree through one context (`MirrorSet.of(root)`): one cache, one
 *   watch, shared. Each asker's options add up: every `prepare` runs before the cache starts (kinds
 *   are created before any starts), every `onError` hears read failures.
 */
import type { ZkClient, ZkOp, ZkOpResult } from "../zk/client.ts";
import { TreeCache } from "../zk/tree-cache.ts";

export type MirrorListener = (path: string, own: boolean) => void;

export interface MirrorOptions {
  /** Run before the cache starts (e.g. create the parents PVC makes at bootstrap). */
  prepare?: (zk: ZkClient) => Promise<void>;
  /** Told when a read fails and the cache reloads (it recovers on its own). */
  onError?: (err: unknown) => void;
}

export class Mirror {
  readonly root: string;
  readonly #zk: ZkClient;
  readonly #prepare: Array<(zk: ZkClient) => Promise<void>> = [];
  readonly #onError: Array<(err: unknown) => void> = [];
  readonly #listeners = new Set<MirrorListener>();
  #users = 0;
  #cache: TreeCache | undefined;
  #ready: Promise<TreeCache> | undefined;
  /** The cache once it holds the whole subtree (what `version` may answer from). */
  #loaded: TreeCache | undefined;

  constructor(zk: ZkClient, root: string, options: MirrorOptions = {}) {
    this.#zk = zk;
    this.root = root;
    this.addOptions(options);
  }

  /** Another user's prepare step and error listener (see the header). */
  addOptions(options: MirrorOptions): void {
    if (options.prepare) this.#prepare.push(options.prepare);
    if (options.onError) this.#onError.push(options.onError);
  }

  /** A running controller uses it: the cache is built now if it is not. */
  acquire(): void {
    this.#users++;
    void this.ready().catch(() => undefined); // a failed build is retried by the next ready()
  }

  /** A controller stopped; the last one stops the cache. */
  release(): void {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users > 0) return;
    this.#cache?.stop();
    this.#cache = undefined;
    this.#ready = undefined;
    this.#loaded = undefined;
  }

  /** Whether a running controller holds it. */
  get inUse(): boolean {
    return this.#users > 0;
  }

  /** The cache, once it holds the whole subtree. */
  ready(): Promise<TreeCache> {
    if (!this.#ready) this.#ready = this.#build();
    return this.#ready;
  }

  #build(): Promise<TreeCache> {
    const cache = new TreeCache(this.#zk, this.root);
    this.#cache = cache;
    cache.on("change", (path, own) => {
      for (const l of [...this.#listeners]) l(path, own);
    });
    cache.on("error", (err) => {
      for (const l of this.#onError) l(err);
    });
    const built = (async () => {
      for (const prepare of this.#prepare) await prepare(this.#zk);
      await cache.start();
      if (this.#cache === cache) this.#loaded = cache;
      return cache;
    })();
    return built.catch((err: unknown) => {
      cache.stop();
      if (this.#cache === cache) {
        this.#cache = undefined;
        this.#ready = undefined;
      }
      throw err;
    });
  }

  /** A path's cached value now (undefined: not cached, or no cache yet); for change listeners. */
  peek(path: string): string | undefined {
    return this.#cache?.get(path)?.data;
  }

  /**
   * The version of the subtree holding `path` (TreeCache.version), or undefined while no loaded
   * cache can say: for a controller's fingerprint of what a reconcile planned against.
   */
  version(path: string): string | undefined {
    return this.#loaded?.version(path);
  }

  /** Hears every change under the root; returns the function that unsubscribes. */
  subscribe(listener: MirrorListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Commits ops as one multi through the cache, which holds the result as soon as it returns. */
  async commit(ops: ZkOp[], options: { quiet?: boolean } = {}): Promise<ZkOpResult[]> {
    return (await this.ready()).commit(ops, options);
  }
}

/** The mirrors of one controller context, one per subtree root, shared by the kinds that use it. */
export class MirrorSet {
  readonly #zk: ZkClient;
  readonly #mirrors = new Map<string, Mirror>();

  constructor(zk: ZkClient) {
    this.#zk = zk;
  }

  /** The mirror of `root` (made on first ask); each asker's options are added to it. */
  of(root: string, options: MirrorOptions = {}): Mirror {
    const mirror = this.#mirrors.get(root);
    if (mirror) {
      mirror.addOptions(options);
      return mirror;
    }
    const made = new Mirror(this.#zk, root, options);
    this.#mirrors.set(root, made);
    return made;
  }
}
