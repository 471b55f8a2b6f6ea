/**
 * /api/v1/node over real HTTP, ZooKeeper and hollow nodes (a PVC root of the test's own): PVC
 * v0.6's shapes, fuzzy `limit` and exact element GETs, the state GETs, coordinator handover
 * (the primary moves; re-setting changes nothing; a hypervisor or a stopped daemon is refused with
 * v0.6's message and 510), flush and ready (the VMs move away and come back), and bad values.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { nodeController } from "../../controllers/node/controller.ts";
import type { NodeFigures } from "../../src/resources/statuses.ts";
import { expectV1, until, v1Call } from "../helpers/api-app.ts";
import { NodeCluster } from "../helpers/node-cluster.ts";

describe("/api/v1/node", () => {
  const c = new NodeCluster("nodefacade");
  const get = (path: string, values: Record<string, string> = {}) => v1Call(c.url, "GET", path, values);
  const post = (path: string, values: Record<string, string> = {}) => v1Call(c.url, "POST", path, values);
  const generation = (name: string) => c.t.app.informers.get("Node")?.get(name)?.metadata.generation;
  const names = (body: unknown) => (body as { name: string }[]).map((n) => n.name);

  before(async () => {
    await c.start([nodeController]);
    await c.nodesReady();
  });
  after(() => c.stop());

  test("GET /node: every node in v0.6's shape, from the node's own keys", async () => {
    const r = await get("/node");
    assert.equal(r.status, 200);
    assert.deepEqual(names(r.body), ["hv1", "hv2", "hv3"]);
    const hv3 = (r.body as Record<string, unknown>[])[2];
    const key = (k: Parameters<typeof c.keys.nodeKey>[1]) => c.read(c.keys.nodeKey("hv3", k));
    const [cpus, kernel, os, arch] = (await key("staticdata")).split(" ");
    assert.deepEqual(Object.keys(hv3).sort(), [
      "arch",
      "coordinator_state",
      "cpu_count",
      "daemon_state",
      "domain_state",
      "domains_count",
      "kernel",
      "load",
      "memory",
      "name",
      "os",
      "running_domains",
      "vcpu",
    ]);
    assert.deepEqual(
      { ...hv3, load: undefined },
      {
        name: "hv3",
        daemon_state: "run",
        coordinator_state: "client",
        domain_state: "ready",
        cpu_count: Number(cpus),
        kernel,
        os,
        arch,
        load: undefined,
        domains_count: 0,
        running_domains: [],
        vcpu: { total: 32, allocated: 0 },
        memory: {
          total: 65536,
          allocated: 0,
          used: Number(await key("memused")),
          free: Number(await key("memfree")),
        },
      },
    );
    assert.equal(typeof hv3.load, "number");
  });

  test("load and free/used memory are the node's latest, though the Node's status reports them seldom", async () => {
    // hv6 has no hollow node behind it: only this test writes its keys.
    await c.deadNode("hv6", 0);
    const status = () => c.t.app.informers.get("Node")?.get("hv6")?.status as NodeFigures | undefined;
    // The Node object appears before its controller first reports the node's figures: wait for that
    // report, or it may be made after the writes below and carry them (as CI once saw).
    await until("hv6's figures reported", () => status()?.memory?.freeMiB === 7680);
    const shown = status()?.keepalive ?? 0;
    await c.zk.set(c.keys.nodeKey("hv6", "cpuload"), "7.25");
    await c.zk.set(c.keys.nodeKey("hv6", "memfree"), "6000");
    await c.zk.set(c.keys.nodeKey("hv6", "memused"), "2192");
    await c.zk.set(c.keys.nodeKey("hv6", "keepalive"), String(shown + 5));
    await until("GET /node/hv6 shows the new load", async () => {
      const [hv6] = (await get("/node/hv6")).body as { load: number }[];
      return hv6.load === 7.25;
    });
    const [hv6] = (await get("/node/hv6")).body as { memory: Record<string, number> }[];
    assert.deepEqual(hv6.memory, { total: 8192, allocated: 0, used: 2192, free: 6000 });
    assert.notEqual(status()?.cpuLoad, 7.25, "a keepalive alone wrote no status");
    assert.equal(status()?.memory?.freeMiB, 7680);
    await c.zk.deleteRecursive(c.keys.node("hv6"));
    await until("hv6's Node gone", () => c.t.app.informers.get("Node")?.get("hv6") === undefined);
  });

  test("limit is PVC's fuzzy regex; /node/<node> is exact; unknown: 404 Node not found.", async () => {
    assert.deepEqual(names((await get("/node", { limit: "hv" })).body), ["hv1", "hv2", "hv3"]);
    assert.deepEqual(names((await get("/node", { limit: "2" })).body), ["hv2"]);
    assert.deepEqual(names((await get("/node", { limit: "^hv[13]$" })).body), ["hv1", "hv3"]);
    expectV1(await get("/node", { limit: "nothere" }), 404, "Node not found.");
    expectV1(await get("/node", { limit: "(" }), 400, /Regex Error/);
    const one = await get("/node/hv2");
    assert.equal(one.status, 200);
    assert.deepEqual(names(one.body), ["hv2"]);
    expectV1(await get("/node/hv"), 404, "Node not found.");
  });

  test("the state GETs", async () => {
    assert.deepEqual((await get("/node/hv3/daemon-state")).body, { name: "hv3", daemon_state: "run" });
    assert.deepEqual((await get("/node/hv3/coordinator-state")).body, {
      name: "hv3",
      coordinator_state: "client",
    });
    assert.deepEqual((await get("/node/hv3/domain-state")).body, { name: "hv3", domain_state: "ready" });
    for (const what of ["daemon-state", "coordinator-state", "domain-state"])
      expectV1(await get(`/node/hv7/${what}`), 404, "Node not found.");
  });

  test("coordinator-state: the primary moves; re-setting changes nothing; asked again, it moves again", async () => {
    const primary = await c.read(c.keys.primaryNode());
    const other = primary === "hv1" ? "hv2" : "hv1";
    const to = (state: string, node: string) =>
      post(`/node/${node}/coordinator-state`, { "coordinator-state": state });

    expectV1(await to("primary", other), 200, `Setting node ${other} in primary router mode.`);
    assert.equal(await c.read(c.keys.primaryNode()), other);
    assert.deepEqual((await get(`/node/${other}/coordinator-state`)).body, {
      name: other,
      coordinator_state: "primary",
    });

    const stat = (await c.zk.get(c.keys.primaryNode())).stat;
    const gen = generation(other);
    expectV1(await to("primary", other), 510, `Node '${other}' is already in primary router mode.`);
    expectV1(await to("secondary", primary), 510, `Node '${primary}' is already in secondary router mode.`);
    assert.equal((await c.zk.get(c.keys.primaryNode())).stat.mzxid, stat.mzxid);
    assert.equal(generation(other), gen);

    // PVC's CLI moves it back behind our back; asking for `other` again is a new request.
    await c.movePrimary(primary);
    await until(
      `${other} secondary`,
      async () =>
        ((await get(`/node/${other}/coordinator-state`)).body as { coordinator_state: string })
          .coordinator_state === "secondary",
    );
    expectV1(await to("primary", other), 200, `Setting node ${other} in primary router mode.`);
    assert.equal(await c.read(c.keys.primaryNode()), other);

    // Secondary: the node gives it up and the other coordinator takes it.
    expectV1(await to("secondary", other), 200, `Setting node ${other} in secondary router mode.`);
    await until(`${primary} primary again`, async () => (await c.read(c.keys.primaryNode())) === primary);
  });

  test("coordinator-state refused as v0.6 refuses it, with nothing stored", async () => {
    const gen = generation("hv3");
    const set = (node: string, values: Record<string, string>) =>
      post(`/node/${node}/coordinator-state`, values);
    expectV1(
      await set("hv3", { "coordinator-state": "primary" }),
      510,
      "ERROR: Cannot change router mode on non-coordinator node 'hv3'",
    );
    assert.equal(generation("hv3"), gen);
    expectV1(
      await set("hv7", { "coordinator-state": "primary" }),
      510,
      "ERROR: No node named 'hv7' is present in the cluster.",
    );
    expectV1(await set("hv1", {}), 510, "ERROR: A coordinator-state must be specified.");
    expectV1(
      await set("hv1", { "coordinator-state": "client" }),
      510,
      "ERROR: coordinator-state must be one of: primary, secondary (got 'client').",
    );
    await c.deadNode("hv6", 0, { mode: "coordinator", daemonState: "stop" });
    await until("hv6 registered", () => generation("hv6") !== undefined);
    expectV1(await set("hv6", { "coordinator-state": "primary" }), 510, "ERROR: Node 'hv6' is not active");
    assert.notEqual(await c.read(c.keys.primaryNode()), "hv6");
  });

  test("domain-state flush: answered once flushed, the VMs moved away; ready: back", async () => {
    const uuid = await c.startVm("hv3");
    const set = (state: string) => post("/node/hv3/domain-state", { "domain-state": state });
    expectV1(await set("flush"), 200, "Flushed hypervisor hv3 of running VMs.");
    assert.deepEqual((await get("/node/hv3/domain-state")).body, { name: "hv3", domain_state: "flushed" });
    assert.notEqual(await c.read(c.keys.domainKey(uuid, "node")), "hv3");
    assert.equal(await c.read(c.keys.domainKey(uuid, "lastnode")), "hv3");

    const stat = (await c.zk.get(c.keys.nodeKey("hv3", "domainstate"))).stat;
    expectV1(await set("flush"), 200, "Flushed hypervisor hv3 of running VMs.");
    assert.equal((await c.zk.get(c.keys.nodeKey("hv3", "domainstate"))).stat.mzxid, stat.mzxid);

    expectV1(await set("ready"), 200, "Restored hypervisor hv3 to active service.");
    assert.deepEqual((await get("/node/hv3/domain-state")).body, { name: "hv3", domain_state: "ready" });
    assert.equal(await c.read(c.keys.domainKey(uuid, "node")), "hv3");

    expectV1(
      await post("/node/hv3/domain-state", { "domain-state": "flushed" }),
      510,
      "ERROR: domain-state must be one of: flush, ready (got 'flushed').",
    );
    expectV1(await post("/node/hv3/domain-state"), 510, "ERROR: A domain-state must be specified.");
    expectV1(
      await post("/node/hv7/domain-state", { "domain-state": "flush" }),
      510,
      "ERROR: No node named 'hv7' is present in the cluster.",
    );
  });
});
