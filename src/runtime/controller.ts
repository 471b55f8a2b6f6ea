/**
 * A controller: one kind's reconcile function behind a work queue, fed by informers, by the
 * mirror of the PVC keys the kind owns (src/runtime/mirror.ts), and by a periodic resync. It knows no kind: a key
 * is a resource name, and the reconcile reads the current state itself (it never trusts the event
 * that woke it: events merge, and a resync wakes every key).
 *
 *     const c = new Controller({ kind: "Network", reconcile: reconcileNetwork, metrics, logger });
 *     c.watchInformer(networks);                             // add/update/delete → enqueue(name)
 *     c.watchInformer(ports, { keysFor: ownerKeys("Network") });  // a dependent → its owner
 *     c.resync(() => networks.keys());                      // every key, every resyncPeriodMs
 *     await c.start();                                      // usually the Manager's job
 *
 * The wake-up rule, one for every kind: a controller is woken by its sources — informers
 * (`watchInformer`, its own kind or others mapped to keys), the mirror of the PVC keys it owns
 * (`useMirror`), anything else through `watch` — and by the resync. Every source is attached when
 * the controller starts and detached when it stops (a follower holds no subscription and no
 * mirror); the start enqueues every key anyway, so nothing missed while stopped is lost. Indexers
 * (src/store/indexer.ts) are not wake-ups but caches: they live with the informer.
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { OwnerReference } from "../resources/types.ts";
import type { RuntimeMetrics } from "./metrics.ts";
import { type BackoffOptions, type QueueHandler, type ReconcileOutcome, WorkQueue } from "./queue.ts";

export type { ReconcileContext, ReconcileOutcome, ReconcileResult } from "./queue.ts";

export type Reconciler = QueueHandler;

/** What an informer's objects must have. */
export interface ObjectLike {
  metadata: { name: string; ownerReferences?: OwnerReference[] };
}

/** The informer's side of the contract: an emitter of `add`, `update` (old, new) and `delete`. */
export interface InformerLike<T extends ObjectLike = ObjectLike> {
  on(event: "add" | "update" | "delete", listener: (obj: T, other?: T) => void): unknown;
  off(event: "add" | "update" | "delete", listener: (obj: T, other?: T) => void): unknown;
}

/** The mirror's side of `useMirror` (src/runtime/mirror.ts). */
export interface MirrorLike {
  acquire(): void;
  release(): void;
  subscribe(listener: (path: string, own: boolean) => void): () => void;
}

/** Maps an object to the keys to enqueue (none: ignore the event). */
export type KeysFor<T extends ObjectLike = ObjectLike> = (obj: T) => string | string[] | undefined;

/**
 * Something that wakes the controller: called with `enqueue` when the controller starts, returns
 * the function that detaches it when it stops.
 */
export type WakeSource = (enqueue: (key: string) => void) => () => void;

/** The keys of every object, for the resync. */
export type KeysProvider = () => Iterable<string> | Promise<Iterable<string>>;

/**
 * Everything one key's reconcile reads, as one comparable value (versions of its object and of the
 * cached keys it plans against), or undefined when that cannot be said (then it is always run).
 */
export type Fingerprint = (key: string) => string | undefined;

/**
 * Maps a dependent object to the names of its owners of `kind` (controller-runtime's
 * EnqueueRequestForOwner): the VirtualMachine controller is woken this way by the CephVolumes it owns.
 */
export function ownerKeys(kind: string): KeysFor {
  return (obj) => (obj.metadata.ownerReferences ?? []).filter((r) => r.kind === kind).map((r) => r.name);
}

export interface ControllerOptions {
  kind: string;
  reconcile: Reconciler;
  /** Keys reconciled at once (default 4); one key never runs twice at once. */
  concurrency?: number;
  /** Period of the resync of every key (default 10 min; 0 disables). */
  resyncPeriodMs?: number;
  /** Relative jitter of the resync period (default 0.1), so that replicas and kinds spread out. */
  resyncJitter?: number;
  /**
   * What a reconcile of the key reads. Why: a reconcile that plans against caches (the informer,
   * the mirror) is a pure function of them, so a periodic resync of a key whose last successful
   * reconcile saw exactly the same inputs can only find nothing to do — at 10,000 objects that
   * no-op was most of a cluster at rest's CPU (issue 16). Such keys are skipped by the periodic
   * resync (not by events, nor by the full pass at each start). Absent: every key is run.
   */
  fingerprint?: Fingerprint;
  backoff?: BackoffOptions;
  metrics?: RuntimeMetrics;
  logger?: Logger;
}

export interface ControllerEvents {
  started: [];
  /** After the queue has shut down and the sources are detached. */
  stopped: [];
}

