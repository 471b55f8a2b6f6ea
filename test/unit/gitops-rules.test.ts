import assert from "node:assert/strict";
import { test } from "node:test";
import { ownerOf, withOwner } from "../../src/gitops/annotations.ts";
import { isIgnored } from "../../src/gitops/folder.ts";
import { inventoryList, inventoryOf } from "../../src/gitops/inventory.ts";
import { checkSettings, DEFAULT_SETTINGS, mergeSettings } from "../../src/gitops/settings.ts";
import { ownedFieldsMatch, pruneGuard } from "../../src/gitops/sync.ts";
import { objectDiff } from "../../src/pvcctl/diff.ts";
import type { Resource } from "../../src/resources/types.ts";

const r = (spec: Record<string, unknown>, labels?: Record<string, string>): Resource => ({
  apiVersion: "pvc.parallelvirtualcluster.org/v1",
  kind: "UserdataTemplate",
  metadata: { name: "x", ...(labels ? { labels } : {}) },
  spec,
});

test("the prune guard: an emptied folder, or more than maxFraction leaving, prunes nothing", () => {
  const s = DEFAULT_SETTINGS;
  assert.equal(pruneGuard(10, 0, 10, 0, s), undefined);
  assert.equal(pruneGuard(10, 5, 5, 0, s), undefined, "half is not more than half");
  assert.match(String(pruneGuard(10, 6, 4, 0, s)), /6 of the 10 objects .*60%.*maxFraction 50%/);
  assert.match(String(pruneGuard(1, 1, 0, 0, s)), /declares no objects now/);
  assert.equal(pruneGuard(4, 1, 0, 3, s), undefined, "held files still declare objects");
  assert.equal(pruneGuard(10, 6, 4, 0, mergeSettings(s, { prune: { maxFraction: 0.8 } })), undefined);
});

test("settings: the folder file overrides the server's, and bad ones are named", () => {
  const m = mergeSettings(
    DEFAULT_SETTINGS,
    { protection: "revert" },
    checkSettings({ prune: { kinds: ["vm", "CephVolume"] } }, "f"),
  );
  assert.deepEqual(m, {
    protection: "revert",
    prune: { maxFraction: 0.5, kinds: ["VirtualMachine", "CephVolume"], force: false },
    ignore: [],
  });
  assert.throws(() => checkSettings({ protection: "maybe" }, "f"), /protection: must be reject or revert/);
  assert.throws(
    () => checkSettings({ prune: { maxFraction: 2 } }, "f"),
    /maxFraction: must be a number from 0 to 1/,
  );
  assert.throws(() => checkSettings({ prune: { kinds: ["Pods"] } }, "f"), /"Pods" is not a known kind/);
  assert.throws(() => checkSettings({ purne: {} }, "f"), /purne: is not a known setting/);
});

test("owned fields: spec, labels and annotations; empty equals absent", () => {
  assert.ok(ownedFieldsMatch(r({ data: "a" }), r({ data: "a" }, {})));
  assert.ok(!ownedFieldsMatch(r({ data: "a" }), r({ data: "b" })));
  assert.ok(!ownedFieldsMatch(r({ data: "a" }, { x: "1" }), r({ data: "a" })));
  const owned = withOwner(r({ data: "a" }), { sync: "s", file: "f.yaml" });
  assert.deepEqual(ownerOf(owned), { sync: "s", file: "f.yaml" });
  assert.ok(!ownedFieldsMatch(r({ data: "a" }), owned));
});

test("the inventory round-trips sorted; junk entries are dropped", () => {
  const inv = inventoryOf({
    status: {
      inventory: [
        { kind: "Network", name: "b", file: "2.yaml" },
        { kind: "Network", name: "a", file: "1.yaml" },
        { nope: 1 },
      ],
    },
  });
  assert.deepEqual(
    inventoryList(inv).map((e) => e.name),
    ["a", "b"],
  );
  assert.equal(inventoryOf(null).size, 0);
});

test("object diffs: nothing for equal objects, a unified diff otherwise", () => {
  assert.equal(objectDiff("userdatatemplate/x", r({ data: "a" }), r({ data: "a" })), "");
  const d = objectDiff("userdatatemplate/x", r({ data: "a" }), r({ data: "b" }));
  assert.match(
    d,
    /^--- userdatatemplate\/x \(live\)\n\+\+\+ userdatatemplate\/x \(manifest\)\n@@ .* @@\n spec:\n- {2}data: a\n\+ {2}data: b\n$/,
  );
  assert.match(objectDiff("userdatatemplate/x", null, r({ data: "b" })), /^--- \/dev\/null\n/);
});

test("ignore: paths inside the folder only; ignored files and folders are not the folder's manifests", () => {
  assert.deepEqual(checkSettings({ ignore: ["examples/", "old.yaml"] }, "f").ignore, [
    "examples",
    "old.yaml",
  ]);
  assert.throws(() => checkSettings({ ignore: "examples" }, "f"), /ignore: must be a list/);
  assert.throws(
    () => checkSettings({ ignore: ["../elsewhere"] }, "f"),
    /ignore\[0\]: must be a path inside the folder/,
  );
  assert.throws(() => checkSettings({ ignore: ["/abs"] }, "f"), /ignore\[0\]/);
  assert.deepEqual(mergeSettings(DEFAULT_SETTINGS, { ignore: ["examples"] }).ignore, ["examples"]);
  assert.equal(isIgnored("examples/networks.yaml", ["examples"]), true);
  assert.equal(isIgnored("examples", ["examples"]), true);
  assert.equal(isIgnored("examples2/a.yaml", ["examples"]), false);
  assert.equal(isIgnored("demo.yaml", ["examples"]), false);
});
