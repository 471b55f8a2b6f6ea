/**
 * Issue 15's end-to-end proof, over real HTTP against the real ZooKeeper, Ceph and hollow nodes:
 *
 * 1. The manual's whole "Provisioner" walkthrough in its order (system template, network template
 *    with two nets, storage template with three mounted ext4 disks, userdata, script, profile,
 *    create, status), each request as its curl line sends it. Only what must differ here differs:
 *    the pool (one of this test's own instead of `vms`), node_limit (the hollow nodes' names
 *    instead of pvchv1,pvchv2) and the script (manifests/examples/provisioner-script.py: the
 *    manual's debootstrap example needs the internet). It ends with the VM defined and started on
 *    a node, its three volumes in Ceph, formatted ext4 (read back by attaching them again: blkid
 *    and a mount), the files install() wrote found there, and nothing left attached on this host.
 * 2. The same provisioning declared as YAML (manifests/examples/provisioner.yaml, its pool name
 *    replaced) through `pvcctl apply` reaches the same end.
 * 3. `pvcctl get vm` shows the phase and progress while it runs: a script that waits for a file
 *    keeps the VM in its install phase while pvcctl looks.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { expectV1, until, v1Call, v1Ok } from "../helpers/api-app.ts";
import { curl, walkthroughSteps } from "../helpers/manual-walkthrough.ts";
import { leftoversUnder, ProvisionScene, provisioningOf } from "../helpers/provision-scene.ts";
import { pvcctl, show } from "./cli-helpers.ts";

const EXAMPLES = new URL("../../manifests/examples/", import.meta.url);
const SCRIPT_FILE = new URL("provisioner-script.py", EXAMPLES);
const DISKS = [
  { id: "sda", label: "root", mountpoint: "/" },
  { id: "sdb", label: "var", mountpoint: "/var" },
  { id: "sdc", label: "log", mountpoint: "/var/log" },
];

/** The VM is defined in PVC's keys, its node runs it; returns the domain's XML and node. */
async function definedAndRunning(s: ProvisionScene, name: string): Promise<{ xml: string; node: string }> {
  let uuid = "";
  await until(
    `${name} defined and running`,
    () => {
      const st = s.vm(name)?.status as { uuid?: string; running?: boolean } | undefined;
      uuid = st?.uuid ?? "";
      return st?.running === true;
    },
    60_000,
  );
  const node = (await s.t.app.zk.get(s.keys.domainKey(uuid, "node"))).data;
  assert.equal((await s.t.app.zk.get(s.keys.domainKey(uuid, "state"))).data, "start");
  const running = (await s.t.app.zk.get(s.keys.nodeKey(node, "runningdomains"))).data.split(" ");
  assert.ok(running.includes(uuid), `${node} runs ${uuid}: ${running.join(" ")}`);
  return { xml: (await s.t.app.zk.get(s.keys.domainKey(uuid, "xml"))).data, node };
}

/** Three ext4 volumes in Ceph, read back: labels, and what the example script wrote. */
async function checkDisks(s: ProvisionScene, vm: string, domain: string): Promise<Record<string, unknown>> {
  return s.readBack(vm, DISKS, async (root, blkid) => {
    for (const d of DISKS) {
      assert.match(blkid[d.id], /^TYPE=ext4$/m, `${vm}_${d.id}: ${blkid[d.id]}`);
      assert.match(blkid[d.id], new RegExp(`^LABEL=${d.label}$`, "m"), `${vm}_${d.id}: ${blkid[d.id]}`);
    }
    assert.equal(await ProvisionScene.fileAt(root, "etc/hostname"), `${vm}.${domain}\n`);
    assert.equal(
      await ProvisionScene.fileAt(root, "var/log/pvc-provision.log"),
      `provisioned ${vm} with 3 disks\n`,
    );
    return JSON.parse((await ProvisionScene.fileAt(root, "etc/pvc-provisioned.json")) ?? "{}");
  });
}

/** The runs' directories are gone and nothing of them is mounted or attached. */
async function nothingLeft(s: ProvisionScene, vm: string): Promise<void> {
  const dirs = s.workDirsOf(vm);
  assert.ok(dirs.length > 0, "status.provisioning.workDir shown while the disks were attached");
  for (const dir of dirs) {
    assert.deepEqual(await leftoversUnder(dir), []);
    await assert.rejects(readFile(join(dir, "root")), { code: "ENOENT" });
  }
}

