/**
 * A work queue of keys, in the manner of client-go's rate-limited workqueue and pepr's queue,
 * on p-queue for the global concurrency limit.
 *
 * The life of a key:
 * - `add(key)` marks it waiting; more adds while it waits merge into that one run (adds in the same
 *   tick always merge). The promise returned settles when that run has completed, with its outcome
 *   (never rejects: informers fire and forget, API handlers may wait for convergence).
 * - A key is never processed twice at once: re-added while in flight, it waits and runs once more
 *   after the current run.
 * - The handler's result decides what comes next: success forgets the key's backoff (and honours
 *   `requeueAfter`); an error requeues it after a per-key exponential backoff with jitter; a
 *   TerminalError (code TERMINAL) stops retries until the key is added again.
 * - `add(key)` cancels a delayed run scheduled for that key (a backoff or a requeueAfter): the run
 *   it starts decides again whether and when to come back, since reconciles are level-based.
 */
import PQueue from "p-queue";
import { isTerminal } from "./errors.ts";

export type ReconcileResult = { requeueAfter?: number } | undefined;

export interface ReconcileContext {
  /** Aborted when the queue is shut down without draining (e.g. leadership lost): stop writing. */
  signal: AbortSignal;
}

export type QueueHandler = (
  key: string,
  ctx: ReconcileContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: a reconcile may simply return nothing
) => Promise<ReconcileResult | void>;

/** What became of one run of a key. */
export type ReconcileOutcome =
  | { result: "success" }
  | { result: "requeue"; requeueAfter: number }
  | { result: "error"; error: unknown; retryAfter: number }
  | { result: "terminal"; error: unknown }
  /** The queue was shut down before the key ran. */
  | { result: "cancelled" };

export interface BackoffOptions {
  /** Delay after the first failure (default 100 ms); doubles with each consecutive failure. */
  baseDelayMs?: number;
  /** Cap of the delay (default 5 min). */
  maxDelayMs?: number;
  /** Relative jitter: the delay is scaled by a random factor in [1 - jitter, 1 + jitter] (default 0.2). */
  jitter?: number;
}

export interface WorkQueueOptions {
  handler: QueueHandler;
  /** Keys processed at once, across all keys (default 4). */
  concurrency?: number;
  backoff?: BackoffOptions;
  /** Random source in [0, 1), for tests. */
  random?: () => number;
  /** Called after every run (for metrics and logs), before the run's promise settles. */
  onOutcome?: (key: string, outcome: ReconcileOutcome, durationMs: number) => void;
}

interface Deferred {
  promise: Promise<ReconcileOutcome>;
  resolve: (outcome: ReconcileOutcome) => void;
}

