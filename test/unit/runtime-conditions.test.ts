/**
 * Condition helpers: transition times move only when a status flips, and "nothing changed" is
 * detected exactly, so that a converged object costs no status write.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Condition } from "../../src/resources/types.ts";
import {
  applyConditions,
  deletionBlocked,
  getCondition,
  isReady,
  ready,
  reconciling,
  removeCondition,
  setCondition,
  stalled,
  statusEqual,
} from "../../src/runtime/conditions.ts";

const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-01T00:01:00.000Z";
const T2 = "2026-01-01T00:02:00.000Z";

describe("setCondition", () => {
  test("adds a condition with the given time", () => {
    const { conditions, changed } = setCondition(
      undefined,
      { type: "Ready", status: "False", reason: "Creating", message: "creating the bridge" },
      T0,
    );
    assert.equal(changed, true);
    assert.deepEqual(conditions, [
      {
        type: "Ready",
        status: "False",
        reason: "Creating",
        message: "creating the bridge",
        lastTransitionTime: T0,
      },
    ]);
  });

  test("nothing changed: same array, changed false", () => {
    const first = setCondition(
      [],
      { type: "Ready", status: "True", reason: "Converged", message: "ok", observedGeneration: 3 },
      T0,
    );
    const again = setCondition(
      first.conditions,
      { type: "Ready", status: "True", reason: "Converged", message: "ok", observedGeneration: 3 },
      T1,
    );
    assert.equal(again.changed, false);
    assert.equal(again.conditions, first.conditions, "the very same array");
  });

  test("same status, new reason or message: keeps lastTransitionTime", () => {
    const a = setCondition([], { type: "Ready", status: "False", reason: "Creating", message: "step 1" }, T0);
    const b = setCondition(
      a.conditions,
      { type: "Ready", status: "False", reason: "Resizing", message: "step 2" },
      T1,
    );
    assert.equal(b.changed, true);
    assert.notEqual(b.conditions, a.conditions, "a new array: the caller's one is not mutated");
    assert.equal(a.conditions[0].reason, "Creating");
    assert.equal(getCondition(b.conditions, "Ready")?.lastTransitionTime, T0);
    assert.equal(getCondition(b.conditions, "Ready")?.reason, "Resizing");
  });

  test("a status flip moves lastTransitionTime", () => {
    const a = setCondition([], { type: "Ready", status: "False", reason: "Creating", message: "" }, T0);
    const b = setCondition(
      a.conditions,
      { type: "Ready", status: "True", reason: "Converged", message: "" },
      T1,
    );
    assert.equal(getCondition(b.conditions, "Ready")?.lastTransitionTime, T1);
    const c = setCondition(
      b.conditions,
      { type: "Ready", status: "True", reason: "Converged", message: "x" },
      T2,
    );
    assert.equal(getCondition(c.conditions, "Ready")?.lastTransitionTime, T1);
  });

  test("a new observedGeneration alone is a change (but not a transition)", () => {
    const a = setCondition(
      [],
      { type: "Ready", status: "True", reason: "Converged", message: "", observedGeneration: 1 },
      T0,
    );
    const b = setCondition(
      a.conditions,
      { type: "Ready", status: "True", reason: "Converged", message: "", observedGeneration: 2 },
      T1,
    );
    assert.equal(b.changed, true);
    assert.equal(b.conditions[0].lastTransitionTime, T0);
    assert.equal(b.conditions[0].observedGeneration, 2);
  });

  test("other conditions keep their place and identity", () => {
    const base: Condition[] = [
      { type: "A", status: "True", reason: "R", message: "", lastTransitionTime: T0 },
      { type: "B", status: "True", reason: "R", message: "", lastTransitionTime: T0 },
    ];
    const { conditions } = setCondition(base, { type: "A", status: "False", reason: "R", message: "" }, T1);
    assert.deepEqual(
      conditions.map((c) => c.type),
      ["A", "B"],
    );
    assert.equal(conditions[1], base[1]);
  });

  test("removeCondition", () => {
    const base: Condition[] = [
      { type: "A", status: "True", reason: "R", message: "", lastTransitionTime: T0 },
    ];
    assert.equal(removeCondition(base, "B").conditions, base);
    assert.equal(removeCondition(base, "B").changed, false);
    assert.deepEqual(removeCondition(base, "A"), { conditions: [], changed: true });
  });
});

describe("standard conditions", () => {
  const statuses = (conds: Condition[]) => Object.fromEntries(conds.map((c) => [c.type, c.status]));

  test("ready, reconciling, stalled and deletionBlocked never contradict each other", () => {
    let conds = applyConditions(undefined, reconciling("Creating", "creating", 1), T0).conditions;
    assert.deepEqual(statuses(conds), { Ready: "False", Reconciling: "True", Stalled: "False" });
    conds = applyConditions(conds, stalled("VniInUse", "vni 100 is used by net-a", 1), T1).conditions;
    assert.deepEqual(statuses(conds), { Ready: "False", Reconciling: "False", Stalled: "True" });
    conds = applyConditions(conds, ready("Converged", "up to date", 2), T2).conditions;
    assert.deepEqual(statuses(conds), { Ready: "True", Reconciling: "False", Stalled: "False" });
    assert.ok(isReady(conds));
    assert.ok(isReady(conds, 2));
    assert.ok(!isReady(conds, 3), "Ready for an older generation is not readiness");
    conds = applyConditions(conds, deletionBlocked("InUse", "used by vm web1", 2), T2).conditions;
    assert.deepEqual(statuses(conds), {
      Ready: "False",
      Reconciling: "False",
      Stalled: "False",
      DeletionBlocked: "True",
    });
    conds = applyConditions(conds, reconciling("Deleting", "removing", 2), T2).conditions;
    assert.equal(getCondition(conds, "DeletionBlocked"), undefined, "cleared once no longer blocked");
  });

  test("re-applying the same patch changes nothing (zero writes per resync)", () => {
    const first = applyConditions(undefined, ready("Converged", "ok", 4), T0);
    const second = applyConditions(first.conditions, ready("Converged", "ok", 4), T1);
    assert.equal(second.changed, false);
    assert.equal(second.conditions, first.conditions);
    const status = { observedGeneration: 4, conditions: first.conditions };
    assert.ok(statusEqual(status, { conditions: second.conditions, observedGeneration: 4 }));
  });

  test("transition times across the standard set", () => {
    const a = applyConditions(undefined, reconciling("Creating", "", 1), T0).conditions;
    const b = applyConditions(a, ready("Converged", "", 1), T1).conditions;
    assert.equal(getCondition(b, "Ready")?.lastTransitionTime, T1, "Ready flipped");
    assert.equal(getCondition(b, "Stalled")?.lastTransitionTime, T0, "Stalled stayed False");
  });
});

describe("statusEqual", () => {
  test("ignores key order, not array order", () => {
    assert.ok(statusEqual({ a: 1, b: { c: [1, 2], d: "x" } }, { b: { d: "x", c: [1, 2] }, a: 1 }));
    assert.ok(!statusEqual({ a: [1, 2] }, { a: [2, 1] }));
  });
  test("undefined-valued keys count as absent, as after a JSON round trip", () => {
    assert.ok(statusEqual({ a: 1, b: undefined }, { a: 1 }));
    assert.ok(!statusEqual({ a: 1, b: null }, { a: 1 }));
  });
  test("differences in values, types and lengths", () => {
    assert.ok(!statusEqual({ a: 1 }, { a: "1" }));
    assert.ok(!statusEqual({ a: [1] }, { a: [1, 1] }));
    assert.ok(!statusEqual({ a: {} }, { a: [] }));
    assert.ok(!statusEqual(undefined, {}));
    assert.ok(statusEqual(undefined, undefined));
    assert.ok(statusEqual(Number.NaN, Number.NaN));
  });
});
