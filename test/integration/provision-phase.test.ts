/**
 * Provisioning as a phase of the VirtualMachine controller, against the real ZooKeeper, the
 * shared one-node Ceph and hollow nodes of this file's own: a VM with spec.profile gets its
 * CephVolumes `<vm>_<disk_id>` (owned by it), three ext4 disks mounted as / /var /var/log under
 * one directory, the example script's install() run on them, everything detached, the libvirt
 * XML built from the templates, and the VM defined and started; the disks are read back by
 * attaching them again. A script that raises ends in FAILURE with the Python error, the disks
 * detached; a host with no way to attach ends in FAILURE naming what each method lacks; a VM
 * deleted mid-install has its script stopped and its disks detached. (A server killed
 * mid-provisioning is provisioner-resume.test.ts.)
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { vmController } from "../../controllers/vm/controller.ts";
import { CephClient } from "../../src/ceph/client.ts";
import { run } from "../../src/provisioner/exec.ts";
import { HostDisks } from "../../src/provisioner/host-disks.ts";
import { parseDomainXml } from "../../src/resources/domain-xml.ts";
import type { VirtualMachine } from "../../src/resources/specs.ts";
import type { Resource } from "../../src/resources/types.ts";
import { API_GROUP_VERSION } from "../../src/resources/types.ts";
import { HollowCluster } from "../../src/sim/cluster.ts";
import { parseNodeSpec } from "../../src/sim/spec.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";
import { cephConf, uniqueRoot } from "../helpers/env.ts";

const KINDS = [vmController, cephPoolController, cephVolumeController];
const EXAMPLE_SCRIPT = new URL("../../manifests/examples/provisioner-script.py", import.meta.url);
const obj = (kind: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: API_GROUP_VERSION,
  kind,
  metadata: { name },
  spec,
});
const provisioning = (r: Resource | null) => (r as VirtualMachine | null)?.status?.provisioning;

async function loopsAndMounts(): Promise<string> {
  const loops = (await run("losetup", ["-a"])).stdout;
  const mounts = await readFile("/proc/self/mounts", "utf8");
  return `${loops}\n${mounts
    .split("\n")
    .filter((l) => l.includes("pvc-provision-"))
    .join("\n")}`;
}

/** The templates, script and profile of the manual's walkthrough (two nets, three ext4 disks). */
async function declareProfile(h: Harness, pool: string, vnis: number[], script: string, suffix: string) {
  await h.store.create(obj("SystemTemplate", `sys-${suffix}`, { vcpus: 2, vramMiB: 512, serial: true }));
  await h.store.create(
    obj("NetworkTemplate", `net-${suffix}`, {
      macTemplate: "{prefix}:ff:f6:{vmid}{netid}",
      networks: vnis.map((vni) => ({ vni })),
    }),
  );
  const disk = (id: string, mountpoint: string, label: string) => ({
    id,
    pool,
    sizeGiB: 1,
    filesystem: "ext4",
    filesystemArgs: [`-L=${label}`, "-m=1"],
    mountpoint,
  });
  await h.store.create(
    obj("StorageTemplate", `sto-${suffix}`, {
      disks: [disk("sda", "/", "root"), disk("sdb", "/var", "var"), disk("sdc", "/var/log", "log")],
    }),
  );
  await h.store.create(obj("UserdataTemplate", `ud-${suffix}`, { data: "" }));
  await h.store.create(obj("ProvisionerScript", `scr-${suffix}`, { data: script }));
  await h.store.create(
    obj("ProvisionerProfile", `prof-${suffix}`, {
      systemTemplate: `sys-${suffix}`,
      networkTemplate: `net-${suffix}`,
      storageTemplate: `sto-${suffix}`,
      userdataTemplate: `ud-${suffix}`,
      script: `scr-${suffix}`,
      arguments: { domain: "example.org" },
    }),
  );
}

/** Attaches a VM's disk again and reads a file from it. */
async function readBack(pool: string, image: string, file: string): Promise<{ blkid: string; text: string }> {
  const disks = new HostDisks(cephConf());
  const root = await disks.rootDir();
  try {
    const { device } = await disks.attach(pool, image);
    const blkid = (await run("blkid", ["-o", "export", device])).stdout;
    await disks.mount(device, root, "/");
    return { blkid, text: await readFile(join(root, file), "utf8") };
  } finally {
    assert.deepEqual(await disks.releaseAll(), []);
  }
}

