/**
 * The GitOps folder on the real ZooKeeper, with the Network controller running: files added,
 * edited and removed converge the store; a bad file holds only itself; the mass-delete guard
 * holds; guarded kinds are released, not deleted; folder-owned objects are protected from other
 * writers (or, in revert mode, their changes are undone); a converged folder costs no writes.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { networkController } from "../../controllers/network/controller.ts";
import { isPvcError } from "../../src/errors.ts";
import { FILE_ANNOTATION, SYNC_ANNOTATION } from "../../src/gitops/annotations.ts";
import { readFolder } from "../../src/gitops/folder.ts";
import { type GitOps, guardStore, startGitOps } from "../../src/gitops/index.ts";
import { InventoryStore } from "../../src/gitops/inventory-store.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";

const API = "apiVersion: pvc.parallelvirtualcluster.org/v1";

function net(name: string, vni: number, domain = `${name}.example.org`): string {
  return `${API}\nkind: Network\nmetadata:\n  name: ${name}\nspec:\n  vni: ${vni}\n  type: managed\n  domain: ${domain}\n  ipv4:\n    network: 10.${vni % 250}.0.0/24\n    gateway: 10.${vni % 250}.0.1\n`;
}

function userdata(name: string, data = "#cloud-config"): string {
  return `${API}\nkind: UserdataTemplate\nmetadata:\n  name: ${name}\nspec:\n  data: "${data}"\n`;
}

function volume(pool: string, name: string, size = "1G"): string {
  return `${API}\nkind: CephVolume\nmetadata:\n  name: ${pool}.${name}\nspec:\n  pool: ${pool}\n  size: ${size}\n`;
}

const isReady = (r: Resource<unknown> | null) =>
  r?.status?.observedGeneration === r?.metadata.generation &&
  (r?.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

describe("GitOps folder", () => {
  let h: Harness;
  let dir: string;
  let gitops: GitOps;

  async function until<T>(
    what: string,
    probe: () => Promise<T | undefined | null | false>,
    ms = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > deadline)
        assert.fail(`timed out waiting for ${what}; sync status: ${JSON.stringify((await sync())?.status)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const sync = () => h.store.tryGet("GitOpsSync", "folder");
  /**
   * The GitOpsSync once it has synced the folder's current revision (no test here sets `ignore`):
   * a sync that read a file half-written by the test (writeFile truncates first) is not taken.
   */
  const synced = async (what: string, cond: (s: Resource) => boolean) =>
    until(what, async () => {
      const s = await sync();
      const current = (await readFolder(dir)).revision;
      return s && s.status?.revision === current && cond(s) ? s : undefined;
    });

  before(async () => {
    h = await startHarness("gitops", [networkController]);
    dir = await mkdtemp(join(tmpdir(), "pvc-gitops-"));
    // A folder named "folder" gives the GitOpsSync its name.
    dir = join(dir, "folder");
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    await writeFile(join(dir, "lan.yaml"), net("lan", 3100));
    await writeFile(join(dir, "dmz.yaml"), net("dmz", 3101));
    await writeFile(join(dir, "userdata.yaml"), `${userdata("ud-a")}---\n${userdata("ud-b")}`);
    gitops = await startGitOps({
      dir,
      store: h.store,
      informer: h.informer,
      events: h.events,
      debounceMs: 20,
      resyncPeriodMs: 0,
    });
  });
  after(async () => {
    await gitops?.stop();
    await h?.close();
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  test("the folder's objects are created, owned, listed in the inventory, and become Ready", async () => {
    const s = await synced("first sync", (x) => isReady(x) && (x.status?.objects as number) === 4);
    const inventory = await new InventoryStore(h.zk, h.store.layout, "folder").read(String(s.metadata.uid));
    assert.deepEqual(
      [...(inventory ?? new Map()).values()].map((e) => `${e.kind}/${e.name}@${e.file}`).sort(),
      [
        "Network/dmz@dmz.yaml",
        "Network/lan@lan.yaml",
        "UserdataTemplate/ud-a@userdata.yaml",
        "UserdataTemplate/ud-b@userdata.yaml",
      ],
    );
    const lan = await h.waitFor("Network", "lan", isReady);
    assert.equal(lan?.metadata.annotations?.[SYNC_ANNOTATION], "folder");
    assert.equal(lan?.metadata.annotations?.[FILE_ANNOTATION], "lan.yaml");
    assert.equal((await h.zk.get(h.pvc.networkKey(3100, "domain"))).data, "lan.example.org");
  });

  test("a converged folder syncs again with zero writes", async () => {
    await gitops.syncNow(); // settles the counts of the last sync (applied: 0)
    const before = await Promise.all(
      ["lan", "dmz"].map(async (n) => (await h.store.get("Network", n)).metadata.resourceVersion),
    );
    const syncRv = (await sync())?.metadata.resourceVersion;
    const result = await gitops.syncNow();
    assert.equal(result?.created.length, 0);
    assert.equal(result?.updated.length, 0);
    assert.equal(result?.statusWritten, false);
    const after = await Promise.all(
      ["lan", "dmz"].map(async (n) => (await h.store.get("Network", n)).metadata.resourceVersion),
    );
    assert.deepEqual(after, before);
    assert.equal((await sync())?.metadata.resourceVersion, syncRv);
  });

  test("editing a file updates its object, which converges again", async () => {
    await writeFile(join(dir, "lan.yaml"), net("lan", 3100, "lan.corp.example"));
    await until("the new domain in PVC's keys", async () => {
      const r = await h.store.tryGet("Network", "lan");
      return r?.spec.domain === "lan.corp.example" && isReady(r);
    });
    assert.equal((await h.zk.get(h.pvc.networkKey(3100, "domain"))).data, "lan.corp.example");
  });

  test("another writer is refused with the owning file named", async () => {
    const api = guardStore(h.store);
    await assert.rejects(
      api.patch("Network", "lan", { spec: { domain: "hand.edit" } }),
      (err: unknown) =>
        isPvcError(err, "FORBIDDEN") &&
        /managed by GitOps/.test(err.message) &&
        /lan\.yaml/.test(err.message),
    );
    await assert.rejects(api.delete("Network", "dmz"), (err: unknown) => isPvcError(err, "FORBIDDEN"));
    await assert.rejects(
      api.apply({
        apiVersion: "pvc.parallelvirtualcluster.org/v1",
        kind: "UserdataTemplate",
        metadata: { name: "ud-a" },
        spec: { data: "x" },
      }),
      (err: unknown) => isPvcError(err, "FORBIDDEN") && /userdata\.yaml/.test(err.message),
    );
    await assert.rejects(
      api.patch("GitOpsSync", "folder", { spec: { protection: "revert" } }),
      (err: unknown) => isPvcError(err, "FORBIDDEN"),
    );
    // Objects the folder does not own are writable as ever.
    await api.create({
      apiVersion: "pvc.parallelvirtualcluster.org/v1",
      kind: "UserdataTemplate",
      metadata: { name: "hand-made" },
      spec: { data: "" },
    });
    await api.delete("UserdataTemplate", "hand-made");
  });

  test("an invalid file holds only its own objects; status names file, line and field", async () => {
    // userdata.yaml breaks (its second document), dmz.yaml changes in the same sync.
    await writeFile(
      join(dir, "userdata.yaml"),
      `${userdata("ud-a", "changed")}---\n${API}\nkind: UserdataTemplate\nmetadata:\n  name: ud-b\nspec:\n  dta: oops\n`,
    );
    await writeFile(join(dir, "dmz.yaml"), net("dmz", 3101, "dmz.corp.example"));
    const s = await synced("the held file reported", (x) =>
      ((x.status?.errors as { file: string }[] | undefined) ?? []).some((e) => e.file === "userdata.yaml"),
    );
    const errors = s.status?.errors as { file: string; line: number; field: string; document: number }[];
    const missing = errors.find((e) => e.field === "/spec/data");
    const unknown = errors.find((e) => e.field === "/spec/dta");
    assert.ok(missing && unknown, JSON.stringify(errors));
    assert.equal(unknown.line, 13);
    assert.equal(unknown.document, 2);
    assert.equal(s.status?.conditions?.find((c) => c.type === "Ready")?.reason, "InvalidFiles");
    await until(
      "dmz updated",
      async () => (await h.store.get("Network", "dmz")).spec.domain === "dmz.corp.example",
    );
    // The valid document of the held file was not applied, and nothing of it was pruned.
    assert.equal((await h.store.get("UserdataTemplate", "ud-a")).spec.data, "#cloud-config");
    assert.ok(await h.store.tryGet("UserdataTemplate", "ud-b"));
    assert.equal(s.status?.objects, 4);
    // Fixed: applied.
    await writeFile(join(dir, "userdata.yaml"), `${userdata("ud-a", "changed")}---\n${userdata("ud-b")}`);
    await until(
      "ud-a applied",
      async () => (await h.store.get("UserdataTemplate", "ud-a")).spec.data === "changed",
    );
    await synced("ready again", isReady);
  });

  test("removing a file prunes its objects, from the inventory only", async () => {
    // A look-alike the folder never owned, carrying the folder's annotations: never pruned.
    await h.store.create({
      apiVersion: "pvc.parallelvirtualcluster.org/v1",
      kind: "UserdataTemplate",
      metadata: {
        name: "stranger",
        annotations: { [SYNC_ANNOTATION]: "folder", [FILE_ANNOTATION]: "dmz.yaml" },
      },
      spec: { data: "" },
    });
    await unlink(join(dir, "dmz.yaml"));
    await until("dmz gone", async () => !(await h.store.tryGet("Network", "dmz")));
    const s = await synced("3 objects", (x) => x.status?.objects === 3 && isReady(x));
    assert.equal(s.status?.pruned, 1);
    assert.ok(await h.store.tryGet("UserdataTemplate", "stranger"));
    await assert.rejects(h.zk.get(h.pvc.network(3101)), (err: unknown) => isPvcError(err, "ZK_NO_NODE"));
    await h.store.delete("UserdataTemplate", "stranger");
  });

  test("a folder that loses most of its objects, or all, prunes nothing and says why", async () => {
    await unlink(join(dir, "userdata.yaml")); // 2 of 3 objects: more than half
    const s = await synced("prune blocked", (x) => typeof x.status?.pruneBlocked === "string");
    assert.match(String(s.status?.pruneBlocked), /2 of the 3 objects.*67%.*maxFraction 50%/);
    assert.equal(s.status?.conditions?.find((c) => c.type === "Ready")?.reason, "PruneBlocked");
    assert.ok(await h.store.tryGet("UserdataTemplate", "ud-a"));
    await unlink(join(dir, "lan.yaml")); // now empty
    const empty = await synced("empty folder blocked", (x) =>
      /declares no objects/.test(String(x.status?.pruneBlocked)),
    );
    assert.equal(empty.status?.objects, 3);
    assert.ok(await h.store.tryGet("Network", "lan"));
    // Restored: nothing was lost, the guard clears.
    await writeFile(join(dir, "lan.yaml"), net("lan", 3100, "lan.corp.example"));
    await writeFile(join(dir, "userdata.yaml"), `${userdata("ud-a", "changed")}---\n${userdata("ud-b")}`);
    await synced("guard cleared", (x) => isReady(x) && x.status?.pruneBlocked === undefined);
  });

  test("guarded kinds are released, not deleted, unless the folder opts in", async () => {
    await writeFile(join(dir, "volumes.yaml"), `${volume("vms", "keep")}---\n${volume("vms", "scratch")}`);
    await synced("volumes owned", (x) => x.status?.objects === 5);
    await writeFile(join(dir, "volumes.yaml"), volume("vms", "scratch"));
    await synced("released", (x) =>
      ((x.status?.released as string[] | undefined) ?? []).includes("CephVolume/vms.keep"),
    );
    const kept = await h.store.get("CephVolume", "vms.keep");
    assert.equal(kept.metadata.annotations?.[SYNC_ANNOTATION], undefined);
    // Opted in: pruned.
    await writeFile(join(dir, ".pvc-gitops.yaml"), "prune:\n  kinds: [CephVolume]\n");
    await unlink(join(dir, "volumes.yaml"));
    await until("scratch pruned", async () => !(await h.store.tryGet("CephVolume", "vms.scratch")));
    await h.store.delete("CephVolume", "vms.keep");
  });

  test("in revert mode another writer's change is let through, then undone", async () => {
    await writeFile(join(dir, ".pvc-gitops.yaml"), "protection: revert\n");
    await synced("revert mode", (x) => (x.spec as { protection?: string }).protection === "revert");
    const api = guardStore(h.store);
    await api.patch("UserdataTemplate", "ud-b", { spec: { data: "hotfix" } });
    await until(
      "reverted",
      async () => (await h.store.get("UserdataTemplate", "ud-b")).spec.data === "#cloud-config",
    );
  });

  test("deleting the GitOpsSync releases the objects; the watcher then starts a new inventory", async () => {
    await writeFile(join(dir, ".pvc-gitops.yaml"), "protection: reject\n");
    await synced("reject mode", (x) => (x.spec as { protection?: string }).protection === "reject");
    const api = guardStore(h.store);
    await assert.rejects(api.patch("UserdataTemplate", "ud-a", { spec: { data: "mine" } }));
    await api.delete("GitOpsSync", "folder");
    await api.patch("UserdataTemplate", "ud-a", { spec: { data: "mine" } });
    await gitops.syncNow();
    const s = await synced("a new inventory", (x) => x.status?.objects === 3);
    assert.equal(
      (await h.store.get("UserdataTemplate", "ud-a")).spec.data,
      "changed",
      "the folder's version again",
    );
    assert.equal(s.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    await assert.rejects(api.patch("UserdataTemplate", "ud-a", { spec: { data: "mine" } }));
  });
});
