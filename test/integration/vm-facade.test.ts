/**
 * Every /api/v1/vm endpoint over real HTTP, on the real app (store, informers, the VirtualMachine
 * controller), the real ZooKeeper and hollow nodes of this file's own (a HollowCluster on this
 * file's PVC root): status codes, PVC v0.6's shapes and messages, and after each step exactly the
 * keys docs/pvc-zookeeper-layout.md lists under `/domains/<uuid>` with the values PVC would hold.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { vmController } from "../../controllers/vm/controller.ts";
import type { VirtualMachine } from "../../src/resources/specs.ts";
import { HollowCluster } from "../../src/sim/cluster.ts";
import { parseNodeSpec } from "../../src/sim/spec.ts";
import type { ZkClient } from "../../src/zk/client.ts";
import { expectV1, testConfig, until, useTestApp, v1Call } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";
import { pvcctl, show } from "./cli-helpers.ts";

const NODES =
  "hv1:coordinator:32768:16,hv2:coordinator:16384:8,hv3:hypervisor:65536:32,hv4:hypervisor:8192:8";

function domainXml(name: string, uuid: string, extra = "", memMiB = 1024): string {
  return `<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <description>test VM ${name}</description>
  <memory unit='MiB'>${memMiB}</memory>
  <vcpu>2</vcpu>
  <cpu><topology sockets='1' cores='2' threads='1'/></cpu>
  <os><type arch='x86_64' machine='pc-i440fx-2.7'>hvm</type></os>
  <features><acpi/><apic/></features>
  <devices>
    <emulator>/usr/bin/kvm</emulator>
    <controller type='scsi' index='0' model='virtio-scsi'/>
    <controller type='usb' index='0'/>
    <console type='pty'/>${extra}
  </devices>
</domain>`;
}

describe("/api/v1/vm facade", () => {
  const root = uniqueRoot("vmfacade");
  const pvcRoot = `${root}/pvc`;
  let zk: ZkClient;
  let cluster: HollowCluster;
  // Registered before useTestApp's `after`: the hollow nodes stop while the app's ZooKeeper client is open.
  after(async () => {
    await cluster?.stop();
  });
  const t = useTestApp(
    root,
    () =>
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = pvcRoot;
        c.reconciler.facadeWaitTimeoutMs = 10_000;
      }),
    {
      kindControllers: [vmController],
      settings: { vmTimings: { shutdownTimeoutMs: 5000, stopConfirmMs: 3000 } },
    },
  );

  const call = (method: string, path: string, values: Record<string, string> = {}, asForm = false) =>
    v1Call(t.app.url, method, path, values, asForm);
  const vm = (name: string) => t.app.informers.get("VirtualMachine")?.get(name) as VirtualMachine | undefined;
  const domainsRoot = `${pvcRoot}/domains`;

  /** Exactly the keys of /domains/<uuid>, relative → value. */
  async function domainKeys(uuid: string): Promise<Record<string, string>> {
    const base = `${domainsRoot}/${uuid}`;
    const out: Record<string, string> = {};
    for (const p of await zk.listTree(base))
      out[p === base ? "" : p.slice(base.length + 1)] = (await zk.get(p)).data;
    return out;
  }

  /** The layout doc's keys of a domain, with the values given (the rest as PVC's define leaves them). */
  function expected(name: string, xml: string, values: Record<string, string>): Record<string, string> {
    const base: Record<string, string> = {
      "": name,
      state: "stop",
      lastnode: "",
      node_limit: "",
      node_selector: "",
      node_autostart: "False",
      failedreason: "",
      consolelog: "",
      rbdlist: "",
      profile: "",
      xml,
    };
    return { ...base, ...values };
  }

  async function domainUuids(): Promise<string[]> {
    return (await zk.children(domainsRoot)).sort();
  }

  async function running(node: string): Promise<string[]> {
    return (await zk.get(`${pvcRoot}/nodes/${node}/runningdomains`)).data.split(" ").filter((s) => s !== "");
  }

  const isRunning = (name: string) =>
    vm(name)?.status?.conditions?.some((c) => c.type === "Running" && c.status === "True") === true;

  /** Defines a VM through the facade (stopped, as PVC's define leaves it); returns its uuid. */
  async function define(name: string, values: Record<string, string> = {}, extra = ""): Promise<string> {
    const uuid = randomUUID();
    const r = await call("POST", "/vm", { xml: domainXml(name, uuid, extra), ...values }, true);
    expectV1(r, 200, `Added new VM with Name '${name}' and UUID '${uuid}' to database.`);
    return uuid;
  }

  async function startAndWait(name: string): Promise<void> {
    expectV1(await call("POST", `/vm/${name}/state`, { state: "start" }), 200, `Starting VM '${name}'.`);
    await until(`${name} running`, () => isRunning(name));
  }

  /** Writes a node's placement figures (the hollow nodes only rewrite them on a keepalive or a start/stop). */
  async function figures(node: string, f: Record<string, string>): Promise<void> {
    await zk.multi(
      Object.entries(f).map(([k, data]) => ({
        op: "set" as const,
        path: `${pvcRoot}/nodes/${node}/${k}`,
        data,
      })),
    );
  }

  before(async () => {
    zk = t.app.zk;
    cluster = new HollowCluster({
      zk,
      nodes: parseNodeSpec(NODES),
      root: pvcRoot,
      // A long keepalive: the figures a test writes stay until a VM starts or stops.
      timings: {
        keepaliveIntervalMs: 600_000,
        shutdownGraceMs: 150,
        migrateDelayMs: 30,
        restartDelayMs: 50,
        pollMs: 200,
      },
    });
    await cluster.start();
    await zk.mkdirp(`${pvcRoot}/networks`);
    await zk.mkdirp(`${pvcRoot}/ceph/volumes`);
  });

  test("POST /vm refuses bad input with 510 and PVC's message, writing nothing", async () => {
    const uuid = randomUUID();
    const cases: Array<[Record<string, string>, string | RegExp]> = [
      [{}, "ERROR: A Libvirt XML document must be specified."],
      [
        { xml: "<domain><name>x</name>" },
        /^ERROR: XML is malformed or incorrect: element <domain> is not closed/,
      ],
      [{ xml: "<vm/>" }, /^ERROR: XML is malformed or incorrect: root element is <vm>, expected <domain>/],
      [{ xml: '<!DOCTYPE d [<!ENTITY a "b">]><domain/>' }, /^ERROR: XML is malformed or incorrect: DOCTYPE/],
      [{ xml: domainXml("bad1", uuid.toUpperCase()) }, /lowercase RFC 4122 UUID/],
      [
        { xml: domainXml("bad1", uuid), selector: "fastest" },
        "ERROR: Selector 'fastest' is not valid: use one of mem, vcpus, load, vms.",
      ],
      [{ xml: domainXml("has space", uuid) }, /^ERROR: .*metadata\/name.*\(got "has space"\)/],
    ];
    for (const [values, message] of cases) expectV1(await call("POST", "/vm", values, true), 510, message);
    assert.deepEqual(await domainUuids(), []);
    assert.equal(vm("bad1"), undefined);
  });

  test("POST /vm: each selector picks the node the figures say; a named node is used if valid; limit ignores names that are no node", async () => {
    // mem: most memory not allocated (used + free - alloc); vcpus: fewest allocated; load: least cpuload; vms: fewest domains.
    await figures("hv1", {
      memused: "2048",
      memfree: "30720",
      memalloc: "24576",
      vcpualloc: "1",
      cpuload: "2.0",
      domainscount: "4",
    });
    await figures("hv2", {
      memused: "2048",
      memfree: "14336",
      memalloc: "4096",
      vcpualloc: "6",
      cpuload: "0.25",
      domainscount: "2",
    });
    await figures("hv3", {
      memused: "4096",
      memfree: "61440",
      memalloc: "40960",
      vcpualloc: "9",
      cpuload: "1.5",
      domainscount: "5",
    });
    await figures("hv4", {
      memused: "1024",
      memfree: "7168",
      memalloc: "0",
      vcpualloc: "3",
      cpuload: "0.9",
      domainscount: "0",
    });
    const cases: Array<[string, Record<string, string>, string]> = [
      ["sel-mem", { selector: "mem" }, "hv3"],
      ["sel-vcpus", { selector: "vcpus" }, "hv1"],
      ["sel-load", { selector: "load" }, "hv2"],
      ["sel-vms", { selector: "vms" }, "hv4"],
      ["sel-default", {}, "hv3"],
      ["sel-node", { node: "hv4" }, "hv4"],
      ["sel-badnode", { node: "hv9" }, "hv3"],
      ["sel-limit", { limit: "hv1,hv2,nope" }, "hv2"],
      ["sel-outside", { node: "hv3", limit: "hv1" }, "hv1"],
    ];
    for (const [name, values, node] of cases) {
      const uuid = await define(name, values);
      assert.equal(vm(name)?.status?.node, node, name);
      const limit = name === "sel-limit" ? "hv1,hv2" : name === "sel-outside" ? "hv1" : "";
      assert.deepEqual(
        await domainKeys(uuid),
        expected(name, vm(name)?.spec.xml as string, {
          node,
          node_limit: limit,
          node_selector: values.selector ?? "",
        }),
        name,
      );
    }
    for (const [name] of cases)
      expectV1(await call("DELETE", `/vm/${name}`), 200, `Undefined VM '${name}' from the cluster.`);
    assert.deepEqual(await domainUuids(), []);
  });

  test("POST /vm: a name or uuid in use is refused with PVC's message, also for a domain no resource manages", async () => {
    const uuid = await define("dup1");
    const xml = vm("dup1")?.spec.xml as string;
    const taken = (name: string, u: string) =>
      `ERROR: Specified VM '${name}' or UUID '${u}' matches an existing VM on the cluster`;
    expectV1(await call("POST", "/vm", { xml }, true), 510, taken("dup1", uuid));
    expectV1(await call("POST", "/vm", { xml: domainXml("dup2", uuid) }, true), 510, taken("dup2", uuid));
    // A domain PVC's own CLI defined: its name is taken although no resource says so.
    const other = randomUUID();
    await zk.mkdirp(`${domainsRoot}/${other}`);
    await zk.set(`${domainsRoot}/${other}`, "legacy1");
    const fresh = randomUUID();
    expectV1(
      await call("POST", "/vm", { xml: domainXml("legacy1", fresh) }, true),
      510,
      taken("legacy1", fresh),
    );
    await until("the refused VM taken back", () => vm("legacy1") === undefined);
    assert.deepEqual(await domainUuids(), [uuid, other].sort());
    await zk.deleteRecursive(`${domainsRoot}/${other}`);
    expectV1(await call("DELETE", `/vm/${uuid}`), 200, "Undefined VM 'dup1' from the cluster.");
  });

  test("POST /vm without a <uuid>: one is generated and written into the XML; PUT without one keeps the VM's", async () => {
    const noUuid = domainXml("gen1", "x").replace("<uuid>x</uuid>", "");
    const r = await call("POST", "/vm", { xml: noUuid }, true);
    const m = /^Added new VM with Name 'gen1' and UUID '([0-9a-f-]{36})' to database\.$/.exec(
      (r.body as { message: string }).message,
    );
    assert.ok(m, JSON.stringify(r.body));
    const uuid = m[1];
    assert.deepEqual(await domainUuids(), [uuid]);
    const stored = (await zk.get(`${domainsRoot}/${uuid}/xml`)).data;
    assert.match(stored, new RegExp(`<name>gen1</name>\\s*<uuid>${uuid}</uuid>`));
    assert.match(stored, /<memory unit="MiB">1024<\/memory>/);
    const bigger = noUuid.replace(">1024<", ">2048<");
    expectV1(
      await call("PUT", "/vm/gen1", { xml: bigger }, true),
      200,
      "Successfully modified configuration of VM 'gen1'.",
    );
    assert.match(
      (await zk.get(`${domainsRoot}/${uuid}/xml`)).data,
      new RegExp(`<uuid>${uuid}</uuid>[\\s\\S]*2048`),
    );
    expectV1(await call("DELETE", "/vm/gen1"), 200, "Undefined VM 'gen1' from the cluster.");
  });

  test("GET /vm, /vm/<vm> by name or uuid, fuzzy limit: PVC v0.6's shape", async () => {
    // vmbr77: a network PVC has (the controller checks that the networks a VM joins exist).
    await zk.mkdirp(`${pvcRoot}/networks/77`);
    const devices =
      "\n    <disk type='file' device='disk'><source file='/srv/a.img'/><target dev='vda' bus='virtio'/></disk>" +
      "\n    <interface type='bridge'><mac address='52:54:00:12:34:56'/><source bridge='vmbr77'/><model type='virtio'/></interface>";
    const uuid = await define("shape1", { limit: "hv1,hv2", selector: "vcpus", autostart: "" }, devices);
    const one = await call("GET", "/vm/shape1");
    assert.equal(one.status, 200);
    const [info] = one.body as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(info).sort(), [
      "arch",
      "console",
      "controllers",
      "description",
      "disks",
      "emulator",
      "failed_reason",
      "features",
      "last_node",
      "machine",
      "memory",
      "migrated",
      "name",
      "networks",
      "node",
      "node_autostart",
      "node_limit",
      "node_selector",
      "profile",
      "state",
      "type",
      "uuid",
      "vcpu",
      "vcpu_topology",
      "xml",
    ]);
    assert.deepEqual(
      { ...info, xml: undefined, node: undefined },
      {
        name: "shape1",
        uuid,
        state: "stop",
        node: undefined,
        last_node: "",
        migrated: "no",
        failed_reason: "",
        node_limit: ["hv1", "hv2"],
        node_selector: "vcpus",
        node_autostart: true,
        description: "test VM shape1",
        profile: "",
        memory: 1024,
        vcpu: 2,
        vcpu_topology: "1/2/1",
        type: "hvm",
        arch: "x86_64",
        machine: "pc-i440fx-2.7",
        console: "pty",
        emulator: "/usr/bin/kvm",
        features: ["acpi", "apic"],
        disks: [{ type: "file", name: "/srv/a.img", dev: "vda", bus: "virtio" }],
        networks: [{ type: "bridge", mac: "52:54:00:12:34:56", source: "vmbr77", model: "virtio" }],
        controllers: [
          { type: "scsi", model: "virtio-scsi" },
          { type: "usb", model: null },
        ],
        xml: undefined,
      },
    );
    assert.equal(info.xml, vm("shape1")?.spec.xml);
    assert.deepEqual((await call("GET", `/vm/${uuid}`)).body, one.body);
    assert.deepEqual((await call("GET", "/vm", { limit: "hape" })).body, one.body);
    assert.deepEqual((await call("GET", "/vm", { limit: uuid.slice(4, 12) })).body, one.body);
    expectV1(await call("GET", "/vm", { limit: "^hape" }), 404, "VM not found.");
    expectV1(await call("GET", "/vm/shape"), 404, "VM not found.");
    expectV1(await call("GET", "/vm", { limit: "(" }), 400, /^Regex Error/);
    assert.deepEqual((await call("GET", "/vm/shape1/state")).body, { name: "shape1", state: "stop" });
    assert.deepEqual((await call("GET", "/vm/shape1/node")).body, {
      name: "shape1",
      node: info.node,
      last_node: "",
    });
    expectV1(await call("DELETE", "/vm/shape1"), 200, "Undefined VM 'shape1' from the cluster.");
  });

  test("state: start runs it on its node; restart; shutdown (graceful); stop; PVC's refusals", async () => {
    const uuid = await define("run1", { node: "hv2" });
    const xml = vm("run1")?.spec.xml as string;
    await startAndWait("run1");
    assert.ok((await running("hv2")).includes(uuid));
    assert.deepEqual(await domainKeys(uuid), expected("run1", xml, { node: "hv2", state: "start" }));
    // The whole list (kept as bytes between changes) shows the change at once.
    const all = (await call("GET", "/vm")).body as Array<Record<string, unknown>>;
    assert.deepEqual(
      all.map((i) => [i.name, i.state]),
      [["run1", "start"]],
    );
    expectV1(await call("POST", "/vm/run1/state", { state: "start" }), 200, "Starting VM 'run1'.");
    expectV1(await call("POST", "/vm/run1/state", { state: "restart" }), 200, "Restarting VM 'run1'.");
    await until("restarted", async () => vm("run1")?.status?.state === "start" && isRunning("run1"));
    expectV1(await call("POST", "/vm/run1/state", { state: "shutdown" }), 200, "Shutting down VM 'run1'.");
    await until("shut down by the node", () => vm("run1")?.status?.state === "stop");
    assert.ok(!(await running("hv2")).includes(uuid));
    assert.deepEqual(await domainKeys(uuid), expected("run1", xml, { node: "hv2", state: "stop" }));
    expectV1(
      await call("POST", "/vm/run1/state", { state: "restart" }),
      510,
      "ERROR: VM 'run1' is not in 'start' state!",
    );
    expectV1(
      await call("POST", "/vm/run1/state", { state: "pause" }),
      510,
      "ERROR: State 'pause' is not valid: use one of start, shutdown, stop, restart.",
    );
    expectV1(await call("POST", "/vm/run1/state"), 510, "ERROR: A state must be specified.");
    await startAndWait("run1");
    expectV1(await call("POST", "/vm/run1/state", { state: "stop" }), 200, "Forcibly stopping VM 'run1'.");
    await until("stopped", async () => !(await running("hv2")).includes(uuid));
    // Stopped behind our back (pvc vm stop), then started again through the facade: the start is carried out.
    await startAndWait("run1");
    await zk.set(`${domainsRoot}/${uuid}/state`, "stop");
    await until("the node's stop observed", () => vm("run1")?.status?.state === "stop" && !isRunning("run1"));
    assert.equal(
      await zk.get(`${domainsRoot}/${uuid}/state`).then((r) => r.data),
      "stop",
      "a node-written state is never repaired",
    );
    await startAndWait("run1");
    expectV1(
      await call("POST", "/vm/nope/state", { state: "start" }),
      510,
      "ERROR: Could not find VM 'nope' in the cluster!",
    );
    expectV1(await call("DELETE", "/vm/run1"), 200, "Undefined VM 'run1' from the cluster.");
    assert.deepEqual(await domainUuids(), []);
    assert.ok(!(await running("hv2")).includes(uuid));
  });

  test("node: migrate, refusals, force, unmigrate, permanent move; keys after each", async () => {
    const uuid = await define("mig1", { node: "hv3" });
    const xml = vm("mig1")?.spec.xml as string;
    await startAndWait("mig1");
    const at = async (node: string, lastnode: string) => {
      await until(
        `mig1 running on ${node}`,
        async () =>
          vm("mig1")?.status?.node === node && isRunning("mig1") && (await running(node)).includes(uuid),
      );
      assert.equal(vm("mig1")?.status?.lastNode, lastnode);
      const values = { node, lastnode, state: "start" };
      assert.deepEqual(
        await domainKeys(uuid),
        expected(
          "mig1",
          xml,
          vm("mig1")?.spec.nodeLimit.length
            ? { ...values, node_limit: vm("mig1")?.spec.nodeLimit.join(",") as string }
            : values,
        ),
      );
    };
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "migrate", node: "hv1" }),
      200,
      "Migrating VM 'mig1' to node 'hv1'.",
    );
    await at("hv1", "hv3");
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "migrate", node: "hv2" }),
      510,
      "ERROR: VM 'mig1' has been previously migrated.",
    );
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "migrate", node: "hv2", force: "" }),
      200,
      "Migrating VM 'mig1' to node 'hv2'.",
    );
    await at("hv2", "hv3");
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "unmigrate" }),
      200,
      "Unmigrating VM 'mig1' back to node 'hv3'.",
    );
    await at("hv3", "");
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "unmigrate" }),
      510,
      "ERROR: VM 'mig1' has not been previously migrated.",
    );
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "migrate", node: "hv3" }),
      510,
      "ERROR: VM 'mig1' is already running on node 'hv3'.",
    );
    expectV1(
      await call("POST", "/vm/mig1", { limit: "hv3,hv4" }),
      200,
      "Successfully modified PVC metadata of VM 'mig1'.",
    );
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "migrate", node: "hv1" }),
      510,
      "ERROR: Specified node 'hv1' is not in the allowed list of nodes for VM 'mig1'.",
    );
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "jump" }),
      510,
      "ERROR: Action 'jump' is not valid: use 'migrate' or 'unmigrate'.",
    );
    // No node named: the selector's choice within the limit, never the current node.
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "migrate" }),
      200,
      "Migrating VM 'mig1' to node 'hv4'.",
    );
    await at("hv4", "hv3");
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "unmigrate" }),
      200,
      "Unmigrating VM 'mig1' back to node 'hv3'.",
    );
    await at("hv3", "");
    expectV1(
      await call("POST", "/vm/mig1/node", { action: "migrate", node: "hv4", permanent: "" }),
      200,
      "Permanently migrating VM 'mig1' to node 'hv4'.",
    );
    await at("hv4", "");
    assert.equal(vm("mig1")?.spec.node, "hv4");
    expectV1(await call("DELETE", "/vm/mig1"), 200, "Undefined VM 'mig1' from the cluster.");
  });

  test("a node flush moves its VMs away (lastnode kept) and its return to ready brings them back; the controller never undoes it", async () => {
    const uuid = await define("fl1", { node: "hv4" });
    await startAndWait("fl1");
    await zk.set(`${pvcRoot}/nodes/hv4/domainstate`, "flush");
    await until(
      "hv4 flushed",
      async () => (await zk.get(`${pvcRoot}/nodes/hv4/domainstate`)).data === "flushed",
    );
    await until("fl1 moved away", () => vm("fl1")?.status?.node !== "hv4" && isRunning("fl1"));
    assert.equal(vm("fl1")?.status?.lastNode, "hv4");
    assert.equal((await zk.get(`${domainsRoot}/${uuid}/lastnode`)).data, "hv4");
    assert.deepEqual(await running("hv4"), []);
    await zk.set(`${pvcRoot}/nodes/hv4/domainstate`, "unflush");
    await until("hv4 ready", async () => (await zk.get(`${pvcRoot}/nodes/hv4/domainstate`)).data === "ready");
    await until("fl1 back home", async () => vm("fl1")?.status?.node === "hv4" && isRunning("fl1"));
    assert.equal(vm("fl1")?.status?.lastNode, "");
    assert.ok((await running("hv4")).includes(uuid));
    expectV1(await call("DELETE", "/vm/fl1"), 200, "Undefined VM 'fl1' from the cluster.");
  });

  test("PUT replaces the XML (restart restarts it with it); POST sets PVC's metadata", async () => {
    const uuid = await define("upd1", { node: "hv1" });
    await startAndWait("upd1");
    const xml2 = domainXml("upd1", uuid, "", 2048);
    expectV1(
      await call("PUT", "/vm/upd1", { xml: xml2 }, true),
      200,
      "Successfully modified configuration of VM 'upd1'.",
    );
    assert.equal((await zk.get(`${domainsRoot}/${uuid}/xml`)).data, xml2);
    assert.equal((await zk.get(`${domainsRoot}/${uuid}/state`)).data, "start");
    const xml3 = domainXml("upd1", uuid, "", 3072);
    expectV1(
      await call("PUT", "/vm/upd1", { xml: xml3, restart: "" }, true),
      200,
      "Successfully modified configuration of VM 'upd1'.",
    );
    await until(
      "restarted with 3 GiB",
      async () => (await zk.get(`${pvcRoot}/nodes/hv1/memalloc`)).data === "3072" && isRunning("upd1"),
    );
    expectV1(
      await call("PUT", "/vm/upd1", { xml: domainXml("upd1", randomUUID()) }, true),
      510,
      /^ERROR: The XML's UUID '.*' is not VM 'upd1''s \('.*'\); a VM's UUID cannot change\.$/,
    );
    expectV1(
      await call("PUT", "/vm/upd1", { xml: domainXml("other", uuid) }, true),
      510,
      /<name> is "other" but metadata\.name is "upd1"/,
    );
    expectV1(
      await call("PUT", "/vm/upd1", { xml: "<domain>" }, true),
      510,
      /^ERROR: XML is malformed or incorrect/,
    );
    expectV1(await call("PUT", "/vm/upd1"), 510, "ERROR: A Libvirt XML document must be specified.");
    assert.equal((await zk.get(`${domainsRoot}/${uuid}/xml`)).data, xml3);

    expectV1(
      await call("POST", "/vm/upd1", { limit: "hv1,hv9", selector: "vms", autostart: "" }),
      200,
      "Successfully modified PVC metadata of VM 'upd1'.",
    );
    assert.deepEqual(
      await domainKeys(uuid),
      expected("upd1", xml3, {
        node: "hv1",
        state: "start",
        node_limit: "hv1",
        node_selector: "vms",
        node_autostart: "True",
      }),
    );
    expectV1(
      await call("POST", "/vm/upd1", { "no-autostart": "" }),
      200,
      "Successfully modified PVC metadata of VM 'upd1'.",
    );
    assert.equal((await zk.get(`${domainsRoot}/${uuid}/node_autostart`)).data, "False");
    expectV1(
      await call("POST", "/vm/upd1"),
      510,
      "ERROR: At least one of 'limit', 'selector', 'autostart' or 'no-autostart' must be specified.",
    );
    expectV1(
      await call("POST", "/vm/upd1", { selector: "x" }),
      510,
      "ERROR: Selector 'x' is not valid: use one of mem, vcpus, load, vms.",
    );
    // A limit that leaves out the node the VM was placed on explicitly: refused, nothing changed.
    expectV1(
      await call("POST", "/vm/upd1", { limit: "hv2" }),
      510,
      /^ERROR: node must be one of spec\.nodeLimit/,
    );
    assert.equal((await zk.get(`${domainsRoot}/${uuid}/node_limit`)).data, "hv1");
    expectV1(await call("DELETE", "/vm/upd1"), 200, "Undefined VM 'upd1' from the cluster.");
  });

  test("drift: an owned key is put back; a VM naming a volume or network PVC lacks is refused", async () => {
    const uuid = await define("drift1", { node: "hv2" });
    const xml = vm("drift1")?.spec.xml as string;
    await zk.set(`${domainsRoot}/${uuid}/xml`, "<domain/>");
    await zk.set(`${domainsRoot}/${uuid}/node_selector`, "load");
    await until(
      "repaired",
      async () =>
        (await zk.get(`${domainsRoot}/${uuid}/xml`)).data === xml &&
        (await zk.get(`${domainsRoot}/${uuid}/node_selector`)).data === "",
    );
    assert.deepEqual(await domainKeys(uuid), expected("drift1", xml, { node: "hv2" }));
    // driftPolicy Report: the change is kept and reported.
    await t.app.store.patch("VirtualMachine", "drift1", { spec: { driftPolicy: "Report" } });
    await until(
      "converged with Report",
      () => vm("drift1")?.status?.observedGeneration === vm("drift1")?.metadata.generation,
    );
    await zk.set(`${domainsRoot}/${uuid}/node_limit`, "hv2");
    await until(
      "drift reported",
      () =>
        vm("drift1")?.status?.conditions?.some((c) => c.type === "Drifted" && c.status === "True") === true,
    );
    assert.deepEqual(vm("drift1")?.status?.drift, [`${domainsRoot}/${uuid}/node_limit`]);
    assert.equal((await zk.get(`${domainsRoot}/${uuid}/node_limit`)).data, "hv2");
    expectV1(await call("DELETE", "/vm/drift1"), 200, "Undefined VM 'drift1' from the cluster.");

    const disk =
      "\n    <disk type='network' device='disk'><source protocol='rbd' name='vms/nodisk_sda'/><target dev='sda' bus='scsi'/></disk>";
    const r = await call("POST", "/vm", { xml: domainXml("vol1", randomUUID(), disk) }, true);
    expectV1(r, 510, /VolumesMissing|PVC does not have: vms\/nodisk_sda/);
    const nic =
      "\n    <interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='vmbr4242'/></interface>";
    expectV1(
      await call("POST", "/vm", { xml: domainXml("net1", randomUUID(), nic) }, true),
      510,
      /PVC does not have: vmbr4242 \(vni 4242\)/,
    );
    await until("refused VMs taken back", () => vm("vol1") === undefined && vm("net1") === undefined);
    assert.deepEqual(await domainUuids(), []);
  });

  test("locks of a VM without disks: an empty list; flushing is refused while it runs", async () => {
    await define("lock1", { node: "hv1" });
    assert.deepEqual((await call("GET", "/vm/lock1/locks")).body, []);
    expectV1(await call("POST", "/vm/lock1/locks"), 200, "Flushed locks on VM 'lock1'.");
    await startAndWait("lock1");
    expectV1(
      await call("POST", "/vm/lock1/locks"),
      510,
      "ERROR: VM 'lock1' is not in stopped state; flushing RBD locks on a running VM is dangerous.",
    );
    expectV1(await call("DELETE", "/vm/lock1"), 200, "Undefined VM 'lock1' from the cluster.");
    expectV1(await call("DELETE", "/vm/lock1"), 510, "ERROR: Could not find VM 'lock1' in the cluster!");
    assert.deepEqual(await domainUuids(), []);
  });

  test("a domain PVC defined (and started) is adopted by a VirtualMachine that says the same, without a write", async () => {
    const uuid = randomUUID();
    const xml = domainXml("adopt1", uuid);
    const base = `${domainsRoot}/${uuid}`;
    // As v0.6's API defined it: Python's None for the selector and profile it was not given.
    const keys: Record<string, string> = {
      state: "stop",
      node: "hv3",
      lastnode: "",
      node_limit: "hv3,hv4",
      node_selector: "None",
      node_autostart: "False",
      failedreason: "",
      consolelog: "",
      rbdlist: "",
      profile: "None",
      xml,
    };
    await zk.multi([
      { op: "create", path: base, data: "adopt1" },
      ...Object.entries(keys).map(([k, data]) => ({ op: "create" as const, path: `${base}/${k}`, data })),
    ]);
    await zk.set(`${base}/state`, "start");
    await until("started by the node", async () => (await running("hv3")).includes(uuid));
    const before = new Map<string, string>();
    for (const p of await zk.listTree(base)) before.set(p, String((await zk.exists(p))?.mzxid));
    const created = await t.app.store.create({
      apiVersion: "pvc.parallelvirtualcluster.org/v1",
      kind: "VirtualMachine",
      metadata: { name: "adopt1" },
      spec: { xml, node: "hv3", nodeLimit: ["hv3", "hv4"], runState: "start" },
    });
    await until("adopted: Ready and Running", () => {
      const v = vm("adopt1");
      return isRunning("adopt1") && v?.status?.observedGeneration === created.metadata.generation;
    });
    for (const p of await zk.listTree(base))
      assert.equal(String((await zk.exists(p))?.mzxid), before.get(p), `${p} was written`);
    assert.equal(vm("adopt1")?.status?.uuid, uuid);
    expectV1(await call("DELETE", "/vm/adopt1"), 200, "Undefined VM 'adopt1' from the cluster.");
    assert.deepEqual(await domainUuids(), []);
  });

  test("pvcctl get, describe and wait show a VM's node, state and conditions", async () => {
    await define("cli1", { node: "hv1" });
    const server = ["--server", t.app.url];
    const waited = pvcctl(["wait", "vm", "cli1", "--for=condition=Running", "--timeout", "20s", ...server]);
    expectV1(await call("POST", "/vm/cli1/state", { state: "start" }), 200, "Starting VM 'cli1'.");
    const w = await waited;
    assert.equal(w.code, 0, show(w));
    const get = await pvcctl(["get", "vm", "cli1", ...server]);
    assert.equal(get.code, 0, show(get));
    assert.match(get.stdout, /^NAME\s+READY\s+REASON\s+AGE\s+RUNSTATE\s+STATE\s+NODE/m);
    assert.match(get.stdout, /^cli1\s+True\s+Converged\s+\S+\s+start\s+start\s+hv1\s*$/m);
    const d = await pvcctl(["describe", "vm", "cli1", ...server]);
    assert.equal(d.code, 0, show(d));
    assert.match(d.stdout, /Running\s+True\s+Running\s+\d+\s+\S+\s+running on hv1/);
    assert.match(d.stdout, /node:\s+hv1/);
    expectV1(await call("DELETE", "/vm/cli1"), 200, "Undefined VM 'cli1' from the cluster.");
  });
});
