/**
 * Indexer: the names of objects by a key derived from each (client-go's Indexer), so that a
 * controller answers "which volumes copy this one?", "which networks want this vni?" in O(1)
 * instead of walking (and sorting) its whole cache on every event: at thousands of objects a
 * bulk apply made those walks quadratic. Several objects may share a key; one object may have
 * several keys, or none.
 */
import type { Resource } from "../resources/types.ts";
import type { AnyResource, Informer } from "./informer.ts";

export class Indexer<T, K, N = string> {
  readonly #names = new Map<K, Set<N>>();
  readonly #keys = new Map<N, readonly K[]>();
  readonly #keysOf: (object: T) => readonly K[];

  constructor(keysOf: (object: T) => readonly K[]) {
    this.#keysOf = keysOf;
  }

  /** Indexes `name` as `object` now is (undefined: it is gone). */
  set(name: N, object: T | undefined): void {
    for (const key of this.#keys.get(name) ?? []) {
      const names = this.#names.get(key);
      names?.delete(name);
      if (names && names.size === 0) this.#names.delete(key);
    }
    this.#keys.delete(name);
    if (object === undefined) return;
    const keys = this.#keysOf(object);
    if (keys.length === 0) return;
    this.#keys.set(name, keys);
    for (const key of keys) {
      const names = this.#names.get(key);
      if (names) names.add(name);
      else this.#names.set(key, new Set([name]));
    }
  }

  /** The names indexed under `key`, in the order they were first indexed there. */
  get(key: K): N[] {
    return [...(this.#names.get(key) ?? [])];
  }

  /** The keys `name` is indexed under. */
  keysOf(name: N): readonly K[] {
    return this.#keys.get(name) ?? [];
  }
}

/**
 * An Indexer of an informer's objects by name, kept current from its events. Create it before
 * the controller watches the informer: listeners run in the order they were added, so the index
 * is current when the controller hears of a change.
 */
export function indexInformer<K, T extends AnyResource = Resource>(
  informer: Informer<T>,
  keysOf: (object: T) => readonly K[],
): Indexer<T, K> {
  const index = new Indexer<T, K>(keysOf);
  for (const r of informer.list()) index.set(r.metadata.name, r);
  informer.on("add", (r) => index.set(r.metadata.name, r));
  informer.on("update", (r) => index.set(r.metadata.name, r));
  informer.on("delete", (r) => index.set(r.metadata.name, undefined));
  return index;
}
