/**
 * A Network waiting for a vni (Stalled VniInUse) takes it as soon as its holder moves away, and
 * owns its keys from then on: deleting it leaves nothing behind. Found by the route fuzzer: the
 * waiting network was never looked at again, so the holder's old keys stayed with no owner.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { networkController } from "../../controllers/network/controller.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";

const API = "pvc.parallelvirtualcluster.org/v1";

function network(name: string, vni: number, description: string): Resource {
  return {
    apiVersion: API,
    kind: "Network",
    metadata: { name },
    spec: { vni, type: "bridged", description, domain: "x.example.net" },
  };
}

const condition = (r: Resource<unknown> | null, type: string) =>
  (r?.status?.conditions ?? []).find((c) => c.type === type && c.status === "True");

describe("Network claims", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness("net-claims", [networkController]);
  });
  after(async () => {
    await h.close();
  });

  test("a network waiting for a vni takes it when the holder moves, and its delete removes the keys", async () => {
    await h.store.create(network("fz-a", 211, "a"));
    await h.waitFor("Network", "fz-a", (r) => condition(r, "Ready") !== undefined);
    await h.store.create(network("fz-b", 211, "b"));
    await h.waitFor("Network", "fz-b", (r) => condition(r, "Stalled")?.reason === "VniInUse");
    await h.store.patch("Network", "fz-a", { spec: { vni: 215 } });
    const b = await h.waitFor(
      "Network",
      "fz-b",
      (r) => condition(r, "Ready") !== undefined && r?.status?.vni === 211,
    );
    assert.equal(b?.status?.vni, 211);
    assert.equal((await h.zk.get(h.pvc.network(211))).data, "b", "the keys of vni 211 are b's now");
    await h.store.delete("Network", "fz-b");
    const deadline = Date.now() + 10_000;
    while ((await h.zk.exists(h.pvc.network(211))) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(await h.zk.exists(h.pvc.network(211)), null, "nothing is left of vni 211");
    assert.ok(await h.zk.exists(h.pvc.network(215)), "a moved to 215");
  });

  test("a network waiting for a description takes it when the holder renames", async () => {
    await h.store.create(network("fz-c", 221, "shared"));
    await h.waitFor("Network", "fz-c", (r) => condition(r, "Ready") !== undefined);
    await h.store.create(network("fz-d", 222, "shared"));
    await h.waitFor("Network", "fz-d", (r) => condition(r, "Stalled")?.reason === "DescriptionInUse");
    await h.store.patch("Network", "fz-c", { spec: { description: "renamed" } });
    await h.waitFor("Network", "fz-d", (r) => condition(r, "Ready") !== undefined);
    assert.equal((await h.zk.get(h.pvc.network(222))).data, "shared");
  });
});
