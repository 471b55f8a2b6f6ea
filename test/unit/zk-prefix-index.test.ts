import assert from "node:assert/strict";
import { test } from "node:test";
import { isAtOrUnder, PrefixIndex } from "../../src/zk/prefix-index.ts";

test("isAtOrUnder: the root itself and paths below it, not siblings sharing a prefix", () => {
  assert.equal(isAtOrUnder("/a/b", "/a/b"), true);
  assert.equal(isAtOrUnder("/a/b/c", "/a/b"), true);
  assert.equal(isAtOrUnder("/a/bc", "/a/b"), false);
  assert.equal(isAtOrUnder("/a", "/a/b"), false);
  assert.equal(isAtOrUnder("/anything", "/"), true);
});

test("matching finds every root at or above a path, and follows roots added and removed", () => {
  const index = new PrefixIndex<string>();
  index.set("/s/objects/networks", "networks");
  index.set("/s/objects/nets", "nets");
  index.set("/pvc/networks", "mirror");
  const names = (p: string) =>
    index
      .matching(p)
      .map(([, v]) => v)
      .sort();
  assert.deepEqual(names("/s/objects/networks/n1"), ["networks"]);
  assert.deepEqual(names("/s/objects/networks/n1/status"), ["networks"]);
  assert.deepEqual(names("/s/objects/networks"), ["networks"]);
  assert.deepEqual(names("/s/objects/networksX/n1"), []);
  assert.deepEqual(names("/pvc/networks/100/ip4_gateway"), ["mirror"]);
  // Memoised per parent; a new root is seen at once.
  index.set("/pvc", "all");
  assert.deepEqual(names("/pvc/networks/100/ip4_gateway"), ["all", "mirror"]);
  assert.deepEqual(names("/pvc"), ["all"]);
  index.delete("/pvc/networks");
  assert.deepEqual(names("/pvc/networks/100/ip4_gateway"), ["all"]);
  index.set("/", "root");
  assert.deepEqual(names("/x"), ["root"]);
  assert.deepEqual(names("/"), ["root"]);
});
