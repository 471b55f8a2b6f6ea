/**
 * A server killed mid-provisioning resumes it (issue 15). `pvcctl serve` runs as a process of its
 * own (a config file, the stack's ZooKeeper and Ceph, hollow nodes run by this test); a VM is
 * provisioned from a profile whose script waits for a file, so the kill lands in the install
 * phase, with the three volumes attached and mounted. The server and its children (the python3
 * running install()) are killed with SIGKILL; what they had mounted and attached stays, as after
 * a crash. A new server on the same config takes over (once the dead one's ZooKeeper session has
 * expired), cleans up the dead run, and provisions the VM to the end: defined, started, exactly
 * the declared volumes in Ceph and as CephVolume objects (no duplicates), nothing of either run
 * left on this host, install() run once more on fresh filesystems and its file read back.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { releaseStale } from "../../src/provisioner/host-disks.ts";
import { HollowCluster } from "../../src/sim/cluster.ts";
import { parseNodeSpec } from "../../src/sim/spec.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { GROUP_PATH, removeRoot, until, v1Call, v1Ok } from "../helpers/api-app.ts";
import { cephConf, zkConnect } from "../helpers/env.ts";
import { FAST_SIM, STACK_NODES } from "../helpers/node-cluster.ts";
import {
  leftoversUnder,
  PROVISION_BOUND_MS,
  type Provisioning,
  ProvisionScene,
} from "../helpers/provision-scene.ts";
import { ServeProcess } from "../helpers/serve-process.ts";

const SESSION_TIMEOUT_S = 4;

/** Waits for a file, counting its runs; then writes on the VM's root what a resumed run must show. */
const WAITING_SCRIPT = [
  "import os, time",
  "",
  "def install(**kwargs):",
  "    with open(kwargs['runs'], 'a') as f:",
  "        f.write(kwargs['temporary_directory'] + '\\n')",
  "    for _ in range(2400):",
  "        if os.path.exists(kwargs['gate']):",
  "            break",
  "        time.sleep(0.05)",
  "    else:",
  "        raise RuntimeError('the gate never opened')",
  "    with open(os.path.join(kwargs['temporary_directory'], 'installed-by'), 'w') as f:",
  "        f.write(kwargs['vm_name'])",
  "",
].join("\n");