describe("the manual's provisioner walkthrough, end to end", () => {
  const s = new ProvisionScene("provwalk");
  before(() => s.start([200, 300]));
  after(() => s.stop());

  test("templates, script, profile, create, status: test1 defined and running, its disks ext4 with install()'s files", async () => {
    const script = await readFile(SCRIPT_FILE, "utf8");
    // curl -d sends the text as it is: it must hold nothing a form body decodes (& + %).
    assert.doesNotMatch(script, /[&+%]/, "the example script survives the manual's unencoded -d");
    const p = s.pool;
    const steps = walkthroughSteps({ nodeLimit: "hv1,hv2", pool: p, scriptBody: `data=${script}` });
    for (const [method, path, body, message] of steps)
      expectV1(await curl(s.url, method, path, body), 200, message);
    assert.equal(
      (await curl(s.url, "GET", "/provisioner/script/debootstrap-example")).body[0].script,
      script,
    );

    const created = await curl(s.url, "POST", "/provisioner/create?name=test1&profile=test-profile");
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const taskId = created.body.task_id as string;
    assert.match(taskId, /^[0-9a-f-]{36}$/);
    assert.equal(created.location, `/api/v1/provisioner/status/${taskId}`);

    // The task's status as a client polls it: PENDING/RUNNING, then SUCCESS with current = total.
    const states: string[] = [];
    let last: { state: string; current: number; total: number; status: string } | undefined;
    await until(
      "the task's SUCCESS",
      async () => {
        const r = await curl(s.url, "GET", `/provisioner/status/${taskId}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        last = r.body;
        if (states.at(-1) !== r.body.state) states.push(r.body.state);
        assert.notEqual(r.body.state, "FAILURE", JSON.stringify(r.body));
        return r.body.state === "SUCCESS";
      },
      180_000,
    );
    const order = ["PENDING", "RUNNING", "SUCCESS"];
    assert.deepEqual(
      states,
      [...states].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
      `states in order: ${states}`,
    );
    assert.ok(last && last.current === last.total && last.total > 0, JSON.stringify(last));

    const prov = provisioningOf(s.vm("test1"));
    assert.equal(prov?.taskId, taskId);
    assert.equal(
      prov?.attachMethod,
      "rbd-fuse",
      "no rbd kernel module here: the fallback, said in the status",
    );
    assert.match(
      prov?.output ?? "",
      /^provisioned test1: 3 disks, 2 networks, hostname test1\.localdomain$/m,
    );

    const { xml, node } = await definedAndRunning(s, "test1");
    assert.ok(["hv1", "hv2"].includes(node), `test1 on ${node}, within node_limit hv1,hv2`);
    assert.match(xml, /<vcpu[^>]*>2<\/vcpu>/);
    assert.match(xml, /<memory unit=['"]MiB['"]>1024<\/memory>/);
    for (const d of DISKS) assert.match(xml, new RegExp(`name=['"]${p}/test1_${d.id}['"]`));
    const bridges = [...xml.matchAll(/<source bridge=['"](vmbr\d+)['"]/g)].map((m) => m[1]);
    assert.deepEqual(bridges, ["vmbr200", "vmbr300"], "interfaces in the template's order");
    const vmInfo = await v1Call(s.url, "GET", "/vm/test1");
    assert.equal(vmInfo.status, 200, JSON.stringify(vmInfo.body));
    // The facade shows the provisioned definition, as v0.6 read it from the domain's XML.
    const [info] = vmInfo.body as Array<{ xml: string; memory: string; vcpu: string; profile: string }>;
    assert.equal(info.xml, xml);
    assert.equal(info.profile, "test-profile");
    assert.equal(String(info.vcpu), "2");

    assert.deepEqual(await s.images(), ["test1_sda", "test1_sdb", "test1_sdc"]);
    await nothingLeft(s, "test1");
    const record = await checkDisks(s, "test1", "localdomain");
    assert.equal(record.vm_name, "test1");
    assert.deepEqual(
      (record.disks as { disk_id: string }[]).map((d) => d.disk_id),
      DISKS.map((d) => d.id),
    );
    assert.deepEqual(
      (record.networks as { vni: number }[]).map((n) => Number(n.vni)),
      [200, 300],
    );
    assert.equal((record.arguments as Record<string, string>).deb_release, "buster");
  });
});

describe("the same provisioning as YAML through pvcctl apply, and pvcctl get vm while it runs", () => {
  const s = new ProvisionScene("provyaml");
  let env: Record<string, string>;
  let gateDir = "";
  before(async () => {
    await s.start([10000, 200]);
    env = { PVCCTL_SERVER: s.url };
    gateDir = await mkdtemp(join(tmpdir(), "prov-gate-"));
  });
  after(async () => {
    await s.stop();
    await rm(gateDir, { recursive: true, force: true });
  });

  test("manifests/examples/provisioner.yaml: web1 provisioned, defined and started; its disks ext4 with install()'s files", async () => {
    const yaml = (await readFile(new URL("provisioner.yaml", EXAMPLES), "utf8")).replaceAll(
      "pool: vms",
      `pool: ${s.pool}`,
    );
    const applied = await pvcctl(["apply", "-f", "-"], env, yaml);
    assert.equal(applied.code, 0, show(applied));
    assert.match(applied.stdout, /^virtualmachine\/web1 created$/m, show(applied));
    const prov = await s.provisioned("web1");
    assert.equal(prov.state, "SUCCESS", JSON.stringify(prov));
    const { node } = await definedAndRunning(s, "web1");
    assert.ok(["hv1", "hv2"].includes(node), node);
    assert.deepEqual(await s.images(), ["web1_sda", "web1_sdb", "web1_sdc"]);
    await nothingLeft(s, "web1");
    const record = await checkDisks(s, "web1", "example.org");
    assert.deepEqual(record.arguments, { domain: "example.org" });
    const again = await pvcctl(["apply", "-f", "-"], env, yaml);
    assert.equal(again.code, 0, show(again));
    assert.match(again.stdout, /^virtualmachine\/web1 unchanged$/m, show(again));
  });

  test("pvcctl get vm: PHASE install and PROGRESS n/total while install() runs, then done", async () => {
    const gate = join(gateDir, "open");
    const waiting = [
      "import os, time",
      "",
      "def install(**kwargs):",
      "    for _ in range(2400):",
      "        if os.path.exists(kwargs['gate']):",
      "            return",
      "        time.sleep(0.05)",
      "    raise RuntimeError('the gate never opened')",
      "",
    ].join("\n");
    await v1Call(s.url, "POST", "/provisioner/script", { name: "waits", data: waiting }, true).then((r) =>
      expectV1(r, 200, "Created provisioning script 'waits'"),
    );
    await v1Ok(s.url, "POST", "/provisioner/profile", {
      name: "waiting-web",
      system_template: "2cpu-1gb-serial",
      network_template: "lan-and-vlan200",
      storage_template: "ext4-root-var-log",
      userdata_template: "example-userdata",
      script: "waits",
      arg: `gate=${gate}`,
    });
    const created = await v1Call(s.url, "POST", "/provisioner/create", {
      name: "web2",
      profile: "waiting-web",
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await until("web2 in install", () => provisioningOf(s.vm("web2"))?.phase === "install", 120_000);
    const total = provisioningOf(s.vm("web2"))?.total;

    const during = await pvcctl(["get", "vm"], env);
    assert.equal(during.code, 0, show(during));
    assert.match(
      during.stdout,
      /^NAME +READY +REASON +AGE +RUNSTATE +STATE +NODE +PHASE +PROGRESS$/m,
      show(during),
    );
    assert.match(
      during.stdout,
      new RegExp(`^web2 +False +Provisioning +\\S+ +start +- +- +install +\\d+/${total}$`, "m"),
      show(during),
    );
    assert.match(
      during.stdout,
      new RegExp(`^web1 +True +\\S+ +\\S+ +start +start +hv[12] +done +${total}/${total}$`, "m"),
      show(during),
    );

    await writeFile(gate, "");
    assert.equal((await s.provisioned("web2")).state, "SUCCESS");
    await definedAndRunning(s, "web2");
    const done = await pvcctl(["get", "vm", "web2"], env);
    assert.match(
      done.stdout,
      new RegExp(`^web2 +True +\\S+ +\\S+ +start +start +hv[12] +done +${total}/${total}$`, "m"),
      show(done),
    );
  });
});
