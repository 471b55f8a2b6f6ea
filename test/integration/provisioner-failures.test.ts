/**
 * Provisioning that fails, on the real app, Ceph and hollow nodes: the task ends in FAILURE with
 * why in the status (the Python error for a script that raises, with its output; mkfs's complaint
 * for a filesystem option it refuses), the VM is Stalled naming the phase, it is not defined, and
 * its disks are detached: nothing of the run is mounted (fuse mounts included) or attached as a
 * loop device on this host, and its directory is gone.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { expectV1, v1Call, v1Ok } from "../helpers/api-app.ts";
import { leftoversUnder, ProvisionScene, provisioningOf } from "../helpers/provision-scene.ts";
import { pvcctl, show } from "./cli-helpers.ts";

const RAISES = [
  "def install(**kwargs):",
  '    print("starting")',
  '    raise RuntimeError("no mirror for " + kwargs["vm_name"])',
  "",
].join("\n");

describe("provisioning that fails", () => {
  const s = new ProvisionScene("provfail");

  /** A storage template of three mounted ext4 disks; `lastArgs` are the /var/log disk's mkfs options. */
  async function storage(name: string, lastArgs: string[]): Promise<void> {
    await v1Ok(s.url, "POST", "/provisioner/template/storage", { name });
    const disks: [string, string, string[]][] = [
      ["sda", "/", ["-L=root"]],
      ["sdb", "/var", ["-L=var"]],
      ["sdc", "/var/log", lastArgs],
    ];
    for (const [id, mountpoint, args] of disks)
      await v1Ok(s.url, "POST", `/provisioner/template/storage/${name}/disk`, {
        disk_id: id,
        disk_size: "1",
        pool: s.pool,
        filesystem: "ext4",
        filesystem_arg: args,
        mountpoint,
      });
  }

  async function profile(name: string, storageTemplate: string, script: string): Promise<void> {
    await v1Ok(s.url, "POST", "/provisioner/profile", {
      name,
      system_template: "small",
      network_template: "one-net",
      storage_template: storageTemplate,
      userdata_template: "none",
      script,
    });
  }

  /** Creates `vm` from `profile`; waits until its task ends; returns the task id. */
  async function create(vm: string, profileName: string): Promise<string> {
    const r = await v1Call(s.url, "POST", "/provisioner/create", { name: vm, profile: profileName });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await s.provisioned(vm);
    return (r.body as { task_id: string }).task_id;
  }

  /** Not defined in PVC, and nothing of the run left on this host. */
  async function leftNothing(vm: string): Promise<void> {
    const dirs = s.workDirsOf(vm);
    assert.ok(dirs.length > 0, "status.provisioning.workDir shown while the disks were attached");
    for (const dir of dirs) {
      assert.deepEqual(await leftoversUnder(dir), [], "nothing mounted or attached");
      await assert.rejects(readFile(join(dir, "root")), { code: "ENOENT" });
    }
    assert.equal((s.vm(vm)?.status as { uuid?: string } | undefined)?.uuid, undefined, "not defined");
    const domains = await s.t.app.zk.children(s.keys.domains()).catch(() => []);
    assert.deepEqual(domains, [], "no domain in PVC's keys");
  }

  before(async () => {
    await s.start([200]);
    await v1Ok(s.url, "POST", "/provisioner/template/system", { name: "small", vcpus: "1", vram: "512" });
    await v1Ok(s.url, "POST", "/provisioner/template/network", { name: "one-net" });
    await v1Ok(s.url, "POST", "/provisioner/template/network/one-net/net", { vni: "200" });
    await v1Ok(s.url, "POST", "/provisioner/template/userdata", { name: "none", data: "" });
    await storage("three-ext4", ["-L=log"]);
  });
  after(() => s.stop());

  test("a script that raises: FAILURE with the Python error and output in the status, Stalled, disks detached", async () => {
    const script = await v1Call(s.url, "POST", "/provisioner/script", { name: "raises", data: RAISES }, true);
    expectV1(script, 200, "Created provisioning script 'raises'");
    await profile("raising", "three-ext4", "raises");
    const taskId = await create("fail1", "raising");

    const p = provisioningOf(s.vm("fail1"));
    assert.equal(p?.state, "FAILURE", JSON.stringify(p));
    assert.equal(p?.phase, "install");
    assert.equal(p?.error, "RuntimeError: no mirror for fail1");
    assert.match(
      p?.output ?? "",
      /^starting\nTraceback \(most recent call last\):\n[\s\S]*RuntimeError: no mirror for fail1\n$/,
    );
    const stalled = s.vm("fail1")?.status?.conditions?.find((c) => c.type === "Stalled");
    assert.equal(stalled?.status, "True");
    assert.equal(stalled?.reason, "ProvisioningFailed");
    assert.match(stalled?.message ?? "", /install.*RuntimeError: no mirror for fail1/);

    const status = await v1Call(s.url, "GET", `/provisioner/status/${taskId}`);
    assert.equal(status.status, 200, JSON.stringify(status.body));
    const body = status.body as { state: string; status: string };
    assert.equal(body.state, "FAILURE");
    assert.match(body.status, /RuntimeError: no mirror for fail1/);

    // The volumes were made (before anything ran on this host) and stay the VM's; the run left nothing.
    assert.deepEqual(await s.images(), ["fail1_sda", "fail1_sdb", "fail1_sdc"]);
    await leftNothing("fail1");
    const events = await pvcctl(["events", "vm", "fail1"], { PVCCTL_SERVER: s.url });
    assert.equal(events.code, 0, show(events));
    assert.match(events.stdout, /RuntimeError: no mirror for fail1/, show(events));
  });

  test("mkfs refuses an option: FAILURE in attach naming mkfs and the option, disks detached", async () => {
    await storage("bad-mkfs", ["-b=12345"]);
    const script = await readFile(
      new URL("../../manifests/examples/provisioner-script.py", import.meta.url),
      "utf8",
    );
    const created = await v1Call(
      s.url,
      "POST",
      "/provisioner/script",
      { name: "example", data: script },
      true,
    );
    expectV1(created, 200, "Created provisioning script 'example'");
    await profile("bad-mkfs", "bad-mkfs", "example");
    await create("fail2", "bad-mkfs");

    const p = provisioningOf(s.vm("fail2"));
    assert.equal(p?.state, "FAILURE", JSON.stringify(p));
    assert.equal(p?.phase, "attach");
    assert.match(p?.error ?? "", /mkfs\.ext4 -b 12345 .*failed/);
    await leftNothing("fail2");
  });
});
