/**
 * The GitOps folder at scale (issue 16), on the real ZooKeeper: a watched folder of 300 files is
 * synced incrementally (a save re-reads that file; the inventory lives in shards, not in the
 * status) and stays correct: edits, additions and deletions converge; a file cut half-way is held
 * (its object neither changed nor pruned); the prune guard still refuses a mass deletion; an
 * inventory kept in the status by an older version is carried over; and an inventory of 10,000
 * objects is stored (as a status list it is past the store's object limit) and rewritten shard by
 * shard.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { FILE_ANNOTATION, SYNC_ANNOTATION } from "../../src/gitops/annotations.ts";
import { readFolder } from "../../src/gitops/folder.ts";
import { type GitOps, startGitOps } from "../../src/gitops/index.ts";
import type { Inventory } from "../../src/gitops/inventory.ts";
import { InventoryStore, shardOf } from "../../src/gitops/inventory-store.ts";
import { DEFAULT_SETTINGS } from "../../src/gitops/settings.ts";
import { runSync } from "../../src/gitops/sync.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";

const API = "apiVersion: pvc.parallelvirtualcluster.org/v1";
const FILES = 300;
const ud = (name: string, data = "x") =>
  `${API}\nkind: UserdataTemplate\nmetadata:\n  name: ${name}\nspec:\n  data: "${data}"\n`;

describe("GitOps folder, incremental", { timeout: 120_000 }, () => {
  let h: Harness;
  let base: string;
  let dir: string;
  let gitops: GitOps;

  const sync = () => h.store.tryGet("GitOpsSync", "many");
  const inventory = async () => {
    const s = await sync();
    return (
      (await new InventoryStore(h.zk, h.store.layout, "many").read(String(s?.metadata.uid))) ?? new Map()
    );
  };
  /** The GitOpsSync once it has synced the folder as it is now and `cond` holds. */
  async function synced(what: string, cond: (s: Resource) => boolean, ms = 30_000): Promise<Resource> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await sync();
      if (s && s.status?.revision === (await readFolder(dir)).revision && cond(s)) return s;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(s?.status)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  before(async () => {
    h = await startHarness("gitops-incr", []);
    base = await mkdtemp(join(tmpdir(), "pvc-gitops-incr-"));
    dir = join(base, "many");
    await mkdir(join(dir, "sub"), { recursive: true });
    for (let i = 0; i < FILES; i++) {
      await writeFile(join(dir, i % 10 === 0 ? "sub" : "", `ud-${i}.yaml`), ud(`ud-${i}`));
    }
    gitops = await startGitOps({
      dir,
      store: h.store,
      informer: h.informer,
      debounceMs: 20,
      resyncPeriodMs: 0,
    });
  });
  after(async () => {
    await gitops?.stop();
    await h?.close();
    await rm(base, { recursive: true, force: true });
  });

  test("the first sync creates every object; the inventory is in shards, not in the status", async () => {
    const s = await synced("first sync", (x) => x.status?.objects === FILES);
    assert.equal(s.status?.inventory, undefined);
    const inv = await inventory();
    assert.equal(inv.size, FILES);
    assert.deepEqual(inv.get("UserdataTemplate/ud-10"), {
      kind: "UserdataTemplate",
      name: "ud-10",
      file: "sub/ud-10.yaml",
    });
    assert.equal(
      (await h.store.get("UserdataTemplate", "ud-299")).metadata.annotations?.[SYNC_ANNOTATION],
      "many",
    );
  });

  test("edit, add and delete converge (also in a subfolder)", async () => {
    await writeFile(join(dir, "ud-5.yaml"), ud("ud-5", "edited"));
    await writeFile(join(dir, "sub", "ud-20.yaml"), ud("ud-20", "edited too"));
    await writeFile(join(dir, "sub", "added.yaml"), ud("added"));
    await unlink(join(dir, "ud-7.yaml"));
    await synced("edits", (x) => x.status?.objects === FILES);
    assert.equal((await h.store.get("UserdataTemplate", "ud-5")).spec.data, "edited");
    assert.equal((await h.store.get("UserdataTemplate", "ud-20")).spec.data, "edited too");
    const added = await h.store.get("UserdataTemplate", "added");
    assert.equal(added.metadata.annotations?.[FILE_ANNOTATION], "sub/added.yaml");
    assert.equal(await h.store.tryGet("UserdataTemplate", "ud-7"), null);
    const inv = await inventory();
    assert.ok(inv.has("UserdataTemplate/added") && !inv.has("UserdataTemplate/ud-7"));
  });

  test("a file cut half-way is held: its object is neither changed nor pruned", async () => {
    await writeFile(join(dir, "ud-8.yaml"), `${API}\nkind: UserdataTemplate\nmetadata:\n  name: "ud-8`);
    const s = await synced("held", (x) => (x.status?.errors as unknown[] | undefined)?.length === 1);
    assert.equal(s.status?.conditions?.find((c) => c.type === "Ready")?.reason, "InvalidFiles");
    assert.match(JSON.stringify(s.status?.errors), /ud-8\.yaml/);
    assert.equal((await h.store.get("UserdataTemplate", "ud-8")).spec.data, "x");
    assert.ok((await inventory()).has("UserdataTemplate/ud-8"));
    await writeFile(join(dir, "ud-8.yaml"), ud("ud-8"));
    await synced("fixed", (x) => x.status?.errors === undefined);
  });

  test("the prune guard still refuses to prune most of the folder", async () => {
    for (let i = 100; i < 300; i++) if (i % 10 !== 0) await unlink(join(dir, `ud-${i}.yaml`));
    const s = await synced("guard", (x) => typeof x.status?.pruneBlocked === "string");
    assert.match(String(s.status?.pruneBlocked), /more than prune\.maxFraction 50%/);
    assert.ok(await h.store.tryGet("UserdataTemplate", "ud-150"));
    assert.equal((await inventory()).size, FILES);
    for (let i = 100; i < 300; i++)
      if (i % 10 !== 0) await writeFile(join(dir, `ud-${i}.yaml`), ud(`ud-${i}`));
    await synced("restored", (x) => x.status?.pruneBlocked === undefined && x.status?.objects === FILES);
  });
});

