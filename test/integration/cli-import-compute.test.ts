/**
 * `pvcctl import` of a running cluster's VMs and nodes (hollow nodes, VMs defined, started,
 * migrated and stopped the way PVC's CLI does it, the primary moved), applied to a new control
 * plane: nothing under /domains changes, and no node's requests are carried out again (domainstate,
 * routerstate and /primary_node keep their versions). Then `pvcctl get nodes`, `get no` and
 * `describe node` on the Node objects the controller registered.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { load, loadAll } from "js-yaml";
import { kindControllers } from "../../controllers/index.ts";
import type { Resource } from "../../src/resources/types.ts";
import { zkConnect } from "../helpers/env.ts";
import { NodeCluster } from "../helpers/node-cluster.ts";
import { pvcctl, show } from "./cli-helpers.ts";

/** The kinds whose controllers act on this test's objects (no Ceph: the shared Ceph stays alone). */
const CONTROLLERS = kindControllers.filter((k) => ["Network", "Node", "VirtualMachine"].includes(k.kind));
const withVmController = CONTROLLERS.some((k) => k.kind === "VirtualMachine");

describe("pvcctl import of VMs and nodes", () => {
  const c = new NodeCluster("cliimportvm");
  let dir: string;
  const vms: Record<string, string> = {};
  let env: Record<string, string>;

  /** Every znode under /domains, and the request keys of every node, with their versions. */
  async function pvcKeys(): Promise<Map<string, string>> {
    const paths = [
      ...(await c.zk.listTree(c.keys.domains())),
      c.keys.primaryNode(),
      ...["hv1", "hv2", "hv3"].flatMap((n) => [
        c.keys.nodeKey(n, "domainstate"),
        c.keys.nodeKey(n, "routerstate"),
      ]),
    ];
    const out = new Map<string, string>();
    for (const path of paths) {
      const { data, stat } = await c.zk.get(path);
      out.set(path, `${stat.mzxid}/${stat.version}/${stat.cversion}=${data.slice(0, 40)}`);
    }
    return out;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pvcctl-import-vms-"));
    // The cluster as PVC's own CLI left it, before any control plane of ours.
    await c.startSim();
    vms.home = await c.startVm("hv1");
    vms.away = await c.startVm("hv2");
    await c.setDomain(vms.away, { state: "migrate", node: "hv3", lastnode: "hv2" });
    await c.runsOn(vms.away, "hv3");
    vms.stopped = await c.defineVm("hv3");
    await c.setDomain(vms.stopped, { node_limit: "hv1,hv3", node_selector: "vcpus", node_autostart: "True" });
    await c.movePrimary("hv2");
  });
  after(async () => {
    await c.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("the manifests say what the keys say", async () => {
    const imported = await pvcctl(["import", "--zk", zkConnect(), "--pvc-root", c.pvcRoot, "--out", dir]);
    assert.equal(imported.code, 0, show(imported));
    assert.match(imported.stderr, /wrote .*vms\.yaml \(3 objects\)/, show(imported));
    assert.match(imported.stderr, /wrote .*nodes\.yaml \(3 objects\)/, show(imported));
    assert.doesNotMatch(
      imported.stderr,
      /NOTE|does not validate|: (rbdlist|node_selector|profile)/,
      show(imported),
    );

    const nodes = loadAll(await readFile(join(dir, "nodes.yaml"), "utf8")) as Resource[];
    assert.deepEqual(
      nodes.map((n) => [n.metadata.name, n.spec]),
      [
        ["hv1", { coordinatorState: "secondary", domainState: "ready" }],
        ["hv2", { coordinatorState: "primary", domainState: "ready" }],
        ["hv3", { domainState: "ready" }],
      ],
    );
    const byName = new Map(
      (loadAll(await readFile(join(dir, "vms.yaml"), "utf8")) as Resource[]).map((v) => [v.metadata.name, v]),
    );
    const spec = (uuid: string) => {
      const { xml, ...rest } = byName.get(`vm-${uuid.slice(0, 8)}`)?.spec ?? {};
      assert.match(String(xml), new RegExp(`<uuid>${uuid}</uuid>`));
      return rest;
    };
    assert.deepEqual(spec(vms.home), { node: "hv1", nodeSelector: "mem", runState: "start" });
    assert.deepEqual(spec(vms.away), {
      node: "hv2",
      migration: { node: "hv3" },
      nodeSelector: "mem",
      runState: "start",
    });
    assert.deepEqual(spec(vms.stopped), {
      node: "hv3",
      nodeLimit: ["hv1", "hv3"],
      nodeSelector: "vcpus",
      autostart: true,
      runState: "stop",
    });
  });

  test("applied to a new control plane, they change nothing in ZooKeeper", async () => {
    await c.startApp(CONTROLLERS);
    await c.nodesReady();
    env = { PVCCTL_SERVER: c.url };
    const before = await pvcKeys();
    const wait = withVmController ? ["--wait", "--timeout", "60s"] : [];
    const applied = await pvcctl(["apply", "-f", dir, ...wait], env);
    assert.equal(applied.code, 0, show(applied));
    assert.match(applied.stdout, /^node\/hv2 configured$/m, show(applied));
    assert.match(applied.stdout, /^virtualmachine\/vm-\S+ created$/m, show(applied));
    await c.nodesReady();
    assert.deepEqual(await pvcKeys(), before, "no PVC key of a VM or a node request written");
    const diff = await pvcctl(["diff", "-f", dir, "--exit-code"], env);
    assert.equal(diff.code, 0, show(diff));
  });

  test("pvcctl get nodes, get no NAME -o yaml, describe node", async () => {
    const list = await pvcctl(["get", "nodes"], env);
    assert.equal(list.code, 0, show(list));
    const rows = list.stdout.trim().split("\n");
    assert.match(rows[0], /^NAME\s+READY\s+REASON\s+AGE\s+DAEMON\s+COORDINATOR\s+DOMAINS\s+REPORTED$/);
    assert.match(rows[1], /^hv1\s+True\s+NodeReady\s+\S+\s+run\s+secondary\s+ready\s+\d+s$/);
    assert.match(rows[2], /^hv2\s+True\s+NodeReady\s+\S+\s+run\s+primary\s+ready\s+\d+s$/);
    assert.match(rows[3], /^hv3\s+True\s+NodeReady\s+\S+\s+run\s+client\s+ready\s+\d+s$/);

    const one = await pvcctl(["get", "no", "hv3", "-o", "yaml"], env);
    assert.equal(one.code, 0, show(one));
    const hv3 = load(one.stdout) as Resource;
    assert.equal(hv3.status?.daemonMode, "hypervisor");
    assert.deepEqual(hv3.status?.runningDomains, [vms.away]);

    const page = await pvcctl(["describe", "node", "hv1"], env);
    assert.equal(page.code, 0, show(page));
    assert.match(page.stdout, /registered-by=node-controller/);
    assert.match(page.stdout, /daemonState: run/);
    assert.match(page.stdout, /Ready\s+True\s+NodeReady/);
    assert.match(page.stdout, /Registered\s+1\s+Registered from \S+\/nodes\/hv1/);
  });
});
