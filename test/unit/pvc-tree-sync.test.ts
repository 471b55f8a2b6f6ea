import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planTreeSync } from "../../src/pvc/tree-sync.ts";

describe("planTreeSync", () => {
  it("creates parents before children, deletes children before parents, deletes first, then sets", () => {
    const desired = new Map([
      ["/n/1/a/x", "ax"],
      ["/n/1", "one"],
      ["/n/1/a", ""],
      ["/n/1/b", "b2"],
    ]);
    const observed = new Map([
      ["/n/1", "one"],
      ["/n/1/b", "b1"],
      ["/n/1/old", ""],
      ["/n/1/old/deep", "d"],
    ]);
    const plan = planTreeSync(desired, observed);
    assert.deepEqual(plan.ops, [
      { op: "delete", path: "/n/1/old/deep" },
      { op: "delete", path: "/n/1/old" },
      { op: "create", path: "/n/1/a", data: "" },
      { op: "create", path: "/n/1/a/x", data: "ax" },
      { op: "set", path: "/n/1/b", data: "b2" },
    ]);
    assert.deepEqual(plan.changed.sort(), ["/n/1/a", "/n/1/a/x", "/n/1/b", "/n/1/old", "/n/1/old/deep"]);
  });

  it("keeps what `keep` says is not ours, and plans nothing for an equal tree", () => {
    const tree = new Map([
      ["/n/1", "one"],
      ["/n/1/leases", ""],
    ]);
    const observed = new Map([...tree, ["/n/1/leases/52:54:00:00:00:01", ""]]);
    const plan = planTreeSync(tree, observed, (p) => p.startsWith("/n/1/leases/"));
    assert.deepEqual(plan, { ops: [], changed: [] });
  });
});
