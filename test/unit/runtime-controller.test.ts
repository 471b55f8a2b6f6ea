/**
 * The controller without ZooKeeper: informer events and resync feed the queue, start/stop,
 * metrics, and the manager without an elector.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import type { OwnerReference } from "../../src/resources/types.ts";
import { Controller, ownerKeys } from "../../src/runtime/controller.ts";
import { TerminalError } from "../../src/runtime/errors.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { RuntimeMetrics } from "../../src/runtime/metrics.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Obj {
  metadata: { name: string; ownerReferences?: OwnerReference[] };
  spec: Record<string, unknown>;
}

const obj = (name: string, owner?: string): Obj => ({
  metadata: {
    name,
    ownerReferences: owner ? [{ apiVersion: "v1", kind: "Network", name: owner, uid: "u" }] : undefined,
  },
  spec: {},
});

/** An informer as another engineer may write it: a typed EventEmitter. */
class FakeInformer extends EventEmitter<{ add: [Obj]; update: [Obj, Obj]; delete: [Obj] }> {}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe("Controller", () => {
  test("informer events enqueue the object's name; owned objects enqueue their owner", async () => {
    const seen: string[] = [];
    const c = new Controller({
      kind: "Network",
      reconcile: async (key) => {
        seen.push(key);
      },
    });
    const networks = new FakeInformer();
    const ports = new FakeInformer();
    const unwatch = c.watchInformer(networks);
    c.watchInformer(ports, { keysFor: ownerKeys("Network") });
    await c.start();
    networks.emit("add", obj("net-a"));
    await until(() => seen.includes("net-a"), "net-a");
    networks.emit("update", obj("net-b"), obj("net-b"));
    networks.emit("delete", obj("net-c"));
    ports.emit("add", obj("port-1", "net-d"));
    ports.emit("update", obj("port-2", "net-e"), obj("port-2", "net-f"));
    await until(() => seen.length >= 6, "all events");
    assert.deepEqual([...new Set(seen)].sort(), ["net-a", "net-b", "net-c", "net-d", "net-e", "net-f"]);
    unwatch();
    networks.emit("add", obj("net-z"));
    await sleep(20);
    assert.ok(!seen.includes("net-z"), "no events after unwatch");
    await c.stop();
  });

  test("start enqueues every key from the resync provider, then again every period", async () => {
    const counts = new Map<string, number>();
    const c = new Controller({
      kind: "Network",
      resyncPeriodMs: 50,
      resyncJitter: 0,
      reconcile: async (key) => {
        counts.set(key, (counts.get(key) ?? 0) + 1);
      },
    });
    c.resync(() => ["a", "b", "c"]);
    await c.start();
    await until(() => counts.get("c") === 1, "the initial pass");
    await until(() => (counts.get("a") ?? 0) >= 3, "two periodic resyncs", 5000);
    await c.stop();
    const after = counts.get("a");
    await sleep(120);
    assert.equal(counts.get("a"), after, "no resync after stop");
  });

  test("the periodic resync skips a key whose last successful reconcile read what it would read now", async () => {
    const counts = new Map<string, number>();
    // What each key's reconcile reads, as a version: "b" moves once, "c" has none to give.
    const versions = new Map<string, string | undefined>([
      ["a", "1"],
      ["b", "1"],
      ["c", undefined],
    ]);
    let failA = false;
    const c = new Controller({
      kind: "Network",
      resyncPeriodMs: 40,
      resyncJitter: 0,
      fingerprint: (key) => versions.get(key),
      reconcile: async (key) => {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (key === "a" && failA) throw new Error("a failed");
      },
    });
    c.resync(() => ["a", "b", "c"]);
    await c.start();
    await until(() => (counts.get("c") ?? 0) >= 4, "three periodic resyncs of c");
    assert.equal(counts.get("a"), 1, "a settled: only the initial pass");
    assert.equal(counts.get("b"), 1, "b settled: only the initial pass");
    versions.set("b", "2");
    await until(() => counts.get("b") === 2, "b reconciled again once its inputs moved");
    const c0 = counts.get("c") ?? 0;
    await until(() => (counts.get("c") ?? 0) >= c0 + 3, "more resyncs");
    assert.equal(counts.get("b"), 2, "b settled again at its new version");
    // A failed run is not trusted: the key runs at every resync until one succeeds.
    failA = true;
    void c.enqueue("a");
    await until(() => (counts.get("a") ?? 0) >= 2, "a run again by an event");
    await c.stop();
    await c.start();
    await until(() => (counts.get("b") ?? 0) >= 3, "a new start runs every key");
    await c.stop();
  });

  test("a stopped controller drops keys; enqueue resolves with the outcome while running", async () => {
    const c = new Controller({ kind: "X", reconcile: async () => ({ requeueAfter: 60_000 }) });
    assert.deepEqual(await c.enqueue("k"), { result: "cancelled" });
    await c.start();
    assert.deepEqual(await c.enqueue("k"), { result: "requeue", requeueAfter: 60_000 });
    await c.stop();
    assert.equal(c.running, false);
    await c.start();
    assert.equal(c.running, true, "a controller can start again after a stop");
    await c.stop();
  });

  test("stop aborts reconciles in flight and waits for them", async () => {
    let aborted = false;
    let finished = false;
    const c = new Controller({
      kind: "X",
      reconcile: async (_key, { signal }) => {
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
        aborted = signal.aborted;
        await sleep(10);
        finished = true;
      },
    });
    await c.start();
    void c.enqueue("k");
    await until(() => c.inFlight === 1, "the reconcile to start");
    await c.stop();
    assert.ok(aborted && finished, "stop resolved after the aborted reconcile finished");
  });

  test("metrics: reconciles per result and queue gauges", async () => {
    const metrics = new RuntimeMetrics();
    const c = new Controller({
      kind: "Volume",
      metrics,
      backoff: { baseDelayMs: 60_000 },
      reconcile: async (key) => {
        if (key === "bad") throw new Error("boom");
        if (key === "never") throw new TerminalError("no");
      },
    });
    await c.start();
    await Promise.all(["ok", "bad", "never"].map((k) => c.enqueue(k)));
    const text = await metrics.render();
    assert.match(text, /pvc_reconcile_total\{kind="Volume",result="success"\} 1/);
    assert.match(text, /pvc_reconcile_total\{kind="Volume",result="error"\} 1/);
    assert.match(text, /pvc_reconcile_total\{kind="Volume",result="terminal"\} 1/);
    assert.match(text, /pvc_workqueue_delayed\{kind="Volume"\} 1/, "bad waits for its retry");
    await c.stop();
    assert.doesNotMatch(await metrics.render(), /pvc_workqueue_delayed\{kind="Volume"\}/);
  });
});

describe("Manager without an elector", () => {
  test("starts its controllers with it and stops them with it", async () => {
    const metrics = new RuntimeMetrics();
    const a = new Controller({ kind: "A", reconcile: async () => {} });
    const b = new Controller({ kind: "B", reconcile: async () => {} });
    const m = new Manager({ controllers: [a], metrics });
    await m.start();
    assert.ok(m.leading && a.running);
    await m.add(b);
    assert.ok(b.running, "a controller added while leading starts at once");
    assert.match(await metrics.render(), /^pvc_leader 1$/m);
    await m.stop();
    assert.ok(!m.leading && !a.running && !b.running);
    assert.match(await metrics.render(), /^pvc_leader 0$/m);
  });
});
