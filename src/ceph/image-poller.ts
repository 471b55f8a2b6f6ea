/**
 * The image poller: every `intervalMs`, one `rbd ls -l` per pool that a subscriber cares about
 * (never one call per volume), and every subscriber hears every listing. The CephVolume and
 * CephSnapshot controllers subscribe through `Controller.watch` (so a stopped controller is no
 * longer told), compare each listing with their resources' status and enqueue only what drifted;
 * the CephPool controller reads the last listings for its volume counts. One poller per
 * controller context (controllers/context.ts builds it), so two kinds polling the same pool cost
 * one `rbd ls` per interval, not two. It runs only while someone is subscribed.
 */
import type { Logger } from "pino";
import { ErrorCodes, PvcError } from "../errors.ts";
import type { CephClient } from "./client.ts";
import type { RbdLsEntry } from "./types.ts";

/** `entries` null: the pool could not be listed because it does not exist (e.g. it was deleted). */
export type ListingListener = (pool: string, entries: RbdLsEntry[] | null) => void;

export interface ImagePollerOptions {
  intervalMs: number;
  logger?: Logger;
}

interface Subscriber {
  pools: () => Iterable<string>;
  onListing: ListingListener;
}

export class ImagePoller {
  readonly #ceph: CephClient;
  readonly #options: ImagePollerOptions;
  readonly #subscribers = new Set<Subscriber>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  /** The last listing of each pool (null: the pool could not be listed, e.g. it is gone). */
  readonly listings = new Map<string, RbdLsEntry[] | null>();

  constructor(ceph: CephClient, options: ImagePollerOptions) {
    this.#ceph = ceph;
    this.#options = options;
  }

  /**
   * Hears the listings of every pool any subscriber names (`pools()` is asked at each poll);
   * returns the function that unsubscribes. The last one to leave stops the timer.
   */
  subscribe(pools: () => Iterable<string>, onListing: ListingListener): () => void {
    const subscriber = { pools, onListing };
    this.#subscribers.add(subscriber);
    this.#schedule();
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  #schedule(): void {
    if (this.#timer || this.#subscribers.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.pollNow()
        .catch((err) => this.#options.logger?.warn({ err }, "ceph poll failed; trying again next interval"))
        .finally(() => this.#schedule());
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** One `rbd ls -l` per pool of interest; every subscriber hears every listing. */
  async pollNow(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const pools = new Set<string>();
      for (const s of this.#subscribers) for (const pool of s.pools()) pools.add(pool);
      await Promise.all([...pools].map((pool) => this.#list(pool)));
    } finally {
      this.#polling = false;
    }
  }

  async #list(pool: string): Promise<void> {
    let entries: RbdLsEntry[] | null;
    try {
      entries = await this.#ceph.rbdLs(pool);
    } catch (err) {
      if (!(err instanceof PvcError && err.code === ErrorCodes.CEPH_ENOENT)) {
        this.#options.logger?.warn({ err, pool }, "ceph poll: rbd ls failed; trying again next interval");
        return;
      }
      entries = null;
    }
    this.listings.set(pool, entries);
    for (const s of [...this.#subscribers]) s.onListing(pool, entries);
  }
}
