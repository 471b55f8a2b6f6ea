/**
 * The VirtualMachine controller's intent planner (controllers/vm/intent.ts): which of PVC's keys it
 * writes for a change of the spec, and that it writes nothing for what the nodes did meanwhile.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type DomainState,
  type IntentInput,
  intentOfDomain,
  planIntent,
} from "../../controllers/vm/intent.ts";
import type { VirtualMachineSpec } from "../../src/resources/specs.ts";

const NOW = Date.parse("2026-12-04T12:00:00Z");

function spec(over: Partial<VirtualMachineSpec> = {}): VirtualMachineSpec {
  return {
    xml: "<domain/>",
    nodeLimit: [],
    autostart: false,
    runState: "start",
    deleteDisks: false,
    ...over,
  };
}

const running: DomainState = { state: "start", node: "hv1", lastnode: "", autostart: "False" };

function plan(s: VirtualMachineSpec, domain: DomainState, over: Partial<IntentInput> = {}) {
  const result = planIntent({
    spec: s,
    applied: intentOfDomain(domain),
    domain,
    xmlChanged: false,
    shutdownTimeoutMs: 90_000,
    now: NOW,
    selectTarget: (_selector, current) => (current === "hv2" ? "hv3" : "hv2"),
    nodeExists: (n) => ["hv1", "hv2", "hv3"].includes(n),
    ...over,
  });
  return result;
}

function writes(r: ReturnType<typeof plan>): Record<string, string> {
  assert.ok(r.ok, JSON.stringify(r));
  return Object.fromEntries(r.writes);
}

describe("planIntent", () => {
  test("adopting a domain whose keys say what the spec says writes nothing (an applied import changes nothing)", () => {
    const migrated: DomainState = { state: "start", node: "hv2", lastnode: "hv1", autostart: "True" };
    assert.deepEqual(
      writes(plan(spec({ node: "hv1", migration: { node: "hv2" }, autostart: true }), migrated)),
      {},
    );
    assert.deepEqual(writes(plan(spec({ runState: "stop" }), { ...running, state: "stop" })), {});
    assert.deepEqual(writes(plan(spec({ runState: "stop" }), { ...running, state: "fail" })), {});
    assert.deepEqual(writes(plan(spec({ runState: "disable" }), { ...running, state: "disable" })), {});
  });

  test("run state: the transitions PVC allows", () => {
    const stopped = { ...running, state: "stop" };
    assert.deepEqual(writes(plan(spec(), stopped)), { state: "start" });
    assert.deepEqual(writes(plan(spec({ runState: "stop" }), running)), { state: "stop" });
    assert.deepEqual(writes(plan(spec({ runState: "disable" }), running)), { state: "disable" });
    // restart: a running VM restarts, a stopped one starts; once per change.
    assert.deepEqual(writes(plan(spec({ runState: "restart" }), running)), { state: "restart" });
    assert.deepEqual(writes(plan(spec({ runState: "restart" }), stopped)), { state: "start" });
    const restartedBefore = { ...intentOfDomain(running), runState: "restart" as const };
    assert.deepEqual(writes(plan(spec({ runState: "restart" }), running, { applied: restartedBefore })), {});
    assert.deepEqual(
      writes(plan(spec({ runState: "restart" }), running, { applied: restartedBefore, xmlChanged: true })),
      {
        state: "restart",
      },
    );
  });

  test("shutdown: graceful first, a stop once the manual's time is up", () => {
    const first = plan(spec({ runState: "shutdown" }), running);
    assert.deepEqual(writes(first), { state: "shutdown" });
    assert.ok(first.ok);
    assert.equal(first.shutdownSince, new Date(NOW).toISOString());
    assert.equal(first.requeueAfter, 90_000);
    const applied = { ...intentOfDomain(running), runState: "shutdown" as const };
    const shutting = { ...running, state: "shutdown" };
    const since = new Date(NOW - 60_000).toISOString();
    const waiting = plan(spec({ runState: "shutdown" }), shutting, { applied, shutdownSince: since });
    assert.deepEqual(writes(waiting), {});
    assert.equal(waiting.ok && waiting.requeueAfter, 30_000);
    const late = new Date(NOW - 91_000).toISOString();
    assert.deepEqual(
      writes(plan(spec({ runState: "shutdown" }), shutting, { applied, shutdownSince: late })),
      {
        state: "stop",
      },
    );
    // The node powered it off in time: nothing more.
    assert.deepEqual(
      writes(
        plan(spec({ runState: "shutdown" }), { ...running, state: "stop" }, { applied, shutdownSince: late }),
      ),
      {},
    );
  });

  test("migration: migrate, force (lastnode kept), unmigrate, move; live only when running", () => {
    assert.deepEqual(writes(plan(spec({ migration: { node: "hv3" } }), running)), {
      node: "hv3",
      lastnode: "hv1",
      state: "migrate",
    });
    assert.deepEqual(writes(plan(spec({ migration: {} }), running)), {
      node: "hv2",
      lastnode: "hv1",
      state: "migrate",
    });
    const stopped = { ...running, state: "stop" };
    assert.deepEqual(writes(plan(spec({ runState: "stop", migration: { node: "hv3" } }), stopped)), {
      node: "hv3",
      lastnode: "hv1",
    });
    const migrated: DomainState = { state: "start", node: "hv2", lastnode: "hv1", autostart: "False" };
    assert.deepEqual(writes(plan(spec({ migration: { node: "hv3" } }), migrated)), {
      node: "hv3",
      lastnode: "hv1",
      state: "migrate",
    });
    assert.deepEqual(writes(plan(spec(), migrated)), { node: "hv1", lastnode: "", state: "migrate" });
    assert.deepEqual(writes(plan(spec({ node: "hv3" }), running)), {
      node: "hv3",
      lastnode: "",
      state: "migrate",
    });
    assert.deepEqual(writes(plan(spec({ node: "hv3" }), migrated)), {
      node: "hv3",
      lastnode: "",
      state: "migrate",
    });
  });

  test("what the nodes did is left alone: a flush's migration, a cleared autostart, a VM stopped behind our back", () => {
    const applied = intentOfDomain(running);
    const flushed: DomainState = { state: "start", node: "hv2", lastnode: "hv1", autostart: "False" };
    assert.deepEqual(writes(plan(spec(), flushed, { applied })), {});
    const withAutostart = { ...applied, autostart: true };
    assert.deepEqual(writes(plan(spec({ autostart: true }), running, { applied: withAutostart })), {});
    assert.deepEqual(writes(plan(spec({ autostart: true }), running, { applied })), {
      node_autostart: "True",
    });
    assert.deepEqual(writes(plan(spec(), { ...running, state: "stop" }, { applied })), {});
  });

  test("refusals: a node that is not a node, no migration target", () => {
    const r = plan(spec({ node: "hv9" }), running);
    assert.deepEqual(r, { ok: false, reason: "NodeNotFound", message: "node hv9 is not a PVC node" });
    const none = plan(spec({ migration: {} }), running, { selectTarget: () => null });
    assert.equal(none.ok, false);
    assert.equal(!none.ok && none.reason, "NoMigrationTarget");
  });
});
