/**
 * Where the store keeps resources in ZooKeeper: the one place that knows these paths.
 *
 *   <root>/objects/<plural>/<name>          JSON {apiVersion, kind, metadata, spec} (no status)
 *   <root>/objects/<plural>/<name>/status   JSON status, written only through updateStatus
 *   <root>/events/<plural>/<name>/e-<seq>   JSON event records, bounded per object
 *   <root>/gitops/<sync>/inventory          a GitOps folder's inventory: a head, and its entries in
 *   <root>/gitops/<sync>/inventory/<shard>  shards (src/gitops/inventory-store.ts)
 *
 * Status is its own znode so that a user's spec write and a controller's status write never
 * overwrite each other, and each carries its own version.
 */
export const DEFAULT_STORE_ROOT = "/pvc-reconciler";

export class StoreLayout {
  constructor(readonly root: string = DEFAULT_STORE_ROOT) {
    if (!root.startsWith("/") || (root.length > 1 && root.endsWith("/"))) {
      throw new Error(
        `store root must be an absolute ZooKeeper path without a trailing slash, got ${JSON.stringify(root)}`,
      );
    }
  }
  objectsDir(): string {
    return `${this.root}/objects`;
  }
  kindDir(plural: string): string {
    return `${this.root}/objects/${plural}`;
  }
  object(plural: string, name: string): string {
    return `${this.root}/objects/${plural}/${name}`;
  }
  status(plural: string, name: string): string {
    return `${this.root}/objects/${plural}/${name}/status`;
  }
  eventsKindDir(plural: string): string {
    return `${this.root}/events/${plural}`;
  }
  eventsDir(plural: string, name: string): string {
    return `${this.root}/events/${plural}/${name}`;
  }
  eventPrefix(plural: string, name: string): string {
    return `${this.root}/events/${plural}/${name}/e-`;
  }
  /** The root of every event record (a recursive watch here hears each one written). */
  eventsRoot(): string {
    return `${this.root}/events`;
  }
  /** The object an event record's path belongs to, or undefined for any other path. */
  eventRecordOf(path: string): { plural: string; name: string } | undefined {
    const prefix = `${this.root}/events/`;
    if (!path.startsWith(prefix)) return undefined;
    const parts = path.slice(prefix.length).split("/");
    if (parts.length !== 3 || !parts[2].startsWith("e-")) return undefined;
    return { plural: parts[0], name: parts[1] };
  }
  /** The head of a GitOps folder's inventory; the shards are its children. */
  gitopsInventory(sync: string): string {
    return `${this.root}/gitops/${sync}/inventory`;
  }
  gitopsInventoryShard(sync: string, shard: string): string {
    return `${this.gitopsInventory(sync)}/${shard}`;
  }
  /** Parent of leader-election and other coordination nodes. */
  coordination(name: string): string {
    return `${this.root}/coordination/${name}`;
  }
}
