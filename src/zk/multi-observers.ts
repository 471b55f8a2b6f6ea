/**
 * The MultiObservers of one client (see MultiObserver in types.ts), found by the root they watch.
 * They run inside the socket handler: one that throws is reported, never allowed to break the
 * connection.
 */
import { PrefixIndex } from "./prefix-index.ts";
import type { MultiObserver, ZkOp, ZkOpResult } from "./types.ts";

export class MultiObservers {
  readonly #byRoot = new PrefixIndex<Set<MultiObserver>>();
  readonly #onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  /** Registers an observer for the ops at or below `root`; returns the function that removes it. */
  add(root: string, observer: MultiObserver): () => void {
    let set = this.#byRoot.get(root);
    if (!set) {
      set = new Set();
      this.#byRoot.set(root, set);
    }
    set.add(observer);
    return () => {
      set.delete(observer);
      if (set.size === 0 && this.#byRoot.get(root) === set) this.#byRoot.delete(root);
    };
  }

  /**
   * Tells the observers a multi of `ops` is being sent; returns the function to call exactly when
   * its reply is read (with the results), or with undefined when it failed or its outcome is
   * unknown. Later calls of that function do nothing.
   */
  sending(ops: readonly ZkOp[]): (results: ZkOpResult[] | undefined) => void {
    const observed = this.#byRoot.size > 0 ? this.#of(ops) : [];
    let settled = observed.length === 0;
    for (const [o, mine] of observed) this.#notify(() => o.sending(mine));
    return (results) => {
      if (settled) return;
      settled = true;
      const zxid = results ? (results.find((r) => r.stat)?.stat?.mzxid ?? "") : undefined;
      for (const [o, mine] of observed) this.#notify(() => o.settled(mine, zxid));
    };
  }

  /** Each observer with the ops of `ops` at or under its root. */
  #of(ops: readonly ZkOp[]): Array<[MultiObserver, ZkOp[]]> {
    const mine = new Map<MultiObserver, ZkOp[]>();
    for (const op of ops) {
      for (const [, observers] of this.#byRoot.matching(op.path)) {
        for (const o of observers) {
          const list = mine.get(o);
          if (list) list.push(op);
          else mine.set(o, [op]);
        }
      }
    }
    return [...mine];
  }

  #notify(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#onError(err);
    }
  }
}
