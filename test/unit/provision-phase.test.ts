/**
 * The provisioning phase's pure parts: the phases' progress, PVC's vm_id, the guest bus of a disk
 * id, MACs from a template or PVC's random octets, the libvirt XML built from templates (read
 * back through the project's reader), the monitors from `ceph mon dump`, and the v0.6 task shape
 * a FAILURE gives as conditions.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { taskConditions } from "../../controllers/vm/provision/job.ts";
import { PROVISION_TOTAL, pendingTask, progress, tail } from "../../controllers/vm/provision/phases.ts";
import type { Resolved } from "../../controllers/vm/provision/resolve.ts";
import { plannedVolumes } from "../../controllers/vm/provision/volumes.ts";
import { busOf, macOf, provisionedXml, vmIdOf } from "../../controllers/vm/provision/xml.ts";
import { parseMonHosts } from "../../src/ceph/parse.ts";
import { run } from "../../src/provisioner/exec.ts";
import { readDomainSpec } from "../../src/resources/libvirt-xml.ts";

const resolved: Resolved = {
  profile: "web",
  system: {
    vcpus: 2,
    vramMiB: 1024,
    serial: true,
    vnc: true,
    vncBind: "0.0.0.0",
    nodeLimit: [],
    startWithNode: false,
  },
  network: { macTemplate: "{prefix}:ff:f6:{vmid}{netid}", networks: [{ vni: 100 }, { vni: 200 }] },
  storage: {
    disks: [
      {
        id: "sda",
        pool: "vms",
        sizeGiB: 4,
        filesystem: "ext4",
        filesystemArgs: ["-L=root"],
        mountpoint: "/",
      },
      { id: "vdb", pool: "vms", sizeGiB: 1, filesystemArgs: [] },
    ],
    images: [{ id: "sdc", pool: "images", volume: "debian-base" }],
  },
  userdata: "",
  script: "def install(**kwargs):\n    pass\n",
  arguments: {},
};

describe("provisioning phase", () => {
  test("progress: each phase's number out of the total, done is total; PENDING as v0.6", () => {
    assert.equal(PROVISION_TOTAL, 8);
    assert.deepEqual(progress("resolve"), {
      phase: "resolve",
      current: 1,
      total: 8,
      message: "Collecting configuration",
    });
    assert.deepEqual(progress("start").current, 8);
    assert.deepEqual(progress("done", "all done"), {
      phase: "done",
      current: 8,
      total: 8,
      message: "all done",
    });
    assert.equal(pendingTask("u1").state, "PENDING");
    assert.equal(tail("abcdef", 3), "def");
  });

  test("vm_id is the number the name ends with, else 0; the bus follows the disk id", () => {
    assert.equal(vmIdOf("web12"), 12);
    assert.equal(vmIdOf("web"), 0);
    assert.deepEqual(["sda", "vdb", "hdc", "xvda"].map(busOf), ["scsi", "virtio", "ide", "scsi"]);
  });

  test("MACs: the template filled with one hex digit of vm id and net index; else 52:54:00 and octets 16..238", () => {
    assert.equal(
      macOf("{prefix}:ff:f6:{vmid}{netid}", 27, 1, () => 0),
      "52:54:00:ff:f6:b1",
    );
    assert.equal(
      macOf(undefined, 0, 0, (min) => min),
      "52:54:00:10:10:10",
    );
    assert.equal(
      macOf(undefined, 0, 0, (_min, max) => max),
      "52:54:00:ee:ee:ee",
    );
  });

  test("the XML: memory, vCPUs, serial, VNC, one interface per network in order, RBD disks with the monitors", () => {
    const monitors = [{ host: "10.0.0.1", port: 6789 }];
    const xml = provisionedXml({
      name: "web3",
      uuid: "0b1f3c1e-0000-4000-8000-000000000001",
      vmId: 3,
      resolved,
      planned: plannedVolumes("web3", resolved),
      monitors,
      randomInt: () => 0,
    });
    const spec = readDomainSpec(xml);
    assert.equal(spec.name, "web3");
    assert.equal(spec.memoryMiB, 1024);
    assert.equal(spec.vcpus, 2);
    assert.equal(spec.serial, true);
    assert.deepEqual(spec.vnc, { listen: "0.0.0.0" });
    assert.deepEqual(
      spec.interfaces.map((i) => [i.vni, i.mac]),
      [
        [100, "52:54:00:ff:f6:30"],
        [200, "52:54:00:ff:f6:31"],
      ],
    );
    assert.deepEqual(
      spec.disks.map((d) => (d.kind === "rbd" ? [d.pool, d.volume, d.target, d.bus, d.monitors] : [])),
      [
        ["vms", "web3_sda", "sda", "scsi", monitors],
        ["vms", "web3_vdb", "vdb", "virtio", monitors],
        ["images", "web3_sdc", "sdc", "scsi", monitors],
      ],
    );
  });

  test("planned volumes: <vm>_<disk_id> in the template's pool; images cloned from their source", () => {
    const planned = plannedVolumes("web3", resolved);
    assert.deepEqual(
      planned.map((v) => [v.pool, v.volume, v.source]),
      [
        ["vms", "web3_sda", undefined],
        ["vms", "web3_vdb", undefined],
        ["images", "web3_sdc", { pool: "images", volume: "debian-base" }],
      ],
    );
  });

  test("ceph mon dump: each monitor's v1 address (v2 when it has none)", () => {
    const dump = {
      mons: [
        {
          public_addrs: {
            addrvec: [
              { type: "v2", addr: "127.0.0.1:33400" },
              { type: "v1", addr: "127.0.0.1:33489" },
            ],
          },
        },
        { public_addrs: { addrvec: [{ type: "v2", addr: "[fd00::2]:3300" }] } },
      ],
    };
    assert.deepEqual(parseMonHosts("ceph mon dump", dump), [
      { host: "127.0.0.1", port: 33489 },
      { host: "fd00::2", port: 3300 },
    ]);
    assert.throws(() => parseMonHosts("ceph mon dump", { mons: [{}] }), /mons\[0\] has no usable address/);
  });

  test("host programs get no input: one that asks (cat here, mke2fs's Proceed anyway?) reads end-of-file", async () => {
    // Before, stdin was an open pipe: cat waited until the time bound and the call was rejected.
    const r = await run("cat", [], { timeoutMs: 20_000 });
    assert.deepEqual(r, { code: 0, stdout: "", stderr: "" });
  });

  test("a FAILURE's condition names the phase and the error", () => {
    const patch = taskConditions({
      ...pendingTask("u"),
      state: "FAILURE",
      ...progress("install"),
      error: "RuntimeError: x",
    });
    assert.deepEqual(
      patch.set?.map((c) => [c.type, c.status, c.reason, c.message]).find((c) => c[0] === "Stalled"),
      ["Stalled", "True", "ProvisioningFailed", "provisioning failed in phase install: RuntimeError: x"],
    );
  });
});