describe("provisioning phase of the VirtualMachine controller", () => {
  const root = uniqueRoot("provphase");
  const pvcRoot = `${root}/pvc`;
  const pool = `pp${process.pid}`;
  const vnis = [1100, 1200];
  let h: Harness;
  let cluster: HollowCluster;
  let ceph: CephClient;

  before(async () => {
    ceph = new CephClient({ conf: cephConf() });
    h = await startHarness("provphase", KINDS, { root, keepRoot: true });
    cluster = new HollowCluster({
      zk: h.zk,
      nodes: parseNodeSpec("hv1:coordinator,hv2:hypervisor"),
      root: pvcRoot,
      timings: { keepaliveIntervalMs: 600_000, pollMs: 200 },
    });
    await cluster.start();
    for (const vni of vnis) await h.zk.mkdirp(h.pvc.network(vni));
    await h.store.create(obj("CephPool", pool, { pgs: 8, replication: { copies: 1, minCopies: 1 } }));
    await h.waitFor(
      "CephPool",
      pool,
      (r) => (r?.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
      60_000,
    );
  });
  after(async () => {
    await cluster.stop();
    await h.close();
    await ceph.poolRm(pool).catch(() => undefined);
    const { removeRoot } = await import("../helpers/api-app.ts");
    await removeRoot(root);
  });

  test("a VM from a profile: volumes owned by it, disks installed and detached, XML built, defined and started", async () => {
    await declareProfile(h, pool, vnis, await readFile(EXAMPLE_SCRIPT, "utf8"), "a");
    const created = await h.store.create(obj("VirtualMachine", "web7", { profile: "prof-a" }));
    const done = await h.waitFor(
      "VirtualMachine",
      "web7",
      (r) => ["SUCCESS", "FAILURE"].includes(provisioning(r)?.state ?? ""),
      180_000,
    );
    const p = provisioning(done);
    assert.equal(p?.state, "SUCCESS", JSON.stringify(p));
    assert.equal(p?.taskId, created.metadata.uid);
    assert.equal(p?.phase, "done");
    assert.equal(p?.current, p?.total);
    assert.equal(p?.attachMethod, "rbd-fuse");
    assert.match(p?.output ?? "", /provisioned web7: 3 disks, 2 networks, hostname web7\.example\.org/);
    const vm = await h.store.get("VirtualMachine", "web7");
    assert.equal(vm.status?.uuid, created.metadata.uid, "the task id is the domain's uuid");
    const info = parseDomainXml(p?.xml ?? "");
    assert.deepEqual(info.rbdVolumes, [`${pool}/web7_sda`, `${pool}/web7_sdb`, `${pool}/web7_sdc`]);
    assert.match(p?.xml ?? "", /52:54:00:ff:f6:70/, "MAC from the template: vm id 7, net 0");
    assert.match(p?.xml ?? "", /52:54:00:ff:f6:71/);
    const uuid = vm.status?.uuid ?? "";
    await h.waitFor(
      "VirtualMachine",
      "web7",
      (r) => (r as VirtualMachine | null)?.status?.running === true,
      20_000,
    );
    assert.equal((await h.zk.get(h.pvc.domainKey(uuid, "state"))).data, "start");

    const volumes = h
      .informer("CephVolume")
      .list()
      .filter((v) => v.metadata.name.startsWith(`${pool}.web7_`));
    assert.equal(volumes.length, 3);
    for (const v of volumes) assert.equal(v.metadata.ownerReferences?.[0]?.uid, created.metadata.uid);
    assert.ok(!(await loopsAndMounts()).includes(pool), "nothing left attached");

    const rootFs = await readBack(pool, "web7_sda", "etc/hostname");
    assert.match(rootFs.blkid, /TYPE=ext4/);
    assert.match(rootFs.blkid, /LABEL=root/);
    assert.equal(rootFs.text, "web7.example.org\n");
    const log = await readBack(pool, "web7_sdc", "pvc-provision.log");
    assert.equal(log.text, "provisioned web7 with 3 disks\n");
  });

  test("the provisioned VM deleted without deleteDisks: undefined, its volumes kept and no longer owned", async () => {
    const before = await h.store.get("VirtualMachine", "web7");
    await h.store.delete("VirtualMachine", "web7");
    await h.waitFor("VirtualMachine", "web7", (r) => r === null, 60_000);
    assert.equal(await h.zk.exists(h.pvc.domain(before.status?.uuid ?? "")), null);
    // Past the garbage collector's turn: the VM's deletion must not have taken its volumes along.
    await new Promise((r) => setTimeout(r, 1000));
    for (const d of ["sda", "sdb", "sdc"]) {
      const v = await h.store.tryGet("CephVolume", `${pool}.web7_${d}`);
      assert.ok(v, `${pool}.web7_${d} is kept`);
      assert.deepEqual(v.metadata.ownerReferences ?? [], []);
    }
    assert.deepEqual(
      (await ceph.rbdLs(pool)).map((i) => i.image).filter((n) => n.startsWith("web7_")),
      ["web7_sda", "web7_sdb", "web7_sdc"],
    );
  });

  test("a script that raises: FAILURE in phase install with the Python error, the disks detached", async () => {
    await declareProfile(
      h,
      pool,
      vnis,
      'def install(**kwargs):\n    print("starting")\n    raise RuntimeError("no mirror for " + kwargs["vm_name"])\n',
      "b",
    );
    await h.store.create(obj("VirtualMachine", "bad1", { profile: "prof-b" }));
    const done = await h.waitFor(
      "VirtualMachine",
      "bad1",
      (r) => ["SUCCESS", "FAILURE"].includes(provisioning(r)?.state ?? ""),
      180_000,
    );
    const p = provisioning(done);
    assert.equal(p?.state, "FAILURE");
    assert.equal(p?.phase, "install");
    assert.equal(p?.error, "RuntimeError: no mirror for bad1");
    assert.match(p?.output ?? "", /^starting\nTraceback/);
    const stalled = done?.status?.conditions?.find((c) => c.type === "Stalled");
    assert.equal(stalled?.reason, "ProvisioningFailed");
    assert.equal(stalled?.message, "provisioning failed in phase install: RuntimeError: no mirror for bad1");
    assert.ok(!(await loopsAndMounts()).includes(pool), "the disks are detached");
    assert.equal(existsSync(p?.workDir ?? "/nonexistent"), false);
  });

  test("no way to attach on this host: FAILURE in phase attach naming what each method lacks, nothing attached", async () => {
    // A PATH with every program but rbd-fuse and losetup (this host has no rbd kernel module).
    const farm = await mkdtemp(join(tmpdir(), "prov-path-"));
    const saved = process.env.PATH;
    for (const dir of (saved ?? "").split(":").filter((d) => d !== "" && existsSync(d))) {
      for (const name of await readdir(dir)) {
        if (["rbd-fuse", "losetup"].includes(name) || existsSync(join(farm, name))) continue;
        await symlink(join(dir, name), join(farm, name));
      }
    }
    process.env.PATH = farm;
    try {
      await declareProfile(h, pool, vnis, await readFile(EXAMPLE_SCRIPT, "utf8"), "d");
      await h.store.create(obj("VirtualMachine", "nomethod1", { profile: "prof-d" }));
      const done = await h.waitFor(
        "VirtualMachine",
        "nomethod1",
        (r) => ["SUCCESS", "FAILURE"].includes(provisioning(r)?.state ?? ""),
        180_000,
      );
      const p = provisioning(done);
      assert.equal(p?.state, "FAILURE");
      assert.equal(p?.phase, "attach");
      assert.equal(
        p?.error,
        "no way to attach an RBD volume on this host: rbd map needs the rbd kernel module (/sys/bus/rbd); the rbd-fuse fallback needs rbd-fuse (Debian package rbd-fuse) and losetup",
      );
      assert.equal(p?.attachMethod, undefined);
      assert.match(
        done?.status?.conditions?.find((c) => c.type === "Stalled")?.message ?? "",
        /phase attach: no way to attach/,
      );
    } finally {
      process.env.PATH = saved;
      await rm(farm, { recursive: true, force: true });
    }
  });

  test("a VM deleted while install() runs: the script is stopped, the disks detached, the VM and (deleteDisks) its volumes gone", async () => {
    await declareProfile(
      h,
      pool,
      vnis,
      'import time\n\ndef install(**kwargs):\n    print("sleeping", flush=True)\n    time.sleep(600)\n',
      "c",
    );
    await h.store.create(obj("VirtualMachine", "slow1", { profile: "prof-c", deleteDisks: true }));
    const running = await h.waitFor(
      "VirtualMachine",
      "slow1",
      (r) => provisioning(r)?.phase === "install",
      120_000,
    );
    assert.ok(
      (await loopsAndMounts()).includes(provisioning(running)?.workDir ?? "?"),
      "mounted while install() runs",
    );
    await h.store.delete("VirtualMachine", "slow1");
    // The script sleeps 600 s: the VM can only be gone this soon if the delete stopped it.
    await h.waitFor("VirtualMachine", "slow1", (r) => r === null, 120_000);
    assert.ok(!(await loopsAndMounts()).includes(pool), "the disks are detached");
    await h.waitFor("CephVolume", `${pool}.slow1_sda`, (r) => r === null, 60_000);
    assert.deepEqual(
      (await ceph.rbdLs(pool)).map((i) => i.image).filter((n) => n.startsWith("slow1_")),
      [],
    );
  });
});
