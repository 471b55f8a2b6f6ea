/**
 * Where a folder's inventory is kept in ZooKeeper, under the store root (paths: StoreLayout):
 *
 *   .../gitops/<sync>/inventory           head: {"uid": "<the GitOpsSync's uid>"}; its version
 *                                          moves with every write of the inventory
 *   .../gitops/<sync>/inventory/<shard>   [[kind, name, file], …] sorted; shard = hash(key) mod 64
 *
 * It used to be a list in the GitOpsSync's status: at 10,000 objects that is over 500 KB, past
 * the store's object limit, and it was rewritten and read back on every sync (tens of ms each
 * way). In shards, a sync writes only the shards whose entries changed (none when a file is
 * edited), in one multi guarded by the head's version, and reads nothing while its copy is as
 * new as the head (one `exists`).
 *
 * The inventory belongs to one GitOpsSync object: a head with another uid is a deleted sync's
 * (`pvcctl delete sync` drops the inventory) and reads as empty; its shards are replaced at the
 * next write.
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import type { StoreLayout } from "../store/layout.ts";
import type { ZkClient, ZkOp } from "../zk/client.ts";
import { entryKey, type Inventory, type InventoryEntry } from "./inventory.ts";

const SHARDS = 64;
/** Shards per multi stay well below ZooKeeper's 1 MB request limit. */
const MULTI_BYTES = 400_000;

/** FNV-1a: a stable, cheap spread of keys over the shards. */
export function shardOf(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return ((h >>> 0) % SHARDS).toString(16).padStart(2, "0");
}

type Row = [kind: string, name: string, file: string];

/** Each shard's stored text for `inv`. */
function shardTexts(inv: ReadonlyMap<string, InventoryEntry>): Map<string, string> {
  const rows = new Map<string, Array<[string, Row]>>();
  for (const [key, e] of inv) {
    const shard = shardOf(key);
    const list = rows.get(shard) ?? [];
    list.push([key, [e.kind, e.name, e.file]]);
    rows.set(shard, list);
  }
  const texts = new Map<string, string>();
  for (const [shard, list] of rows) {
    list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    texts.set(shard, JSON.stringify(list.map(([, row]) => row)));
  }
  return texts;
}

function sameEntries(
  a: ReadonlyMap<string, InventoryEntry>,
  b: ReadonlyMap<string, InventoryEntry>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [key, e] of a) {
    const o = b.get(key);
    if (!o || o.kind !== e.kind || o.name !== e.name || o.file !== e.file) return false;
  }
  return true;
}

function parseShard(text: string, into: Inventory): void {
  const rows = JSON.parse(text) as unknown;
  if (!Array.isArray(rows)) return;
  for (const row of rows) {
    if (!Array.isArray(row) || typeof row[0] !== "string" || typeof row[1] !== "string") continue;
    const e: InventoryEntry = { kind: row[0], name: row[1], file: typeof row[2] === "string" ? row[2] : "" };
    into.set(entryKey(e), e);
  }
}

interface Copy {
  uid: string;
  /** The uid the head names (another one: a deleted sync's inventory, to be replaced). */
  owner: unknown;
  /** The head's version (-1: no head yet). */
  version: number;
  inventory: Inventory;
  /** The shards as stored (text), including those of another uid (to be replaced). */
  shards: Map<string, string>;
}

export class InventoryStore {
  readonly #zk: ZkClient;
  readonly #layout: StoreLayout;
  readonly #sync: string;
  #copy: Copy | undefined;

  constructor(zk: ZkClient, layout: StoreLayout, sync: string) {
    this.#zk = zk;
    this.#layout = layout;
    this.#sync = sync;
  }

  /**
   * The inventory of the GitOpsSync with `uid`, or undefined when none was ever written here (a
   * sync from before the shards: its status may still hold one). Do not change the map.
   */
  async read(uid: string): Promise<ReadonlyMap<string, InventoryEntry> | undefined> {
    const head = await this.#zk.exists(this.#layout.gitopsInventory(this.#sync));
    if (!head) {
      this.#copy = { uid, owner: undefined, version: -1, inventory: new Map(), shards: new Map() };
      return undefined;
    }
    const copy = this.#copy;
    if (copy && copy.version === head.version && copy.uid === uid) return copy.inventory;
    this.#copy = await this.#load(uid);
    return this.#copy.inventory;
  }