export class Controller extends EventEmitter<ControllerEvents> {
  readonly kind: string;
  readonly #reconcile: Reconciler;
  readonly #concurrency: number;
  readonly #resyncPeriodMs: number;
  readonly #resyncJitter: number;
  readonly #fingerprint?: Fingerprint;
  /** key → the fingerprint its last successful reconcile started from (while running). */
  readonly #settled = new Map<string, string>();
  readonly #backoff?: BackoffOptions;
  readonly #metrics?: RuntimeMetrics;
  readonly #log?: Logger;
  #queue: WorkQueue | undefined;
  #keys: KeysProvider | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #untrack: (() => void) | undefined;
  readonly #sources = new Set<WakeSource>();
  /** The attached sources' detach functions, while running. */
  readonly #attached = new Map<WakeSource, () => void>();
  /** Start and stop run one after the other, so two queues never run the same key at once. */
  #transitions: Promise<void> = Promise.resolve();

  constructor(options: ControllerOptions) {
    super();
    this.kind = options.kind;
    this.#reconcile = options.reconcile;
    this.#concurrency = options.concurrency ?? 4;
    this.#resyncPeriodMs = options.resyncPeriodMs ?? 600_000;
    this.#resyncJitter = options.resyncJitter ?? 0.1;
    this.#fingerprint = options.fingerprint;
    this.#backoff = options.backoff;
    this.#metrics = options.metrics;
    this.#log = options.logger?.child({ controller: options.kind });
  }

  get running(): boolean {
    return this.#queue !== undefined;
  }

  get depth(): number {
    return this.#queue?.depth ?? 0;
  }

  get inFlight(): number {
    return this.#queue?.inFlight ?? 0;
  }

  /** Queues a reconcile of the key; settles with the outcome of its next run (`cancelled` while stopped). */
  enqueue(key: string): Promise<ReconcileOutcome> {
    if (!this.#queue) return Promise.resolve({ result: "cancelled" });
    return this.#queue.add(key);
  }

  /** Sets the keys of the periodic resync (and of the full pass at each start). */
  resync(keys: KeysProvider): void {
    this.#keys = keys;
    if (this.#queue) this.#scheduleResync();
  }

  /**
   * Enqueues every key now; with `skipSettled`, not the keys whose last successful reconcile read
   * what they would read now (see `fingerprint`).
   */
  async resyncNow(options: { skipSettled?: boolean } = {}): Promise<void> {
    const provider = this.#keys;
    if (!provider || !this.#queue) return;
    try {
      let count = 0;
      let skipped = 0;
      for (const key of await provider()) {
        if (options.skipSettled && this.#isSettled(key)) {
          skipped++;
          continue;
        }
        void this.enqueue(key);
        count++;
      }
      this.#log?.debug({ keys: count, skipped }, "resync");
    } catch (err) {
      this.#log?.warn({ err }, "resync: listing the keys failed; next try at the next period");
    }
  }

  /**
   * Enqueues the keys of the informer's objects on add, update (the new object's keys and, if
   * different, the old one's) and delete. Returns the function that unsubscribes.
   */
  watchInformer<T extends ObjectLike>(
    informer: InformerLike<T>,
    options: {
      keysFor?: KeysFor<T>;
      /** Which updates enqueue (e.g. `specOrMetadataChanged`); every update when absent. */
      updateIf?: (next: T, prev: T) => boolean;
    } = {},
  ): () => void {
    const keysFor: KeysFor<T> = options.keysFor ?? ((obj) => obj.metadata.name);
    return this.watch((enqueue) => {
      const enqueueFor = (obj: T | undefined) => {
        if (!obj) return;
        const keys = keysFor(obj);
        if (keys === undefined) return;
        for (const key of typeof keys === "string" ? [keys] : keys) enqueue(key);
      };
      const onAdd = (obj: T) => enqueueFor(obj);
      // Both objects of an update (in either order): an owner change must wake the old owner too;
      // the queue merges the duplicates.
      const onUpdate = (a: T, b?: T) => {
        if (options.updateIf && b && !options.updateIf(a, b)) return;
        enqueueFor(a);
        enqueueFor(b);
      };
      const onDelete = (obj: T) => enqueueFor(obj);
      informer.on("add", onAdd);
      informer.on("update", onUpdate);
      informer.on("delete", onDelete);
      return () => {
        informer.off("add", onAdd);
        informer.off("update", onUpdate);
        informer.off("delete", onDelete);
      };
    });
  }

  /**
   * Uses a mirror of PVC keys (src/runtime/mirror.ts) while running: acquired on start (the cache
   * is built then) and released on stop; a change under its root enqueues the keys `keysFor`
   * names (none: ignore it). `own` is true for this process's own writes.
   */
  useMirror(
    mirror: MirrorLike,
    keysFor: (path: string, own: boolean) => Iterable<string> | undefined,
  ): () => void {
    return this.watch((enqueue) => {
      mirror.acquire();
      const unsubscribe = mirror.subscribe((path, own) => {
        for (const key of keysFor(path, own) ?? []) enqueue(key);
      });
      return () => {
        unsubscribe();
        mirror.release();
      };
    });
  }

  /** Adds a wake-up source (attached now if running); returns the function that removes it. */
  watch(source: WakeSource): () => void {
    this.#sources.add(source);
    if (this.#queue) this.#attach(source);
    return () => {
      this.#sources.delete(source);
      this.#attached.get(source)?.();
      this.#attached.delete(source);
    };
  }

  #attach(source: WakeSource): void {
    if (this.#attached.has(source)) return;
    this.#attached.set(
      source,
      source((key) => void this.enqueue(key)),
    );
  }

  #detachAll(): void {
    for (const detach of this.#attached.values()) detach();
    this.#attached.clear();
  }

  /** A reconcile found the world off its spec and repaired it: counted and logged. */
  driftRepaired(key: string, what?: string): void {
    this.#metrics?.driftRepairs.inc({ kind: this.kind });
    this.#log?.info({ key, what }, "drift repaired");
  }

  /** Starts the queue and the resync (which first enqueues every key). */
  start(): Promise<void> {
    return this.#serially(async () => {
      if (this.#queue) return;
      this.#settled.clear();
      const queue = new WorkQueue({
        handler: this.#fingerprint ? this.#remembering(this.#fingerprint) : this.#reconcile,
        concurrency: this.#concurrency,
        backoff: this.#backoff,
        onOutcome: (key, outcome, ms) => this.#observe(key, outcome, ms),
      });
      this.#queue = queue;
      this.#untrack = this.#metrics?.trackQueue(this.kind, () => ({
        depth: queue.depth,
        inFlight: queue.inFlight,
        delayed: queue.delayed,
      }));
      for (const source of this.#sources) this.#attach(source);
      this.#log?.info("controller started");
      this.emit("started");
      if (this.#keys) {
        await this.resyncNow();
        this.#scheduleResync();
      }
    });
  }

