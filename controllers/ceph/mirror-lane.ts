/**
 * A background lane for reads that a reconcile does not need before it may say Ready, only after
 * (CephVolume: the `rbd info` of a freshly created image, for its id and PVC's `stats` key).
 *
 * Why a lane and not the reconcile: on a small machine every rbd process is CPU-bound (librados
 * start-up), so a second process per volume inside the reconcile doubles the time to Ready. The
 * lane runs its reads only while the controller has no reconcile running or waiting ("yields to
 * convergence work"), up to `concurrency` at once; while the controller stays busy it still starts
 * one read per `maxYieldMs`, so a steady stream of work cannot starve it.
 *
 * The lane never writes anything: a finished read is kept under its key and `done(key)` wakes the
 * reconcile, which takes it with `take` (the controller stays the only writer of status and of
 * PVC's keys, so no write of the lane can race one of the reconcile). A result is tagged with what
 * it was asked for (`tag`, e.g. the create it follows) and is handed out only for the same tag.
 * A read that failed is asked again only after an exponential backoff (1 s doubling up to 5 min):
 * the reconcile that sees the failure succeeds in handing it back, which resets the work queue's
 * own backoff, so the lane keeps the count.
 */

export type LaneResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface MirrorLaneOptions<T> {
  /** Reads started at once while the controller is idle. */
  concurrency: number;
  /** While the controller is busy, one read still starts after this long without one. */
  maxYieldMs: number;
  /** Whether the controller has no reconcile running or queued. */
  idle(): boolean;
  read(key: string): Promise<T>;
  /** A result for `key` is ready to `take`. */
  done(key: string): void;
}

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 300_000;

export class MirrorLane<T> {
  readonly #opts: MirrorLaneOptions<T>;
  /** Keys waiting for a read, in submission order, with their tags and when they may start. */
  readonly #waiting = new Map<string, { tag: string; notBefore: number }>();
  readonly #reading = new Map<string, string>();
  readonly #results = new Map<string, { tag: string; result: LaneResult<T> }>();
  /** Consecutive failed reads per key (for its tag), and when the next may start. */
  readonly #failures = new Map<string, { tag: string; count: number; notBefore: number }>();
  /** Bumped by stop(): reads started before it deliver nothing. */
  #epoch = 0;
  /** When the lane last started a read, or began waiting with nothing running. */
  #since = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MirrorLaneOptions<T>) {
    this.#opts = options;
  }

  /** Asks for a read of `key` (once: a key already waiting or being read is not read twice). */
  submit(key: string, tag: string): void {
    if (this.#reading.get(key) === tag || this.#results.get(key)?.tag === tag) return;
    if (this.#waiting.size === 0 && this.#reading.size === 0) this.#since = Date.now();
    const failed = this.#failures.get(key);
    this.#waiting.set(key, { tag, notBefore: failed?.tag === tag ? failed.notBefore : 0 });
    this.kick();
  }

  /** The finished read of `key` for `tag`, removed from the lane (one for another tag is dropped). */
  take(key: string, tag: string): LaneResult<T> | undefined {
    const got = this.#results.get(key);
    this.#results.delete(key);
    return got?.tag === tag ? got.result : undefined;
  }

  /** Drops what the lane holds for `key` (a read in flight delivers nothing). */
  forget(key: string): void {
    this.#waiting.delete(key);
    this.#reading.delete(key);
    this.#results.delete(key);
    this.#failures.delete(key);
  }

  /** Starts what may start now; call it when the controller may have become idle. */
  kick(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiting.size === 0) return;
    const now = Date.now();
    const idle = this.#opts.idle();
    const overdue = now - this.#since >= this.#opts.maxYieldMs;
    const cap = idle ? this.#opts.concurrency : overdue ? 1 : 0;
    let dueLeft = false;
    let nextRetry = Number.POSITIVE_INFINITY;
    for (const [key, { tag, notBefore }] of [...this.#waiting]) {
      if (notBefore > now) nextRetry = Math.min(nextRetry, notBefore);
      else if (this.#reading.size < cap) {
        this.#waiting.delete(key);
        this.#start(key, tag);
      } else dueLeft = true;
    }
    // Busy: look again when the yield runs out (a reconcile ending kicks sooner); and at the
    // next retry time of a read that failed.
    const at = Math.min(
      nextRetry,
      dueLeft && !idle ? this.#since + this.#opts.maxYieldMs : Number.POSITIVE_INFINITY,
    );
    if (at !== Number.POSITIVE_INFINITY) {
      this.#timer = setTimeout(() => this.kick(), Math.max(1, at - now));
      this.#timer.unref();
    }
  }

  /** Drops everything; reads in flight finish but deliver nothing. */
  stop(): void {
    this.#epoch++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waiting.clear();
    this.#reading.clear();
    this.#results.clear();
    this.#failures.clear();
  }

  #start(key: string, tag: string): void {
    const epoch = this.#epoch;
    this.#since = Date.now();
    this.#reading.set(key, tag);
    const finish = (result: LaneResult<T>) => {
      if (epoch !== this.#epoch || this.#reading.get(key) !== tag) return;
      this.#reading.delete(key);
      if (this.#reading.size === 0) this.#since = Date.now();
      if (result.ok) this.#failures.delete(key);
      else {
        const count = (this.#failures.get(key)?.tag === tag ? (this.#failures.get(key)?.count ?? 0) : 0) + 1;
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(count - 1, 30));
        this.#failures.set(key, { tag, count, notBefore: Date.now() + delay });
      }
      this.#results.set(key, { tag, result });
      this.#opts.done(key);
      this.kick();
    };
    this.#opts.read(key).then(
      (value) => finish({ ok: true, value }),
      (error: unknown) => finish({ ok: false, error }),
    );
  }
}
