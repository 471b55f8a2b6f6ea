/**
 * The Node controller's pure rules: PVC's dead-node rule, what a request writes (as PVC's CLI does
 * it, refusals included) and when it counts as done.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEAD_AFTER_MS,
  HEARTBEAT_REFRESH_MS,
  heartbeatOnly,
  liveness,
  type NodeFigures,
} from "../../controllers/node/observe.ts";
import { planRequest, progressOf } from "../../controllers/node/request.ts";
import { PvcKeys } from "../../src/pvc/keys.ts";

const keys = new PvcKeys("/t");
const NOW = 1_800_000_000_000;
const fig = (over: Partial<NodeFigures> = {}): NodeFigures => ({
  daemonMode: "coordinator",
  daemonState: "run",
  coordinatorState: "secondary",
  domainState: "ready",
  keepalive: NOW / 1000 - 5,
  ...over,
});

test("liveness: run and a keepalive at most 30 s old; stale, starting and stopped daemons are not", () => {
  assert.deepEqual(liveness(fig(), NOW), { alive: true, staleInMs: DEAD_AFTER_MS - 5000 });
  const stale = liveness(fig({ keepalive: NOW / 1000 - 31 }), NOW);
  assert.equal(stale.alive, false);
  assert.equal(!stale.alive && stale.reason, "KeepaliveStale");
  assert.match(!stale.alive ? stale.message : "", /last keepalive 31 s ago, more than 30 s/);
  const init = liveness(fig({ daemonState: "init" }), NOW);
  assert.deepEqual(init.alive ? undefined : [init.starting, init.reason], [true, "DaemonStarting"]);
  const stopped = liveness(fig({ daemonState: "stop" }), NOW);
  assert.deepEqual(stopped.alive ? undefined : [stopped.starting, stopped.reason], [
    false,
    "DaemonNotRunning",
  ]);
  assert.equal(liveness(fig({ keepalive: undefined }), NOW).alive, false);
});

test("coordinatorState: /primary_node as PVC writes it; already there writes nothing; refusals in PVC's order", () => {
  const plan = (spec: object, f: NodeFigures) => planRequest(keys, "hv2", spec, f);
  assert.deepEqual(plan({ coordinatorState: "primary" }, fig()).ops, [
    { op: "set", path: "/t/primary_node", data: "hv2" },
  ]);
  assert.deepEqual(plan({ coordinatorState: "primary" }, fig({ coordinatorState: "primary" })).ops, []);
  assert.deepEqual(plan({ coordinatorState: "secondary" }, fig({ coordinatorState: "primary" })).ops, [
    { op: "set", path: "/t/primary_node", data: "none" },
  ]);
  assert.deepEqual(plan({ coordinatorState: "secondary" }, fig()).ops, []);
  assert.deepEqual(
    plan({ coordinatorState: "primary" }, fig({ daemonMode: "hypervisor", daemonState: "stop" })).refusal,
    {
      reason: "NotCoordinator",
      message: "Cannot change router mode on non-coordinator node hv2",
    },
  );
  assert.deepEqual(plan({ coordinatorState: "primary" }, fig({ daemonState: "stop" })).refusal, {
    reason: "NotActive",
    message: "Node hv2 is not active",
  });
  // A refusal holds back the whole request: no flush goes out with a refused handover.
  assert.deepEqual(
    plan({ coordinatorState: "primary", domainState: "flush" }, fig({ daemonState: "init" })).ops,
    [],
  );
});

test("domainState: flush and unflush as PVC writes them; an unfinished one is written again", () => {
  const ops = (want: "flush" | "ready", now: string) =>
    planRequest(keys, "hv1", { domainState: want }, fig({ domainState: now })).ops;
  const set = (data: string) => [{ op: "set", path: "/t/nodes/hv1/domainstate", data }];
  assert.deepEqual(ops("flush", "ready"), set("flush"));
  assert.deepEqual(ops("flush", "flushed"), []);
  assert.deepEqual(ops("flush", "flush"), set("flush"));
  assert.deepEqual(ops("ready", "flushed"), set("unflush"));
  assert.deepEqual(ops("ready", "ready"), []);
});

test("progress: a flush is done when flushed; changed by someone else meanwhile, it is done and not fought", () => {
  const req = { generation: 2, domainState: "flush" as const, done: false };
  assert.deepEqual(progressOf("hv1", req, fig({ domainState: "flush" })), {
    done: false,
    reason: "Flushing",
    message: "flushing hv1 of running VMs (domainstate flush)",
  });
  assert.deepEqual(progressOf("hv1", req, fig({ domainState: "flushed" })), { done: true });
  assert.deepEqual(progressOf("hv1", req, fig({ domainState: "unflush" })), {
    done: true,
    superseded: "domainstate is unflush, changed after this request",
  });
  const handover = { generation: 3, coordinatorState: "primary" as const, done: false };
  assert.equal(progressOf("hv2", handover, fig({ coordinatorState: "takeover" })).done, false);
  assert.equal(progressOf("hv2", handover, fig({ coordinatorState: "primary" })).done, true);
});

test("heartbeatOnly: keepalive, load and free/used memory alone are not written until the shown keepalive is 5 min old", () => {
  const memory = { totalMiB: 8192, freeMiB: 7000, usedMiB: 1192, allocatedMiB: 0 };
  const prev = fig({ cpuLoad: 0.5, memory });
  const beat = fig({
    keepalive: NOW / 1000,
    cpuLoad: 1.5,
    memory: { ...memory, freeMiB: 6900, usedMiB: 1292 },
  });
  assert.equal(heartbeatOnly(prev, beat, NOW), true);
  // The shown keepalive (5 s old in `prev`) reaches the refresh age: written.
  assert.equal(heartbeatOnly(prev, beat, NOW - 5000 + HEARTBEAT_REFRESH_MS), false);
  // Anything else that moves is written at once.
  assert.equal(heartbeatOnly(prev, { ...beat, domainState: "flush" }, NOW), false);
  assert.equal(
    heartbeatOnly(prev, { ...beat, memory: { ...memory, freeMiB: 6900, allocatedMiB: 512 } }, NOW),
    false,
  );
  assert.equal(heartbeatOnly(prev, { ...beat, runningDomains: ["x"] }, NOW), false);
  // Nothing stored yet: written.
  assert.equal(heartbeatOnly(undefined, beat, NOW), false);
  assert.equal(heartbeatOnly(fig({ keepalive: undefined }), beat, NOW), false);
});
