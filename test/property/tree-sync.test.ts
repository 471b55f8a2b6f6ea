/**
 * Properties of the controllers' owned-key diff (src/pvc/tree-sync.ts: planTreeSync, what every
 * kind controller commits as one multi) and of `pvcctl diff`'s owned view (src/pvcctl/diff.ts):
 * - the plan's ops, applied in order under ZooKeeper's rules (a create needs its parent and no
 *   node there; a delete needs the node and no children; a set needs the node), turn the observed
 *   tree into the desired one, and leave every kept path (dnsmasq's leases) as it was;
 * - `changed` names exactly the paths that differ; a converged tree plans nothing (zero writes per
 *   resync);
 * - objectDiff of an object with itself is empty, and not empty once a spec field differs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { planTreeSync } from "../../src/pvc/tree-sync.ts";
import { objectDiff } from "../../src/pvcctl/diff.ts";
import type { Resource } from "../../src/resources/types.ts";

const ROOT = "/r";
const segment = fc.constantFrom("a", "b", "c", "leases", "x");

/** A tree under ROOT: every path's parents are in it too (as in ZooKeeper). */
const tree = fc
  .array(fc.tuple(fc.array(segment, { minLength: 1, maxLength: 3 }), fc.constantFrom("", "1", "2", "v")), {
    maxLength: 12,
  })
  .map((entries) => {
    const t = new Map<string, string>([[ROOT, "root"]]);
    for (const [segments, value] of entries) {
      let p = ROOT;
      for (const s of segments) {
        p = `${p}/${s}`;
        if (!t.has(p)) t.set(p, "");
      }
      t.set(p, value);
    }
    return t;
  });

const parent = (p: string) => p.slice(0, p.lastIndexOf("/"));

/** Applies ops as ZooKeeper would, failing (like the multi) on the first one it would refuse. */
function apply(start: ReadonlyMap<string, string>, ops: ReturnType<typeof planTreeSync>["ops"]) {
  const t = new Map(start);
  for (const op of ops) {
    const where = `${op.op} ${op.path}`;
    if (op.op === "create") {
      assert.ok(!t.has(op.path), `${where}: NODE_EXISTS`);
      assert.ok(op.path === ROOT || t.has(parent(op.path)), `${where}: NO_NODE (parent)`);
      t.set(op.path, String(op.data ?? ""));
    } else if (op.op === "delete") {
      assert.ok(t.has(op.path), `${where}: NO_NODE`);
      assert.ok(![...t.keys()].some((k) => k.startsWith(`${op.path}/`)), `${where}: NOT_EMPTY`);
      t.delete(op.path);
    } else if (op.op === "set") {
      assert.ok(t.has(op.path), `${where}: NO_NODE`);
      t.set(op.path, String(op.data ?? ""));
    }
  }
  return t;
}

const isLease = (p: string) => p.split("/").includes("leases");

test("the plan, applied under ZooKeeper's rules, makes the observed tree the desired one", () => {
  fc.assert(
    fc.property(tree, tree, (desiredAll, observed) => {
      // Kept paths are never desired (the controller does not own them).
      const desired = new Map([...desiredAll].filter(([p]) => !isLease(p)));
      // The callers' contract: what is kept hangs under a desired key (a network's dhcp4_leases).
      for (const p of observed.keys()) if (isLease(p) && !isLease(parent(p))) fc.pre(desired.has(parent(p)));
      const plan = planTreeSync(desired, observed, isLease);
      const after = apply(observed, plan.ops);
      const kept = new Map([...observed].filter(([p]) => isLease(p)));
      // Everything desired is there with its value; what is left besides is kept, untouched.
      for (const [p, v] of desired) assert.equal(after.get(p), v, p);
      for (const [p, v] of after) if (!desired.has(p)) assert.equal(kept.get(p), v, `${p} left over`);
      for (const [p, v] of kept) assert.equal(after.get(p), v, `kept ${p}`);
      // `changed` is exactly the difference.
      const differs = new Set<string>();
      for (const [p, v] of desired) if (observed.get(p) !== v) differs.add(p);
      for (const p of observed.keys()) if (!desired.has(p) && !isLease(p)) differs.add(p);
      assert.deepEqual(new Set(plan.changed), differs);
    }),
    { numRuns: 1_000 },
  );
});

test("a converged tree plans no write", () => {
  fc.assert(
    fc.property(tree, (t) => {
      const plan = planTreeSync(t, new Map(t));
      assert.deepEqual(plan, { ops: [], changed: [] });
    }),
  );
});

const spec = fc.dictionary(
  fc.constantFrom("vni", "description", "type", "domain", "nameServers"),
  fc.oneof(fc.string(), fc.integer(), fc.array(fc.string(), { maxLength: 2 })),
);
const labels = fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), fc.string({ maxLength: 5 }));

function resource(s: Record<string, unknown>, l: Record<string, string>): Resource {
  return {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "Network",
    metadata: { name: "n", labels: l },
    spec: s,
  } as Resource;
}

test("pvcctl diff: nothing for the same owned fields (in any key order), something for a changed one", () => {
  fc.assert(
    fc.property(spec, labels, spec, (s, l, other) => {
      const reordered = Object.fromEntries(Object.entries(l).reverse());
      assert.equal(objectDiff("network/n", resource(s, l), resource(s, reordered)), "");
      const changed = JSON.stringify(s) !== JSON.stringify(other);
      const d = objectDiff("network/n", resource(s, l), resource(other, l));
      if (changed) assert.notEqual(d, "", `${JSON.stringify(s)} → ${JSON.stringify(other)}`);
    }),
  );
});
