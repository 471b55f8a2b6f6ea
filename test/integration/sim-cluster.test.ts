/**
 * The hollow node simulator against the real ZooKeeper: a client (this test) writes keys the way
 * PVC's CLI does, and the hollow nodes must react the way PVC's node daemons do.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { defineDomainTree } from "../../src/pvc/domain-tree.ts";
import { type DomainChildKey, NODE_CHILD_KEYS, type PvcKeys } from "../../src/pvc/keys.ts";
import { HollowCluster } from "../../src/sim/cluster.ts";
import { parseNodeSpec } from "../../src/sim/spec.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";
import { FAST_SIM } from "../helpers/node-cluster.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

/** Polls until `read()` satisfies `ok` (tests may poll; the simulator must not). */
async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 8000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}; last value ${JSON.stringify(last)}`);
}

function domainXml(uuid: string, memMiB: number, vcpus: number): string {
  return `<domain type="kvm"><name>vm-${uuid.slice(0, 8)}</name><uuid>${uuid}</uuid><memory unit="MiB">${memMiB}</memory><vcpu>${vcpus}</vcpu><devices/></domain>`;
}

/** A test-side PVC client. */
class Client {
  constructor(
    readonly zk: ZkClient,
    readonly keys: PvcKeys,
  ) {}

  read(path: string): Promise<string> {
    return this.zk.get(path).then((r) => r.data);
  }
  node(name: string, key: (typeof NODE_CHILD_KEYS)[number]): Promise<string> {
    return this.read(this.keys.nodeKey(name, key));
  }
  state(uuid: string): Promise<string> {
    return this.read(this.keys.domainKey(uuid, "state"));
  }
  running(name: string): Promise<string[]> {
    return this.node(name, "runningdomains").then((v) => v.split(" ").filter((s) => s !== ""));
  }

  /** PVC's define_vm: every key, state=stop. */
  async define(node: string, memMiB = 1024, vcpus = 1, extra: Record<string, string> = {}): Promise<string> {
    const uuid = randomUUID();
    const tree = defineDomainTree(
      this.keys,
      {
        uuid,
        name: `vm-${uuid.slice(0, 8)}`,
        xml: domainXml(uuid, memMiB, vcpus),
        rbdList: [],
        nodeLimit: [],
      },
      { node, autostart: false },
    );
    tree.set(this.keys.domainKey(uuid, "node_selector"), "mem");
    for (const [key, data] of Object.entries(extra))
      tree.set(this.keys.domainKey(uuid, key as DomainChildKey), data);
    await this.zk.multi([...tree].map(([path, data]) => ({ op: "create" as const, path, data })));
    return uuid;
  }

  async set(uuid: string, values: Record<string, string>): Promise<void> {
    await this.zk.multi(
      Object.entries(values).map(([key, data]) => ({
        op: "set" as const,
        path: `${this.keys.domain(uuid)}/${key}`,
        data,
      })),
    );
  }

  async startOn(node: string, memMiB = 1024, vcpus = 1): Promise<string> {
    const uuid = await this.define(node, memMiB, vcpus);
    await this.set(uuid, { state: "start" });
    await eventually(
      `${uuid} running on ${node}`,
      () => this.running(node),
      (r) => r.includes(uuid),
    );
    return uuid;
  }
}

function withCluster(label: string, spec: string) {
  const ctx = {} as { zk: ZkClient; cluster: HollowCluster; c: Client; root: string };
  before(async () => {
    ctx.root = uniqueRoot(`sim-${label}`);
    ctx.zk = await ZkClient.connect({ connectString: zkConnect() });
    await ctx.zk.mkdirp(ctx.root);
    ctx.cluster = new HollowCluster({
      zk: ctx.zk,
      nodes: parseNodeSpec(spec),
      root: ctx.root,
      timings: FAST_SIM,
    });
    ctx.c = new Client(ctx.zk, ctx.cluster.keys);
    await ctx.cluster.start();
  });
  after(async () => {
    await ctx.cluster.stop();
    await ctx.zk.deleteRecursive(ctx.root);
    ctx.zk.close();
  });
  return ctx;
}

describe("hollow nodes: registration, keepalive, primary", () => {
  const t = withCluster("node", "hv1:coordinator,hv2:coordinator,hv3:hypervisor:16384:8");

  test("every node key is written; all nodes run; the first coordinator is primary", async () => {
    const { c } = t;
    for (const name of ["hv1", "hv2", "hv3"]) {
      const children = await t.zk.children(c.keys.node(name));
      assert.deepEqual(children.sort(), [...NODE_CHILD_KEYS].sort(), name);
      assert.equal(await c.node(name, "daemonstate"), "run");
      assert.equal(await c.node(name, "domainstate"), "ready");
    }
    assert.equal(await c.read(c.keys.node("hv1")), "coordinator");
    assert.equal(await c.read(c.keys.node("hv3")), "hypervisor");
    assert.equal(await c.node("hv3", "daemonmode"), "hypervisor");
    assert.match(await c.node("hv3", "staticdata"), /^8 \S+ \S+ \S+$/);
    assert.equal(await c.node("hv3", "memtotal"), "16384");
    assert.equal(await c.read(c.keys.primaryNode()), "hv1");
    assert.equal(await c.node("hv1", "routerstate"), "primary");
    assert.equal(await c.node("hv2", "routerstate"), "secondary");
    assert.equal(await c.node("hv3", "routerstate"), "client");
  });

  test("keepalive advances", async () => {
    const { c } = t;
    const first = Number(await c.node("hv2", "keepalive"));
    assert.ok(Math.abs(first - Date.now() / 1000) < 5, "epoch seconds");
    await eventually(
      "a newer keepalive",
      () => c.node("hv2", "keepalive").then(Number),
      (v) => v > first,
      3000,
    );
  });

  test("a client moving /primary_node (pvc node primary) flips routerstates", async () => {
    const { c } = t;
    await t.zk.set(c.keys.primaryNode(), "hv2");
    await eventually(
      "hv2 primary",
      () => c.node("hv2", "routerstate"),
      (v) => v === "primary",
    );
    await eventually(
      "hv1 secondary",
      () => c.node("hv1", "routerstate"),
      (v) => v === "secondary",
    );
    assert.equal(await c.node("hv3", "routerstate"), "client");
  });

  test("a client writing routerstate=primary: the node takes /primary_node, the old primary steps down", async () => {
    const { c } = t;
    await t.zk.set(c.keys.nodeKey("hv1", "routerstate"), "primary");
    await eventually(
      "/primary_node=hv1",
      () => c.read(c.keys.primaryNode()),
      (v) => v === "hv1",
    );
    await eventually(
      "hv2 secondary",
      () => c.node("hv2", "routerstate"),
      (v) => v === "secondary",
    );
  });

  test("/primary_node=none (pvc node secondary): another coordinator takes over", async () => {
    const { c } = t;
    await t.zk.set(c.keys.primaryNode(), "none");
    await eventually(
      "hv2 primary",
      () => c.read(c.keys.primaryNode()),
      (v) => v === "hv2",
    );
    await eventually(
      "hv2 routerstate",
      () => c.node("hv2", "routerstate"),
      (v) => v === "primary",
    );
    await eventually(
      "hv1 routerstate",
      () => c.node("hv1", "routerstate"),
      (v) => v === "secondary",
    );
  });
});

describe("hollow nodes: VM lifecycle", () => {
  const t = withCluster("vm", "hv1:coordinator,hv2:hypervisor,hv3:hypervisor");

  test("start: the VM runs on its node; memalloc, vcpualloc, domainscount follow its XML", async () => {
    const { c } = t;
    const uuid = await c.define("hv2", 2048, 2);
    await c.set(uuid, { state: "start" });
    await eventually(
      "listed on hv2",
      () => c.running("hv2"),
      (r) => r.includes(uuid),
    );
    assert.equal(await c.node("hv2", "memalloc"), "2048");
    assert.equal(await c.node("hv2", "vcpualloc"), "2");
    assert.equal(await c.node("hv2", "domainscount"), "1");
    assert.deepEqual(await c.running("hv3"), []);
    assert.equal(await c.state(uuid), "start");

    await c.set(uuid, { state: "stop" });
    await eventually(
      "unlisted",
      () => c.running("hv2"),
      (r) => !r.includes(uuid),
    );
    assert.equal(await c.node("hv2", "memalloc"), "0");
    assert.equal(await c.node("hv2", "domainscount"), "0");
    assert.equal(await c.state(uuid), "stop");
  });

  test("shutdown: after the grace the node sets state=stop", async () => {
    const { c } = t;
    const uuid = await c.startOn("hv3");
    await c.set(uuid, { state: "shutdown" });
    await eventually(
      "state=stop",
      () => c.state(uuid),
      (s) => s === "stop",
    );
    assert.ok(!(await c.running("hv3")).includes(uuid));
  });

  test("restart: stop, then back to start on the same node", async () => {
    const { c } = t;
    const uuid = await c.startOn("hv2");
    const seen = new Set<string>();
    await c.set(uuid, { state: "restart" });
    await eventually(
      "through stop back to start",
      async () => {
        const s = await c.state(uuid);
        seen.add(s);
        return s;
      },
      (s) => s === "start" && seen.has("stop"),
    );
    assert.ok((await c.running("hv2")).includes(uuid));
  });

  test("disable: stops like stop", async () => {
    const { c } = t;
    const uuid = await c.startOn("hv2");
    await c.set(uuid, { state: "disable" });
    await eventually(
      "unlisted",
      () => c.running("hv2"),
      (r) => !r.includes(uuid),
    );
    assert.equal(await c.state(uuid), "disable");
  });

  test("migrate: the VM leaves the source, arrives on the target, state=start", async () => {
    const { c } = t;
    const uuid = await c.startOn("hv2", 4096, 4);
    await c.set(uuid, { state: "migrate", node: "hv3", lastnode: "hv2" });
    await eventually(
      "state=start",
      () => c.state(uuid),
      (s) => s === "start",
    );
    assert.ok((await c.running("hv3")).includes(uuid));
    assert.ok(!(await c.running("hv2")).includes(uuid));
    await eventually(
      "hv3 counts it",
      () => c.node("hv3", "memalloc").then(Number),
      (m) => m >= 4096,
    );
    // unmigrate, as PVC's client writes it: state migrate, node=lastnode, lastnode=''
    await c.set(uuid, { state: "migrate", node: "hv2", lastnode: "" });
    await eventually(
      "back on hv2",
      () => c.running("hv2"),
      (r) => r.includes(uuid),
    );
    await eventually(
      "state=start",
      () => c.state(uuid),
      (s) => s === "start",
    );
    assert.ok(!(await c.running("hv3")).includes(uuid));
  });

  test("an XML the simulated libvirt cannot start: state=fail with a reason", async () => {
    const { c } = t;
    const uuid = await c.define("hv2");
    await c.set(uuid, { xml: "<domain><name>broken</name></domain>", state: "start" });
    await eventually(
      "state=fail",
      () => c.state(uuid),
      (s) => s === "fail",
    );
    assert.match(await c.read(c.keys.domainKey(uuid, "failedreason")), /memory/);
  });

  test("undefine (stop, delete, remove the keys): nodes forget the VM", async () => {
    const { c } = t;
    const uuid = await c.startOn("hv3");
    await c.set(uuid, { state: "stop" });
    await eventually(
      "unlisted",
      () => c.running("hv3"),
      (r) => !r.includes(uuid),
    );
    await c.set(uuid, { state: "delete" });
    await t.zk.deleteRecursive(c.keys.domain(uuid));
    assert.ok(!(await c.running("hv3")).includes(uuid));
    assert.equal(t.cluster.node("hv3")?.hypervisor.has(uuid), false);
  });
});

describe("hollow nodes: flush and unflush", () => {
  const t = withCluster("flush", "hv1:coordinator,hv2:hypervisor,hv3:hypervisor");

  test("flush migrates every VM away (lastnode=source) and ends in flushed; unflush brings them back", async () => {
    const { c } = t;
    const a = await c.startOn("hv1", 2048, 2);
    const b = await c.startOn("hv1", 1024, 1);
    // hv2 already carries a VM, so the mem selector sends the first flushed VM to hv3.
    await c.startOn("hv2", 4096, 2);

    await t.zk.set(c.keys.nodeKey("hv1", "domainstate"), "flush");
    await eventually(
      "flushed",
      () => c.node("hv1", "domainstate"),
      (s) => s === "flushed",
    );
    assert.deepEqual(await c.running("hv1"), []);
    assert.equal(await c.node("hv1", "memalloc"), "0");
    for (const uuid of [a, b]) {
      assert.equal(await c.state(uuid), "start");
      assert.equal(await c.read(c.keys.domainKey(uuid, "lastnode")), "hv1");
    }
    assert.equal(await c.read(c.keys.domainKey(a, "node")), "hv3");
    // a flushed node is no migration target
    assert.ok(["hv2", "hv3"].includes(await c.read(c.keys.domainKey(b, "node"))));

    await t.zk.set(c.keys.nodeKey("hv1", "domainstate"), "unflush");
    await eventually(
      "ready",
      () => c.node("hv1", "domainstate"),
      (s) => s === "ready",
    );
    assert.deepEqual((await c.running("hv1")).sort(), [a, b].sort());
    for (const uuid of [a, b]) {
      assert.equal(await c.state(uuid), "start");
      assert.equal(await c.read(c.keys.domainKey(uuid, "node")), "hv1");
      assert.equal(await c.read(c.keys.domainKey(uuid, "lastnode")), "");
    }
    assert.equal(await c.node("hv1", "memalloc"), "3072");
  });

  test("node_limit with no eligible node: flush shuts the VM down for autostart, unflush starts it", async () => {
    const { c } = t;
    const uuid = await c.define("hv2", 1024, 1, { node_limit: "hv2" });
    await c.set(uuid, { state: "start" });
    await eventually(
      "running",
      () => c.running("hv2"),
      (r) => r.includes(uuid),
    );

    await t.zk.set(c.keys.nodeKey("hv2", "domainstate"), "flush");
    await eventually(
      "flushed",
      () => c.node("hv2", "domainstate"),
      (s) => s === "flushed",
    );
    assert.equal(await c.state(uuid), "stop");
    assert.equal(await c.read(c.keys.domainKey(uuid, "node_autostart")), "True");

    await t.zk.set(c.keys.nodeKey("hv2", "domainstate"), "unflush");
    await eventually(
      "ready",
      () => c.node("hv2", "domainstate"),
      (s) => s === "ready",
    );
    await eventually(
      "started again",
      () => c.running("hv2"),
      (r) => r.includes(uuid),
    );
    assert.equal(await c.state(uuid), "start");
    assert.equal(await c.read(c.keys.domainKey(uuid, "node_autostart")), "False");
  });
});

describe("hollow nodes: stop", () => {
  test("stop() leaves the nodes registered in daemonstate=stop and gives up primary", async () => {
    const root = uniqueRoot("sim-stop");
    const zk = await ZkClient.connect({ connectString: zkConnect() });
    try {
      await zk.mkdirp(root);
      const cluster = new HollowCluster({
        zk,
        nodes: parseNodeSpec("hv1:coordinator,hv2:hypervisor"),
        root,
        timings: FAST_SIM,
      });
      await cluster.start();
      const keys = cluster.keys;
      assert.equal((await zk.get(keys.primaryNode())).data, "hv1");
      await cluster.stop();
      for (const name of ["hv1", "hv2"]) {
        assert.equal((await zk.get(keys.nodeKey(name, "daemonstate"))).data, "stop");
      }
      assert.equal((await zk.get(keys.nodeKey("hv1", "routerstate"))).data, "secondary");
      assert.equal((await zk.get(keys.primaryNode())).data, "none");
    } finally {
      await zk.deleteRecursive(root);
      zk.close();
    }
  });
});

describe("hollow nodes: ZooKeeper session loss", () => {
  test("after a session expiry the nodes catch up on what changed meanwhile and keep watching", async () => {
    const root = uniqueRoot("sim-expiry");
    const proxy = await startTcpProxy(zkConnect());
    const simZk = await ZkClient.connect({ connectString: proxy.address, sessionTimeoutMs: 4000 });
    const zk = await ZkClient.connect({ connectString: zkConnect() });
    const cluster = new HollowCluster({
      zk: simZk,
      nodes: parseNodeSpec("hv1:coordinator,hv2:hypervisor"),
      root,
      timings: { ...FAST_SIM, resyncIntervalMs: 600_000 }, // the rebuild handling, not the periodic safety net
    });
    try {
      await zk.mkdirp(root);
      await cluster.start();
      const c = new Client(zk, cluster.keys);
      const rebuilt = new Promise<void>((r) => simZk.once("rebuilt", () => r()));
      const lost = new Promise<void>((r) => simZk.once("lost", () => r()));
      proxy.cut();
      const whileAway = await c.define("hv2");
      await c.set(whileAway, { state: "start" });
      await lost;
      proxy.restore();
      await rebuilt;
      await eventually(
        "the VM started while the session was gone",
        () => c.running("hv2"),
        (r) => r.includes(whileAway),
      );
      const after = await c.startOn("hv1");
      assert.equal(await c.state(after), "start");
      await c.set(after, { state: "stop" });
      await eventually(
        "stopped",
        () => c.running("hv1"),
        (r) => !r.includes(after),
      );
    } finally {
      await cluster.stop();
      simZk.close();
      await proxy.close();
      await zk.deleteRecursive(root);
      zk.close();
    }
  });
});
