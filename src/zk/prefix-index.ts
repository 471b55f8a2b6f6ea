/**
 * Subtree roots → values, answering "which roots is this path at or below?" for every watch
 * event and every multi op. Events come in bursts under the same parents (a network's twenty
 * keys), so answers are memoised per parent folder; any change of the roots forgets them.
 */
export class PrefixIndex<V> {
  readonly #roots = new Map<string, V>();
  /** parent folder → the roots at or above it. */
  #memo = new Map<string, Array<[string, V]>>();

  get size(): number {
    return this.#roots.size;
  }

  get(root: string): V | undefined {
    return this.#roots.get(root);
  }

  set(root: string, value: V): void {
    this.#roots.set(root, value);
    this.#memo.clear();
  }

  delete(root: string): void {
    if (this.#roots.delete(root)) this.#memo.clear();
  }

  entries(): IterableIterator<[string, V]> {
    return this.#roots.entries();
  }

  /** The [root, value] pairs whose root is `path` or one of its ancestors. */
  matching(path: string): Array<[string, V]> {
    if (this.#roots.size === 0) return [];
    const cut = path.lastIndexOf("/");
    const parent = cut <= 0 ? "/" : path.slice(0, cut);
    let above = this.#memo.get(parent);
    if (!above) {
      above = [];
      for (const entry of this.#roots) if (isAtOrUnder(parent, entry[0])) above.push(entry);
      // A cache, not a record: bounded by starting over.
      if (this.#memo.size >= 10_000) this.#memo = new Map();
      this.#memo.set(parent, above);
    }
    const own = this.#roots.get(path);
    return own === undefined || path === parent ? above : [...above, [path, own]];
  }
}

/** Whether `path` is `root` or below it. */
export function isAtOrUnder(path: string, root: string): boolean {
  if (root === "/") return true;
  return path.startsWith(root) && (path.length === root.length || path.charCodeAt(root.length) === 47); // "/"
}
