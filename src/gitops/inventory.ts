/**
 * The inventory of a GitOps folder: which objects it owns, and which file declares each. It is
 * kept in ZooKeeper under the store root, in shards (inventory-store.ts reads and writes them).
 * Prune deletes only objects listed here: never anything found by a label or an annotation alone.
 * Syncs before the shards kept it as a list in the GitOpsSync's status (`inventoryOf` reads that
 * once, to carry it over).
 */
import type { Resource, ResourceStatus } from "../resources/types.ts";

export interface InventoryEntry {
  kind: string;
  name: string;
  file: string;
}

/** key `Kind/name` → entry. */
export type Inventory = Map<string, InventoryEntry>;

export function entryKey(e: { kind: string; name: string }): string {
  return `${e.kind}/${e.name}`;
}

/** The inventory recorded in a GitOpsSync's status by syncs before the shards (empty for none). */
export function inventoryOf(sync: Pick<Resource, "status"> | null | undefined): Inventory {
  const list = (sync?.status as { inventory?: unknown } | undefined)?.inventory;
  const out: Inventory = new Map();
  if (!Array.isArray(list)) return out;
  for (const e of list) {
    if (typeof e?.kind === "string" && typeof e?.name === "string") {
      out.set(entryKey(e), { kind: e.kind, name: e.name, file: typeof e.file === "string" ? e.file : "" });
    }
  }
  return out;
}

/** The inventory as stored: sorted, so that the same set always serializes the same way. */
export function inventoryList(inv: Inventory): InventoryEntry[] {
  return [...inv.values()]
    .map((e) => ({ kind: e.kind, name: e.name, file: e.file }))
    .sort((a, b) => (entryKey(a) < entryKey(b) ? -1 : entryKey(a) > entryKey(b) ? 1 : 0));
}

/** A status with `inventory` replaced. */
export function withInventory(status: ResourceStatus, inv: Inventory): ResourceStatus {
  return { ...status, inventory: inventoryList(inv) };
}
