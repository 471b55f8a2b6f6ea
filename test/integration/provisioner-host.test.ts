/**
 * Provisioning's host side against the shared one-node Ceph, for real: three volumes attached by
 * the method the host has (rbd-fuse + losetup here: no rbd kernel module), formatted ext4 with
 * PVC-style options, mounted as / /var /var/log under one root, a script's install() run on them,
 * everything released; then attached again to read back what was written. A script that raises
 * gives the Python error and the disks are still released.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CephClient } from "../../src/ceph/client.ts";
import { run } from "../../src/provisioner/exec.ts";
import { attachMethod, HostDisks, mkfsArgs } from "../../src/provisioner/host-disks.ts";
import { runInstall } from "../../src/provisioner/install.ts";
import { cephConf } from "../helpers/env.ts";

const MiB = 1024 * 1024;
const SCRIPT = `import os

def install(**kwargs):
    root = kwargs["temporary_directory"]
    with open(os.path.join(root, "var", "log", "installed-by"), "w") as f:
        f.write("%s %s %s" % (kwargs["vm_name"], kwargs["deb_release"], len(kwargs["disks"])))
    print("wrote", kwargs["vm_name"])
`;

async function loopDevices(): Promise<string> {
  return (await run("losetup", ["-a"])).stdout;
}

describe("provisioner host disks", () => {
  const pool = `prov${process.pid}`;
  let ceph: CephClient;

  before(async () => {
    ceph = new CephClient({ conf: cephConf() });
    await ceph.poolCreate(pool, 8, { size: 1, minSize: 1 });
    await ceph.rbdPoolInit(pool);
    for (const d of ["sda", "sdb", "sdc"]) await ceph.rbdCreate(pool, `vm1_${d}`, 64 * MiB);
  });
  after(async () => {
    await ceph.poolRm(pool).catch(() => undefined);
  });

  test("attach, mkfs, mount, install(), release; the files are there when attached again", async () => {
    assert.equal(attachMethod(), "rbd-fuse");
    const disks = new HostDisks(cephConf());
    const root = await disks.rootDir();
    try {
      for (const [id, mountpoint, label] of [
        ["sda", "/", "root"],
        ["sdb", "/var", "var"],
        ["sdc", "/var/log", "log"],
      ]) {
        const { device } = await disks.attach(pool, `vm1_${id}`);
        await disks.mkfs(device, "ext4", [`-L=${label}`, "-m=1"]);
        await disks.mount(device, root, mountpoint);
      }
      const r = await runInstall(SCRIPT, {
        vm_name: "vm1",
        vm_id: 1,
        temporary_directory: root,
        disks: [{ disk_id: "sda" }, { disk_id: "sdb" }, { disk_id: "sdc" }],
        networks: [],
        deb_release: "buster",
      });
      assert.equal(r.ok, true, r.error);
      assert.equal(r.output, "wrote vm1\n");
    } finally {
      assert.deepEqual(await disks.releaseAll(), []);
    }
    assert.equal(existsSync(root), false, "the work directory is removed once all is released");
    assert.ok(!(await loopDevices()).includes(pool), "no loop device left on the pool");

    const again = new HostDisks(cephConf());
    const check = await again.rootDir();
    try {
      const sdc = await again.attach(pool, "vm1_sdc");
      const blkid = await run("blkid", ["-o", "export", sdc.device]);
      assert.match(blkid.stdout, /TYPE=ext4/);
      assert.match(blkid.stdout, /LABEL=log/);
      await again.mount(sdc.device, check, "/");
      assert.equal(await readFile(join(check, "installed-by"), "utf8"), "vm1 buster 3");
    } finally {
      assert.deepEqual(await again.releaseAll(), []);
    }
  });

  test("a script that raises: the Python error and its output; the disks are released all the same", async () => {
    const disks = new HostDisks(cephConf());
    const root = await disks.rootDir();
    let result: Awaited<ReturnType<typeof runInstall>> | undefined;
    try {
      const { device } = await disks.attach(pool, "vm1_sdb");
      await disks.mount(device, root, "/");
      result = await runInstall(
        'def install(**kwargs):\n    print("starting")\n    raise RuntimeError("no mirror for " + kwargs["vm_name"])\n',
        { vm_name: "vm2" },
      );
    } finally {
      assert.deepEqual(await disks.releaseAll(), []);
    }
    assert.equal(result?.ok, false);
    assert.equal(result?.error, "RuntimeError: no mirror for vm2");
    assert.match(result?.output ?? "", /^starting\nTraceback/);
    assert.ok(!(await loopDevices()).includes(pool));
  });

  test("mkfs options are split at the first = as PVC does; a missing mkfs names itself", async () => {
    assert.deepEqual(mkfsArgs(["-L=root", "-m=1", "--opt=a=b", "-F"]), [
      "-L",
      "root",
      "-m",
      "1",
      "--opt",
      "a=b",
      "-F",
    ]);
    const disks = new HostDisks(cephConf());
    await assert.rejects(disks.mkfs("/dev/null", "nosuchfs", []), {
      code: "TOOL_MISSING",
      message: "mkfs.nosuchfs is not installed on this host",
    });
  });
});
