/**
 * Garbage collection of dependents through ownerReferences (Kubernetes' background propagation):
 * when every owner an object names is gone, the object is deleted (through the store, so its own
 * finalizers still run). Owners are matched by uid, so a new object that reuses a deleted owner's
 * name does not adopt its dependents.
 *
 * It reads the informers' caches, and before deleting it checks the owners in the store itself:
 * an informer may not have seen an owner created a moment ago.
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import type { OwnerReference, Resource } from "../resources/types.ts";
import type { Informer } from "./informer.ts";
import type { ResourceStore } from "./store.ts";

type Key = string; // `${kind}/${name}`

export class GarbageCollector {
  readonly #store: ResourceStore;
  readonly #informers: Map<string, Informer>;
  /** owner uid → dependents naming it. */
  readonly #byOwner = new Map<string, Set<Key>>();
  readonly #onError: (err: unknown) => void;
  #unsubscribe: Array<() => void> = [];

  constructor(
    store: ResourceStore,
    informers: Map<string, Informer>,
    options: { onError?: (err: unknown) => void } = {},
  ) {
    this.#store = store;
    this.#informers = informers;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Indexes what the (synced) informers hold, collects orphans, and follows changes. */
  async start(): Promise<void> {
    for (const informer of this.#informers.values()) {
      for (const obj of informer.list()) this.#index(obj, true);
      const onAdd = (obj: Resource) => {
        this.#index(obj, true);
        void this.#collectIfOrphan(obj);
      };
      const onUpdate = (obj: Resource, old: Resource) => {
        this.#index(old, false);
        this.#index(obj, true);
      };
      const onDelete = (obj: Resource) => {
        this.#index(obj, false);
        void this.#ownerGone(obj);
      };
      informer.on("add", onAdd);
      informer.on("update", onUpdate);
      informer.on("delete", onDelete);
      this.#unsubscribe.push(() => {
        informer.off("add", onAdd);
        informer.off("update", onUpdate);
        informer.off("delete", onDelete);
      });
    }
    const all = [...this.#informers.values()].flatMap((i) => i.list());
    await Promise.all(all.map((obj) => this.#collectIfOrphan(obj)));
  }

  stop(): void {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
  }

  #index(obj: Resource, add: boolean): void {
    const key = `${obj.kind}/${obj.metadata.name}`;
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const set = this.#byOwner.get(ref.uid);
      if (add) {
        if (set) set.add(key);
        else this.#byOwner.set(ref.uid, new Set([key]));
      } else if (set) {
        set.delete(key);
        if (set.size === 0) this.#byOwner.delete(ref.uid);
      }
    }
  }

  async #ownerGone(owner: Resource): Promise<void> {
    const uid = owner.metadata.uid;
    if (!uid) return;
    const dependents = [...(this.#byOwner.get(uid) ?? [])];
    await Promise.all(
      dependents.map((key) => {
        const [kind, ...rest] = key.split("/");
        const obj = this.#informers.get(kind)?.get(rest.join("/"));
        return obj ? this.#collectIfOrphan(obj) : undefined;
      }),
    );
  }

  async #ownerExists(ref: OwnerReference): Promise<boolean> {
    const cached = this.#informers.get(ref.kind)?.get(ref.name);
    if (cached && cached.metadata.uid === ref.uid) return true;
    try {
      const fresh = await this.#store.tryGet(ref.kind, ref.name);
      return fresh !== null && fresh.metadata.uid === ref.uid;
    } catch (err) {
      if (err instanceof PvcError && err.code === ErrorCodes.NOT_FOUND) return false; // unknown kind
      throw err;
    }
  }

  async #collectIfOrphan(obj: Resource): Promise<void> {
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0 || obj.metadata.deletionTimestamp) return;
    try {
      const alive = await Promise.all(refs.map((r) => this.#ownerExists(r)));
      if (alive.some(Boolean)) return;
      await this.#store.delete(obj.kind, obj.metadata.name);
    } catch (err) {
      if (err instanceof PvcError && err.code === ErrorCodes.NOT_FOUND) return;
      this.#onError(err);
    }
  }
}