describe("the inventory's storage", { timeout: 120_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness("gitops-inv", []);
  });
  after(async () => {
    await h?.close();
  });

  test("an inventory kept in the status by an older version is carried over", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "pvc-gitops-old-")), "old");
    await mkdir(dir);
    for (const n of ["a", "b", "c"]) await writeFile(join(dir, `${n}.yaml`), ud(n));
    // As an older version left it: three owned objects, listed in the status; c.yaml is gone.
    await h.store.apply({
      apiVersion: "pvc.parallelvirtualcluster.org/v1",
      kind: "GitOpsSync",
      metadata: { name: "old" },
      spec: { dir },
    });
    const listed = ["a", "b", "d"].map((n) => ({ kind: "UserdataTemplate", name: n, file: `${n}.yaml` }));
    await h.store.updateStatus("GitOpsSync", "old", { inventory: listed });
    await h.store.create({
      apiVersion: "pvc.parallelvirtualcluster.org/v1",
      kind: "UserdataTemplate",
      metadata: { name: "d", annotations: { [SYNC_ANNOTATION]: "old", [FILE_ANNOTATION]: "d.yaml" } },
      spec: { data: "" },
    });
    await unlink(join(dir, "c.yaml"));
    const result = await runSync({ store: h.store, name: "old", dir, base: DEFAULT_SETTINGS });
    assert.deepEqual(result.pruned, ["UserdataTemplate/d"], "d was in the old inventory");
    const s = await h.store.get("GitOpsSync", "old");
    assert.equal(s.status?.inventory, undefined, "the status list is gone");
    const inv = await new InventoryStore(h.zk, h.store.layout, "old").read(String(s.metadata.uid));
    assert.deepEqual([...(inv ?? new Map()).keys()].sort(), ["UserdataTemplate/a", "UserdataTemplate/b"]);
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  test("10,000 entries are stored, read back, and a change rewrites one shard", async () => {
    const uid = "uid-10k";
    const inv: Inventory = new Map();
    for (let i = 0; i < 10_000; i++) {
      const e = { kind: "Network", name: `net-${i}`, file: `networks/net-${i}.yaml` };
      inv.set(`Network/net-${i}`, e);
    }
    // As a status list this is over the store's 512 KiB object limit.
    assert.ok(JSON.stringify([...inv.values()]).length > 512 * 1024);
    const writer = new InventoryStore(h.zk, h.store.layout, "big");
    assert.equal(await writer.read(uid), undefined);
    await writer.write(uid, inv);
    const fresh = await new InventoryStore(h.zk, h.store.layout, "big").read(uid);
    assert.deepEqual(fresh, inv);

    const shardVersions = async () =>
      new Map(
        await Promise.all(
          (await h.zk.children(h.store.layout.gitopsInventory("big"))).map(
            async (s) =>
              [s, (await h.zk.exists(h.store.layout.gitopsInventoryShard("big", s)))?.version] as const,
          ),
        ),
      );
    const before = await shardVersions();
    const changed = new Map(inv);
    changed.set("Network/net-5", { kind: "Network", name: "net-5", file: "moved.yaml" });
    await writer.read(uid);
    await writer.write(uid, changed);
    const after = await shardVersions();
    const rewritten = [...after].filter(([s, v]) => before.get(s) !== v).map(([s]) => s);
    assert.deepEqual(rewritten, [shardOf("Network/net-5")]);
    // Another sync object of the same name (deleted and made again) starts empty.
    assert.equal((await new InventoryStore(h.zk, h.store.layout, "big").read("another-uid"))?.size, 0);
  });
});