function deferred(): Deferred {
  let resolve!: (outcome: ReconcileOutcome) => void;
  const promise = new Promise<ReconcileOutcome>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const CANCELLED: ReconcileOutcome = { result: "cancelled" };

/** The backoff delay before retry number `failures` (1-based), before jitter. */
export function backoffDelay(failures: number, base: number, max: number): number {
  if (failures <= 0) return 0;
  // 2 ** 60 is already far past any cap; bounding the exponent keeps the number finite.
  return Math.min(max, base * 2 ** Math.min(failures - 1, 60));
}

export class WorkQueue {
  readonly #handler: QueueHandler;
  readonly #pq: PQueue;
  readonly #base: number;
  readonly #max: number;
  readonly #jitter: number;
  readonly #random: () => number;
  readonly #onOutcome?: WorkQueueOptions["onOutcome"];
  /** Keys waiting to run, each with the promise of its next run. */
  readonly #waiting = new Map<string, Deferred>();
  readonly #processing = new Set<string>();
  readonly #delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<string, number>();
  readonly #abort = new AbortController();
  #closed = false;
  #draining = false;

  constructor(options: WorkQueueOptions) {
    this.#handler = options.handler;
    this.#pq = new PQueue({ concurrency: options.concurrency ?? 4 });
    this.#base = options.backoff?.baseDelayMs ?? 100;
    this.#max = options.backoff?.maxDelayMs ?? 300_000;
    this.#jitter = options.backoff?.jitter ?? 0.2;
    this.#random = options.random ?? Math.random;
    this.#onOutcome = options.onOutcome;
  }

  /** Keys waiting to run now (not counting delayed ones). */
  get depth(): number {
    return this.#waiting.size;
  }

  /** Keys being processed. */
  get inFlight(): number {
    return this.#processing.size;
  }

  /** Keys scheduled to run later (backoff or requeueAfter). */
  get delayed(): number {
    return this.#delayed.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Consecutive failures of the key (0 after a success or a terminal error). */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Queues the key; the promise settles with the outcome of the key's next run. */
  add(key: string): Promise<ReconcileOutcome> {
    if (this.#closed) return Promise.resolve(CANCELLED);
    this.#cancelDelayed(key);
    const waiting = this.#waiting.get(key);
    if (waiting) return waiting.promise;
    const entry = deferred();
    this.#waiting.set(key, entry);
    // While in flight, the key is pushed again when its current run completes.
    if (!this.#processing.has(key)) this.#push(key);
    return entry.promise;
  }

  /**
   * Queues the key after `ms`; an earlier schedule for the same key wins. A key already waiting
   * is left alone: the run it waits for decides again when to come back.
   */
  addAfter(key: string, ms: number): void {
    if (this.#closed || this.#waiting.has(key)) return;
    if (ms <= 0) {
      void this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      void this.add(key);
    }, ms);
    this.#delayed.set(key, { at, timer });
  }

  /** Forgets the key's failures, so that its next failure starts the backoff over. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /**
   * Stops the queue: new adds are refused (they resolve `cancelled`) and delayed runs are dropped.
   * With `drain` (default) the keys already waiting still run; without, they are cancelled and
   * the handlers in flight see their signal aborted. Resolves when nothing is in flight.
   */
  async shutdown(options: { drain?: boolean } = {}): Promise<void> {
    const drain = options.drain ?? true;
    this.#closed = true;
    this.#draining = drain;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    if (!drain) {
      this.#pq.clear();
      for (const entry of this.#waiting.values()) entry.resolve(CANCELLED);
      this.#waiting.clear();
      this.#abort.abort(new Error("work queue shut down"));
    }
    while (this.#pq.size > 0 || this.#pq.pending > 0) await this.#pq.onIdle();
  }

  #cancelDelayed(key: string): void {
    const delayed = this.#delayed.get(key);
    if (!delayed) return;
    clearTimeout(delayed.timer);
    this.#delayed.delete(key);
  }

  #push(key: string): void {
    // #run never rejects; p-queue's own promise is not needed.
    void this.#pq.add(() => this.#run(key));
  }

  async #run(key: string): Promise<void> {
    // Let adds made in the same tick merge into this run.
    await Promise.resolve();
    const entry = this.#waiting.get(key);
    if (!entry) return; // cancelled by a shutdown meanwhile
    this.#waiting.delete(key);
    this.#processing.add(key);
    const started = performance.now();
    let outcome: ReconcileOutcome;
    try {
      const result = await this.#handler(key, { signal: this.#abort.signal });
      this.#failures.delete(key);
      const after = result?.requeueAfter;
      if (after !== undefined && after >= 0 && Number.isFinite(after)) {
        outcome = { result: "requeue", requeueAfter: after };
      } else {
        outcome = { result: "success" };
      }
    } catch (error) {
      if (isTerminal(error)) {
        this.#failures.delete(key);
        outcome = { result: "terminal", error };
      } else {
        const failures = (this.#failures.get(key) ?? 0) + 1;
        this.#failures.set(key, failures);
        outcome = { result: "error", error, retryAfter: this.#retryDelay(failures) };
      }
    } finally {
      this.#processing.delete(key);
    }
    // Re-added while in flight: run once more, now that this run is over.
    if (this.#waiting.has(key) && (!this.#closed || this.#draining)) this.#push(key);
    if (outcome.result === "requeue") this.addAfter(key, outcome.requeueAfter);
    else if (outcome.result === "error") this.addAfter(key, outcome.retryAfter);
    try {
      this.#onOutcome?.(key, outcome, performance.now() - started);
    } catch {
      // A broken metrics or log hook must not break the queue.
    }
    entry.resolve(outcome);
  }

  #retryDelay(failures: number): number {
    const delay = backoffDelay(failures, this.#base, this.#max);
    const factor = 1 + this.#jitter * (2 * this.#random() - 1);
    return Math.max(1, Math.min(this.#max, Math.round(delay * factor)));
  }
}