  /**
   * Stops the queue and the resync. By default the keys waiting are dropped and the reconciles in
   * flight see their signal aborted (leadership lost: stop acting); `drain` lets them all finish.
   * Resolves when no reconcile of this controller is running any more.
   */
  stop(options: { drain?: boolean } = {}): Promise<void> {
    return this.#serially(async () => {
      const queue = this.#queue;
      if (!queue) return;
      this.#queue = undefined;
      clearTimeout(this.#resyncTimer);
      this.#resyncTimer = undefined;
      await queue.shutdown({ drain: options.drain ?? false });
      this.#detachAll();
      this.#untrack?.();
      this.#untrack = undefined;
      this.#log?.info("controller stopped");
      this.emit("stopped");
    });
  }

  #serially(step: () => Promise<void>): Promise<void> {
    const next = this.#transitions.then(step);
    this.#transitions = next.catch(() => undefined);
    return next;
  }

  #scheduleResync(): void {
    clearTimeout(this.#resyncTimer);
    if (this.#resyncPeriodMs <= 0 || !this.#keys) return;
    const factor = 1 + this.#resyncJitter * (2 * Math.random() - 1);
    this.#resyncTimer = setTimeout(
      () => {
        void this.resyncNow({ skipSettled: true }).finally(() => {
          if (this.#queue) this.#scheduleResync();
        });
      },
      Math.max(1, Math.round(this.#resyncPeriodMs * factor)),
    );
    this.#resyncTimer.unref();
  }

  #isSettled(key: string): boolean {
    const was = this.#settled.get(key);
    return was !== undefined && was === this.#fingerprint?.(key);
  }

  /**
   * The reconcile, remembering what a successful run started from: taken before it reads, so a
   * run that wrote (and so changed its inputs) is run once more by the next resync, and only a
   * run that found the world as it left it is trusted to have nothing to do.
   */
  #remembering(fingerprint: Fingerprint): Reconciler {
    return async (key, ctx) => {
      const before = fingerprint(key);
      this.#settled.delete(key);
      const result = await this.#reconcile(key, ctx);
      if (before !== undefined && !result?.requeueAfter) this.#settled.set(key, before);
      return result;
    };
  }

  #observe(key: string, outcome: ReconcileOutcome, ms: number): void {
    if (outcome.result === "cancelled") return;
    this.#metrics?.observeReconcile(this.kind, outcome.result, ms / 1000);
    if (!this.#log) return;
    switch (outcome.result) {
      case "error":
        this.#log.warn({ key, err: outcome.error, retryInMs: outcome.retryAfter, ms }, "reconcile failed");
        break;
      case "terminal":
        this.#log.error({ key, err: outcome.error, ms }, "reconcile failed for good; waiting for a change");
        break;
      default:
        this.#log.debug({ key, result: outcome.result, ms }, "reconciled");
    }
  }
}