describe("a server killed mid-provisioning", () => {
  // Used for its names (root, PVC root, pool) and its Ceph and read-back helpers; the app is `serve`'s.
  const s = new ProvisionScene("provresume");
  let dir = "";
  let url = "";
  let zk: ZkClient;
  let cluster: HollowCluster;
  /** `pvcctl serve` in a process group of its own (so that it dies with its children). */
  let server: ServeProcess;
  const workDirs = new Set<string>();

  async function vm(name: string): Promise<{ status?: { provisioning?: Provisioning; running?: boolean } }> {
    server.assertAlive();
    const res = await fetch(`${url}${GROUP_PATH}/virtualmachines/${name}`);
    return res.status === 200 ? await res.json() : {};
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "prov-resume-"));
    server = await ServeProcess.create({
      dir,
      coordinators: [zkConnect()],
      cephConf: cephConf(),
      storeRoot: `${s.root}/store`,
      pvcRoot: s.pvcRoot,
      facadeWaitTimeoutS: 60,
      sessionTimeoutS: SESSION_TIMEOUT_S,
      logLevel: "info",
      args: ["--log-format", "json"],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PVCCTL_CONFIG: "/nonexistent" },
      processGroup: true,
    });
    url = server.url;
    zk = await ZkClient.connect({ connectString: zkConnect() });
    await zk.mkdirp(s.pvcRoot);
    cluster = new HollowCluster({
      zk,
      nodes: parseNodeSpec(STACK_NODES),
      root: s.pvcRoot,
      timings: FAST_SIM,
    });
    await cluster.start();
    await server.start().listening();
  });
  after(async () => {
    await server?.kill("SIGTERM").catch(() => undefined);
    // A failed run may have left a dead run's disks attached: undone as the provisioner would.
    for (const dir of workDirs)
      await releaseStale(dir, { cephConf: cephConf(), method: "rbd-fuse", images: [] }).catch(
        () => undefined,
      );
    await cluster?.stop();
    zk?.close();
    await s.ceph.poolRm(s.pool).catch(() => undefined);
    await removeRoot(s.root);
    await rm(dir, { recursive: true, force: true });
  });

  test("killed in install(): the new server cleans up, provisions to the end, no duplicate volume", async () => {
    const gate = join(dir, "gate");
    const runs = join(dir, "runs");
    const pool = await v1Call(url, "POST", "/storage/ceph/pool", { pool: s.pool, pgs: "8" });
    assert.equal(pool.status, 200, JSON.stringify(pool.body));
    await v1Ok(url, "POST", "/network", { vni: "200", description: "vlan200", nettype: "bridged" });
    await v1Ok(url, "POST", "/provisioner/template/system", { name: "small", vcpus: "1", vram: "512" });
    await v1Ok(url, "POST", "/provisioner/template/network", { name: "one-net" });
    await v1Ok(url, "POST", "/provisioner/template/network/one-net/net", { vni: "200" });
    await v1Ok(url, "POST", "/provisioner/template/storage", { name: "three" });
    for (const [id, mountpoint] of [
      ["sda", "/"],
      ["sdb", "/var"],
      ["sdc", "/var/log"],
    ])
      await v1Ok(url, "POST", "/provisioner/template/storage/three/disk", {
        disk_id: id,
        disk_size: "1",
        pool: s.pool,
        filesystem: "ext4",
        mountpoint,
      });
    await v1Ok(url, "POST", "/provisioner/template/userdata", { name: "none", data: "" });
    const script = await v1Call(
      url,
      "POST",
      "/provisioner/script",
      { name: "waits", data: WAITING_SCRIPT },
      true,
    );
    assert.equal(script.status, 200, JSON.stringify(script.body));
    await v1Ok(url, "POST", "/provisioner/profile", {
      name: "waiting",
      system_template: "small",
      network_template: "one-net",
      storage_template: "three",
      userdata_template: "none",
      script: "waits",
      arg: [`gate=${gate}`, `runs=${runs}`],
    });
    const created = await v1Call(url, "POST", "/provisioner/create", { name: "resume1", profile: "waiting" });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const taskId = (created.body as { task_id: string }).task_id;

    const runCount = async () =>
      (await readFile(runs, "utf8").catch(() => "")).split("\n").filter(Boolean).length;
    await until("install() running", async () => (await runCount()) === 1, 120_000);
    const first = (await vm("resume1")).status?.provisioning;
    assert.equal(first?.phase, "install", JSON.stringify(first));
    assert.ok(first?.workDir);
    workDirs.add(first.workDir);
    const left = await leftoversUnder(first.workDir);
    assert.ok(
      left.filter((l) => l.startsWith("mount")).length >= 3,
      `mounted when killed: ${left.join("; ")}`,
    );

    assert.ok(server);
    await server.kill("SIGKILL");
    await writeFile(gate, "");
    await server.start().listening();

    let last: Provisioning | undefined;
    await until(
      "resume1 provisioned and running",
      async () => {
        const got = await vm("resume1");
        last = got.status?.provisioning;
        if (last?.workDir) workDirs.add(last.workDir);
        assert.notEqual(last?.state, "FAILURE", JSON.stringify(last));
        return last?.state === "SUCCESS" && got.status?.running === true;
      },
      PROVISION_BOUND_MS,
    );
    assert.equal(last?.taskId, taskId, "the same task, resumed");
    assert.equal(await runCount(), 2, "install() ran again after the crash");

    assert.deepEqual(await s.images(), ["resume1_sda", "resume1_sdb", "resume1_sdc"]);
    const volumes = await fetch(`${url}${GROUP_PATH}/cephvolumes`).then((r) => r.json());
    assert.deepEqual(
      (volumes.items as { metadata: { name: string } }[]).map((v) => v.metadata.name).sort(),
      ["sda", "sdb", "sdc"].map((d) => `${s.pool}.resume1_${d}`),
    );
    assert.deepEqual(
      await leftoversUnder(first.workDir),
      [],
      "the dead run's mounts and loop devices undone",
    );
    if (last?.workDir) assert.deepEqual(await leftoversUnder(last.workDir), []);
    const written = await s.readBack(
      "resume1",
      [
        { id: "sda", mountpoint: "/" },
        { id: "sdb", mountpoint: "/var" },
        { id: "sdc", mountpoint: "/var/log" },
      ],
      (root) => ProvisionScene.fileAt(root, "installed-by"),
    );
    assert.equal(written, "resume1");
  });
});
