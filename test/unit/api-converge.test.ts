/**
 * converge.ts's verdicts and `refused`: what a failed facade write leaves behind is decided once
 * for every facade group. A Stalled verdict is a refusal (taken back); a wait that ran out of time
 * is not (its answer says the write is stored).
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import { refused, waitForConvergence } from "../../api/v1/converge.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type Informer, typedInformers } from "../../src/store/informer.ts";

/** An informer holding one object, enough for watchUntil (get + add/update/delete events). */
function oneObjectInformer(obj: Resource): Informer {
  const emitter = new EventEmitter();
  return Object.assign(emitter, {
    get: (name: string) => (name === obj.metadata.name ? obj : undefined),
  }) as unknown as Informer;
}

function pool(conditions: Array<{ type: string; status: "True" | "False"; message: string }>): Resource {
  return {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "CephPool",
    metadata: { name: "p3", uid: "u1", generation: 1 },
    spec: {},
    status: {
      observedGeneration: 1,
      conditions: conditions.map((c) => ({ ...c, reason: "R", lastTransitionTime: "2026-01-01T00:00:00Z" })),
    },
  } as Resource;
}

describe("facade verdicts", () => {
  test("Stalled: failed and refused (the caller takes its write back)", async () => {
    const obj = pool([{ type: "Stalled", status: "True", message: "pool p3 wants 3 copies" }]);
    const v = await waitForConvergence(
      { informer: typedInformers(() => oneObjectInformer(obj)), waitTimeoutMs: 5_000 },
      obj,
      {
        success: "ok",
      },
    );
    assert.equal(v.ok, false);
    assert.equal(refused(v), true);
  });

  test("out of time: failed, stored and still converging, not refused", async () => {
    const obj = pool([
      { type: "Reconciling", status: "True", message: "rbd create p3/v5 timed out after 30 s (killed)" },
    ]);
    const v = await waitForConvergence(
      { informer: typedInformers(() => oneObjectInformer(obj)), waitTimeoutMs: 1 },
      obj,
      {
        success: "ok",
      },
    );
    assert.equal(v.ok, false);
    assert.equal(v.converging, true);
    assert.match(
      v.message,
      /is stored but still converging after .*: rbd create p3\/v5 timed out after 30 s \(killed\)/,
    );
    assert.equal(refused(v), false);
    assert.equal(refused({ ok: true, message: "done" }), false);
  });
});
