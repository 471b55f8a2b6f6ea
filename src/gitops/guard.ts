/**
 * The write guard: objects a GitOps folder owns are protected from other writers.
 *
 * `guardStore(store)` returns the same store with its user-facing writes (update, patch, apply,
 * delete; a create cannot touch an existing object) checked first. The HTTP API and the /api/v1
 * facade are given this one, while controllers (status, finalizers) and the folder's own sync keep
 * the plain store. A write to an
 * object that a folder's inventory lists is refused with FORBIDDEN naming the folder and the file
 * that declares it — unless that folder is configured with `protection: revert`, in which case it
 * is let through and undone by the folder's next sync. GitOpsSync objects themselves are written
 * by the watcher only.
 *
 * Why refusing is the default: a write that is accepted and then silently undone is a trap (the
 * caller sees success, the cluster runs an unreviewed change for a while, then loses it), and the
 * error tells the person where the change has to go instead. `revert` is for teams that want a
 * break-glass path: a hotfix holds until the next sync.
 *
 * The check reads the object (any replica can answer from ZooKeeper alone) and, for an annotated
 * one, its folder's GitOpsSync: an annotation without an inventory entry protects nothing.
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import type { Resource } from "../resources/types.ts";
import type { ResourceStore } from "../store/store.ts";
import type { WriteOptions } from "../store/store-support.ts";
import { ownerOf } from "./annotations.ts";
import { entryKey, inventoryOf } from "./inventory.ts";
import { InventoryStore } from "./inventory-store.ts";
import { GITOPS_KIND } from "./sync.ts";

export interface Protected {
  sync: string;
  dir: string;
  file: string;
}

/** The folder that protects this object from other writers now, or undefined. */
export async function protectedBy(
  store: ResourceStore,
  kind: string,
  name: string,
): Promise<Protected | undefined> {
  const current = await store.tryGet(kind, name);
  if (!current) return undefined;
  const owner = ownerOf(current);
  if (!owner) return undefined;
  const sync = await store.tryGet(GITOPS_KIND, owner.sync);
  if (!sync) return undefined;
  const key = entryKey({ kind: current.kind, name });
  const stored = await InventoryStore.entry(
    store.zk,
    store.layout,
    owner.sync,
    String(sync.metadata.uid),
    key,
  );
  // null: no inventory in shards yet; a sync from before them kept it in its status.
  const entry = stored === null ? inventoryOf(sync).get(key) : stored;
  if (!entry) return undefined;
  if ((sync.spec as { protection?: string }).protection === "revert") return undefined;
  return { sync: owner.sync, dir: String((sync.spec as { dir?: string }).dir ?? ""), file: entry.file };
}

export function protectedError(kind: string, name: string, p: Protected): PvcError {
  return new PvcError(
    ErrorCodes.FORBIDDEN,
    `${kind} ${JSON.stringify(name)} is managed by GitOps: it is declared in ${p.file} of the folder ${p.dir} (sync ${JSON.stringify(p.sync)}); change that file instead (or remove the object from the folder to manage it by hand)`,
    { details: { kind, name, gitops: { sync: p.sync, dir: p.dir, file: p.file } } },
  );
}

/**
 * Throws FORBIDDEN if another writer may not change this object now. A GitOpsSync may only be
 * deleted (which releases the folder's objects: they stay, unprotected, and a running watcher
 * starts a new inventory), never changed.
 */
export async function assertWritable(
  store: ResourceStore,
  kind: string,
  name: string,
  verb: "update" | "delete" = "update",
): Promise<void> {
  const info = store.kindInfo(kind);
  if (info.kind === GITOPS_KIND) {
    if (verb === "delete") return;
    throw new PvcError(
      ErrorCodes.FORBIDDEN,
      `${GITOPS_KIND} objects are written by the GitOps watcher only; change the folder or its .pvc-gitops.yaml (deleting one releases the folder's objects)`,
      { details: { kind: info.kind, name } },
    );
  }
  const p = await protectedBy(store, info.kind, name);
  if (p) throw protectedError(info.kind, name, p);
}

function isGitOpsKind(store: ResourceStore, kind: string): boolean {
  try {
    return store.kindInfo(kind).kind === GITOPS_KIND;
  } catch {
    return false;
  }
}

function docKindName(doc: unknown): { kind: string; name: string } | undefined {
  const d = doc as Partial<Resource> | null;
  if (typeof d?.kind !== "string" || typeof d.metadata?.name !== "string") return undefined;
  return { kind: d.kind, name: d.metadata.name };
}

/**
 * The store with user writes guarded (see the file comment). Reads, status writes, finalizer
 * edits and everything else pass through unchanged, to the same instance.
 */
export function guardStore(store: ResourceStore): ResourceStore {
  const check = async (
    kind: string | undefined,
    name: string | undefined,
    verb: "update" | "delete" = "update",
  ) => {
    if (kind === undefined || name === undefined) return; // the store itself reports the bad document
    let known = true;
    try {
      store.kindInfo(kind);
    } catch {
      known = false;
    }
    if (known) await assertWritable(store, kind, name, verb);
  };
  const guarded: Partial<Record<keyof ResourceStore, unknown>> = {
    update: async (doc: unknown, options?: unknown) => {
      const k = docKindName(doc);
      await check(k?.kind, k?.name);
      return store.update(doc, options as never);
    },
    // A create cannot touch a protected object: the check runs only if the object exists (the
    // store's apply tries the create first: a new object costs no read of it).
    // GitOpsSync objects are the watcher's alone, new or not.
    apply: async (doc: unknown, options?: WriteOptions) => {
      const k = docKindName(doc);
      if (k && isGitOpsKind(store, k.kind)) await check(k.kind, k.name);
      return store.apply(doc, { ...options, beforeUpdate: () => check(k?.kind, k?.name) });
    },
    patch: async (kind: string, name: string, patch: unknown, options?: unknown) => {
      await check(kind, name);
      return store.patch(kind, name, patch, options as never);
    },
    delete: async (kind: string, name: string, options?: unknown) => {
      await check(kind, name, "delete");
      return store.delete(kind, name, options as never);
    },
  };
  return new Proxy(store, {
    get(target, prop) {
      if (typeof prop === "string" && Object.hasOwn(guarded, prop))
        return guarded[prop as keyof ResourceStore];
      const value = Reflect.get(target, prop);
      // Methods run on the real instance: its private fields are not reachable through a proxy.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
