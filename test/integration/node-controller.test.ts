/**
 * The Node controller against real ZooKeeper and hollow nodes on a PVC root of the test's own:
 * it registers a Node per /nodes/<name> and removes it when the node goes, mirrors what the node
 * writes, carries out spec requests as PVC does (handover, flush, ready) once per generation and
 * never undoes what the cluster does afterwards, and turns Ready false when a keepalive goes stale
 * with nothing changing in ZooKeeper (a timer, PVC's 30 s rule).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { nodeController, REGISTERED_BY } from "../../controllers/node/controller.ts";
import { REGISTERED_BY_ANNOTATION } from "../../src/resources/annotations.ts";
import type { PvcNode } from "../../src/resources/specs.ts";
import { until } from "../helpers/api-app.ts";
import { NodeCluster } from "../helpers/node-cluster.ts";

describe("Node controller", () => {
  const c = new NodeCluster("nodectl");
  const node = (name: string) => c.t.app.informers.get("Node")?.get(name) as PvcNode | undefined;
  const ready = (name: string) => node(name)?.status?.conditions?.find((x) => x.type === "Ready");
  /** Ready=True observed for the object's current generation. */
  const readyNow = (name: string) => {
    const r = ready(name);
    return r?.status === "True" && r.observedGeneration === node(name)?.metadata.generation;
  };
  const patch = (name: string, spec: Record<string, unknown>) => c.t.app.store.patch("Node", name, { spec });

  before(async () => {
    await c.start([nodeController]);
    await c.nodesReady();
  });
  after(() => c.stop());

  test("a Node object per node under /nodes, annotated, with what the node's keys say", async () => {
    const hv1 = node("hv1");
    assert.ok(hv1);
    assert.equal(hv1.metadata.annotations?.[REGISTERED_BY_ANNOTATION], REGISTERED_BY);
    assert.deepEqual(hv1.spec, {});
    const s = hv1.status ?? {};
    const key = (k: Parameters<typeof c.keys.nodeKey>[1]) => c.read(c.keys.nodeKey("hv1", k));
    assert.equal(s.daemonMode, "coordinator");
    assert.equal(s.daemonState, "run");
    assert.equal(s.coordinatorState, await key("routerstate"));
    assert.equal(s.domainState, "ready");
    assert.equal(`${s.cpuCount} ${s.kernel} ${s.os} ${s.arch}`, await key("staticdata"));
    assert.equal(s.memory?.totalMiB, 32768);
    assert.equal(s.memory?.freeMiB, Number(await key("memfree")));
    assert.equal(node("hv3")?.status?.daemonMode, "hypervisor");
    assert.equal(node("hv3")?.status?.coordinatorState, "client");
    assert.ok(Math.abs((s.keepalive ?? 0) - Date.now() / 1000) < 10, `keepalive ${s.keepalive}`);
  });

  test("coordinatorState: the handover PVC does; what the cluster does afterwards is not undone", async () => {
    const before = await c.read(c.keys.primaryNode());
    const [from, to] = before === "hv1" ? ["hv1", "hv2"] : ["hv2", "hv1"];
    await patch(to, { coordinatorState: "primary" });
    await until(
      `${to} primary and Ready`,
      () => readyNow(to) && node(to)?.status?.coordinatorState === "primary",
    );
    assert.equal(await c.read(c.keys.primaryNode()), to);
    await until(`${from} secondary`, () => node(from)?.status?.coordinatorState === "secondary");
    assert.equal(node(to)?.status?.lastRequest?.done, true);

    // PVC's CLI gives primary back to `from`: observed, never taken back for the old request.
    await c.movePrimary(from);
    await until(`${to} secondary again`, () =>
      /coordinatorState primary was carried out/.test(ready(to)?.message ?? ""),
    );
    assert.equal(await c.read(c.keys.primaryNode()), from);
    assert.equal(ready(to)?.status, "True");
  });

  test("coordinatorState on a hypervisor: Stalled with PVC's reason, nothing written", async () => {
    const primary = await c.zk.get(c.keys.primaryNode());
    const written = await patch("hv3", { coordinatorState: "primary" });
    const stalledNow = () => {
      const s = node("hv3")?.status?.conditions?.find((x) => x.type === "Stalled");
      return s?.status === "True" && s.observedGeneration === written.metadata.generation;
    };
    await until("hv3 Stalled", stalledNow);
    assert.equal(ready("hv3")?.reason, "NotCoordinator");
    assert.equal(ready("hv3")?.message, "Cannot change router mode on non-coordinator node hv3");
    assert.equal((await c.zk.get(c.keys.primaryNode())).stat.mzxid, primary.stat.mzxid);
    await patch("hv3", { coordinatorState: null });
    await until("hv3 Ready again", () => readyNow("hv3"));
  });

  test("domainState flush: the node's VMs move away, flushed; ready: they come back", async () => {
    const uuid = await c.startVm("hv1");
    await patch("hv1", { domainState: "flush" });
    await until(
      "hv1 flushed and Ready",
      () => readyNow("hv1") && node("hv1")?.status?.domainState === "flushed",
    );
    const away = await c.read(c.keys.domainKey(uuid, "node"));
    assert.notEqual(away, "hv1");
    assert.equal(await c.read(c.keys.domainKey(uuid, "lastnode")), "hv1");
    assert.deepEqual(node("hv1")?.status?.runningDomains, []);

    await patch("hv1", { domainState: "ready" });
    await until("hv1 ready and Ready", () => readyNow("hv1") && node("hv1")?.status?.domainState === "ready");
    assert.equal(await c.read(c.keys.domainKey(uuid, "node")), "hv1");
    await until("hv1 runs the VM again", () => (node("hv1")?.status?.runningDomains ?? []).includes(uuid));
  });

  test("a keepalive that goes stale turns Ready false on a timer, with nothing changing in ZooKeeper", async () => {
    // Registered 24 s ago and never again: alive now, dead (PVC's 30 s) in about 6 s.
    await c.deadNode("hv8", 24);
    await until("hv8 registered and Ready", () => ready("hv8")?.status === "True");
    const keepalive = await c.zk.get(c.keys.nodeKey("hv8", "keepalive"));
    await until("hv8 Ready=False", () => ready("hv8")?.status === "False", 20_000);
    assert.equal(ready("hv8")?.reason, "KeepaliveStale");
    assert.match(ready("hv8")?.message ?? "", /last keepalive 3\d(\.\d)? s ago, more than 30 s/);
    const after = await c.zk.get(c.keys.nodeKey("hv8", "keepalive"));
    assert.equal(after.stat.mzxid, keepalive.stat.mzxid, "no write woke the controller");
  });

  test("keepalives alone do not rewrite a Node's status while the shown one is under 5 min old", async () => {
    // hv7 has no hollow node behind it: only this test writes its keys.
    await c.deadNode("hv7", 0);
    await until("hv7 registered and Ready", () => ready("hv7")?.status === "True");
    const shown = node("hv7")?.status?.keepalive ?? 0;
    const informer = c.t.app.informers.get("Node");
    let writes = 0;
    const count = (obj: { metadata: { name: string } }) => {
      if (obj.metadata.name === "hv7") writes++;
    };
    informer?.on("update", count);
    /** Node reconciles so far (every result): one has run after each write below. */
    const reconciles = async () =>
      (await c.t.app.metrics.reconciles.get()).values
        .filter((v) => v.labels.kind === "Node")
        .reduce((sum, v) => sum + v.value, 0);
    for (let i = 1; i <= 3; i++) {
      const before = await reconciles();
      await c.zk.set(c.keys.nodeKey("hv7", "keepalive"), String(shown + i));
      await c.zk.set(c.keys.nodeKey("hv7", "cpuload"), `${i}.5`);
      await until("a Node reconcile", async () => (await reconciles()) > before);
    }
    // A figure that is no keepalive's is written at once, with the newest keepalive.
    await c.zk.set(c.keys.nodeKey("hv7", "networkscount"), "7");
    await until("hv7 networksCount 7", () => node("hv7")?.status?.networksCount === 7);
    informer?.off("update", count);
    assert.equal(node("hv7")?.status?.keepalive, shown + 3);
    assert.equal(node("hv7")?.status?.cpuLoad, 3.5);
    assert.equal(writes, 1, "one status write: the networks count's, none per keepalive");
    await c.zk.deleteRecursive(c.keys.node("hv7"));
  });

  test("a node that leaves /nodes takes its Node object with it; a deleted object comes back", async () => {
    await c.deadNode("hv9", 0);
    await until("hv9 registered", () => node("hv9") !== undefined);
    await c.zk.deleteRecursive(c.keys.node("hv9"));
    await until("hv9's Node gone", () => node("hv9") === undefined);

    const uid = node("hv2")?.metadata.uid;
    await c.t.app.store.delete("Node", "hv2");
    await until("hv2 registered again", () => node("hv2") !== undefined && node("hv2")?.metadata.uid !== uid);
  });
});
