import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import type { Resource } from "../../src/resources/types.ts";
import { Indexer, indexInformer } from "../../src/store/indexer.ts";
import type { Informer } from "../../src/store/informer.ts";

describe("Indexer", () => {
  it("finds names by key, follows changes and deletes, and forgets empty keys", () => {
    const byTag = new Indexer<string[], string>((tags) => tags);
    byTag.set("a", ["web", "db"]);
    byTag.set("b", ["web"]);
    byTag.set("c", []); // no keys: in no list
    assert.deepEqual(byTag.get("web"), ["a", "b"]);
    assert.deepEqual(byTag.get("db"), ["a"]);
    assert.deepEqual(byTag.keysOf("a"), ["web", "db"]);
    assert.deepEqual(byTag.keysOf("c"), []);
    byTag.set("a", ["cache"]); // changed: out of its old keys, into the new one
    assert.deepEqual(byTag.get("web"), ["b"]);
    assert.deepEqual(byTag.get("db"), []);
    assert.deepEqual(byTag.get("cache"), ["a"]);
    byTag.set("b", undefined); // gone
    assert.deepEqual(byTag.get("web"), []);
    assert.deepEqual(byTag.keysOf("b"), []);
    byTag.set("b", undefined); // gone again: nothing to do
  });

  it("takes any name type (vnis by description)", () => {
    const vnisByDescription = new Indexer<string, string, number>((d) => [d]);
    vnisByDescription.set(100, "lan");
    vnisByDescription.set(200, "lan");
    assert.deepEqual(vnisByDescription.get("lan"), [100, 200]);
    assert.deepEqual(vnisByDescription.keysOf(200), ["lan"]);
  });
});

/** A fake informer in memory: a list and the three events, nothing else. */
class FakeInformer extends EventEmitter {
  constructor(readonly objects: Resource[]) {
    super();
  }
  list(): Resource[] {
    return this.objects;
  }
}

const volume = (name: string, pool: string): Resource => ({
  apiVersion: "pvc.parallelvirtualcluster.org/v1",
  kind: "CephVolume",
  metadata: { name },
  spec: { pool },
});

describe("indexInformer", () => {
  it("indexes what the informer holds, then keeps up with its add, update and delete events", () => {
    const fake = new FakeInformer([volume("vms.a", "vms")]);
    const byPool = indexInformer(fake as unknown as Informer, (v) => [String(v.spec?.pool)]);
    assert.deepEqual(byPool.get("vms"), ["vms.a"]);
    fake.emit("add", volume("vms.b", "vms"));
    assert.deepEqual(byPool.get("vms"), ["vms.a", "vms.b"]);
    fake.emit("update", volume("vms.b", "images"), volume("vms.b", "vms"));
    assert.deepEqual(byPool.get("vms"), ["vms.a"]);
    assert.deepEqual(byPool.get("images"), ["vms.b"]);
    fake.emit("delete", volume("vms.a", "vms"));
    assert.deepEqual(byPool.get("vms"), []);
  });
});