  async #load(uid: string): Promise<Copy> {
    const headPath = this.#layout.gitopsInventory(this.#sync);
    const { data, stat } = await this.#zk.get(headPath);
    const owner = (JSON.parse(data || "{}") as { uid?: unknown }).uid;
    const shards = new Map<string, string>();
    const inventory: Inventory = new Map();
    await Promise.all(
      (await this.#zk.children(headPath)).map(async (shard) => {
        const node = await this.#zk.tryGet(this.#layout.gitopsInventoryShard(this.#sync, shard));
        if (!node) return;
        shards.set(shard, node.data);
        if (owner === uid) parseShard(node.data, inventory);
      }),
    );
    // The shards are read after the head: a write in between shows as a newer head next time.
    return { uid, owner, version: stat.version, inventory, shards };
  }

  /**
   * Records `inv` as the inventory of `uid`: the shards that changed, then the head, checked
   * against the version last read (another writer: ZK_BAD_VERSION, and the next read reloads).
   */
  async write(uid: string, inv: ReadonlyMap<string, InventoryEntry>): Promise<void> {
    const copy = this.#copy;
    if (!copy || copy.uid !== uid) {
      throw new PvcError(ErrorCodes.INTERNAL, "gitops inventory: write without a read of the same sync");
    }
    const current = copy.version >= 0 && copy.owner === uid;
    if (current && sameEntries(copy.inventory, inv)) return;
    const texts = shardTexts(inv);
    const ops: ZkOp[] = [];
    for (const [shard, text] of texts) {
      if (copy.shards.get(shard) === text) continue;
      const path = this.#layout.gitopsInventoryShard(this.#sync, shard);
      ops.push(copy.shards.has(shard) ? { op: "set", path, data: text } : { op: "create", path, data: text });
    }
    for (const shard of copy.shards.keys()) {
      if (!texts.has(shard))
        ops.push({ op: "delete", path: this.#layout.gitopsInventoryShard(this.#sync, shard) });
    }
    if (ops.length === 0 && current) {
      this.#copy = { ...copy, inventory: new Map(inv) };
      return;
    }
    try {
      const version = await this.#commit(uid, copy.version, ops);
      this.#copy = { uid, owner: uid, version, inventory: new Map(inv), shards: texts };
    } catch (err) {
      this.#copy = undefined; // some shards may have been written: read them back next time
      throw err;
    }
  }

  /** Writes `ops` and the head in as few multis as fit, the head last; returns its new version. */
  async #commit(uid: string, version: number, ops: ZkOp[]): Promise<number> {
    const headPath = this.#layout.gitopsInventory(this.#sync);
    const head = JSON.stringify({ uid });
    if (version < 0) {
      await this.#zk.mkdirp(headPath.slice(0, headPath.lastIndexOf("/")));
      await this.#zk.create(headPath, head);
      version = 0;
    }
    let batch: ZkOp[] = [];
    let bytes = 0;
    for (const op of ops) {
      const size = op.op === "delete" || op.op === "check" ? 100 : (op.data?.length ?? 0) + 100;
      if (batch.length > 0 && (bytes + size > MULTI_BYTES || batch.length >= 500)) {
        await this.#zk.multi([{ op: "check", path: headPath, version }, ...batch]);
        batch = [];
        bytes = 0;
      }
      batch.push(op);
      bytes += size;
    }
    const results = await this.#zk.multi([...batch, { op: "set", path: headPath, data: head, version }]);
    return (results[results.length - 1].stat as { version: number }).version;
  }

  /**
   * One entry of the inventory of the GitOpsSync with `uid`, read from ZooKeeper (the write guard
   * of any replica asks this per object written: the head and one shard).
   */
  static async entry(
    zk: ZkClient,
    layout: StoreLayout,
    sync: string,
    uid: string,
    key: string,
  ): Promise<InventoryEntry | undefined | null> {
    const head = await zk.tryGet(layout.gitopsInventory(sync));
    if (!head) return null;
    if ((JSON.parse(head.data || "{}") as { uid?: unknown }).uid !== uid) return undefined;
    const shard = await zk.tryGet(layout.gitopsInventoryShard(sync, shardOf(key)));
    if (!shard) return undefined;
    const inv: Inventory = new Map();
    parseShard(shard.data, inv);
    return inv.get(key);
  }
}
