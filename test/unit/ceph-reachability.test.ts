/**
 * CephReachability: unanswered calls (killed, or no connection) mark their binary unreachable,
 * any answer marks it reachable again, and an old verdict expires; the metrics read it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import client from "prom-client";
import { registerCephReachability } from "../../src/ceph/metrics.ts";
import { CephReachability } from "../../src/ceph/reachability.ts";

const timedOut = {
  cmd: "rbd create og/v5",
  ms: 30_000,
  ok: false,
  code: "CEPH_TIMEOUT" as const,
  unavailable: true,
  message: "rbd create og/v5 timed out after 30 s (killed)",
};

describe("CephReachability", () => {
  test("per binary: the OSD path can be gone while the mons answer", () => {
    let now = 1_000;
    const r = new CephReachability({ now: () => now, staleAfterMs: 60_000 });
    assert.equal(r.reachable, true);
    r.observe(timedOut);
    r.observe({ cmd: "ceph status", ms: 300, ok: true });
    r.observe({
      ...timedOut,
      cmd: "rbd create og/v6",
      message: "rbd create og/v6 timed out after 30 s (killed)",
    });
    assert.equal(r.reachable, false);
    assert.deepEqual(r.unreachable(), [
      { binary: "rbd", message: "rbd create og/v6 timed out after 30 s (killed)", at: 1_000, failures: 2 },
    ]);
    assert.deepEqual(r.describe(), ["ceph unreachable: rbd create og/v6 timed out after 30 s (killed)"]);
    // A refusal is an answer.
    r.observe({ cmd: "rbd info og/x", ms: 40, ok: false, code: "CEPH_ENOENT", unavailable: false });
    assert.equal(r.reachable, true);
    // An old verdict with no newer call expires.
    r.observe(timedOut);
    now += 60_001;
    assert.equal(r.reachable, true);
  });

  test("in /metrics: pvc_ceph_reachable and pvc_ceph_unanswered_calls{binary}", async () => {
    const registry = new client.Registry();
    const r = new CephReachability();
    registerCephReachability(registry, r);
    registerCephReachability(registry, r); // a second registration is a no-op
    assert.match(await registry.metrics(), /^pvc_ceph_reachable 1$/m);
    r.observe(timedOut);
    const text = await registry.metrics();
    assert.match(text, /^pvc_ceph_reachable 0$/m);
    assert.match(text, /^pvc_ceph_unanswered_calls\{binary="rbd"\} 1$/m);
  });
});
