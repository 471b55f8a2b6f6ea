import assert from "node:assert/strict";
import { test } from "node:test";
import { fillMacTemplate } from "../../src/resources/kinds/provisioner.ts";
import { lookupKind } from "../../src/resources/kinds.ts";
import { validateResource } from "../../src/resources/validate.ts";
import { invalid } from "../helpers/validation.ts";

const API = "pvc.parallelvirtualcluster.org/v1";

const doc = (kind: string, spec: Record<string, unknown>, name = "t1") => ({
  apiVersion: API,
  kind,
  metadata: { name },
  spec,
});

test("SystemTemplate: defaults, and the manual's example name with + and -", () => {
  assert.deepEqual(
    validateResource(doc("SystemTemplate", { vcpus: 2, vramMiB: 1024 }, "2cpu-1gb+serial")).spec,
    {
      vcpus: 2,
      vramMiB: 1024,
      serial: false,
      vnc: false,
      nodeLimit: [],
      startWithNode: false,
    },
  );
});

test("SystemTemplate: required sizes, vncBind needs vnc and must be an address", () => {
  invalid(doc("SystemTemplate", { vcpus: 0, vncBind: "127.0.0.1", nodeSelector: "cpu" }), [
    ["/spec/vcpus", 0, />= 1/],
    ["/spec/vramMiB", undefined, /is required/],
    ["/spec/vncBind", "127.0.0.1", /needs spec\.vnc: true/],
    ["/spec/nodeSelector", "cpu", /mem/],
  ]);
  invalid(doc("SystemTemplate", { vcpus: 1, vramMiB: 512, vnc: true, vncBind: "localhost" }), [
    ["/spec/vncBind", "localhost", /IPv4 or IPv6 address/],
  ]);
  assert.doesNotThrow(() =>
    validateResource(doc("SystemTemplate", { vcpus: 1, vramMiB: 512, vnc: true, vncBind: "::" })),
  );
});

test("NetworkTemplate: MAC template placeholders and result, unique VNIs", () => {
  assert.equal(fillMacTemplate("{prefix}:ff:f6:{vmid}{netid}", 17, 2), "52:54:00:ff:f6:12");
  assert.deepEqual(validateResource(doc("NetworkTemplate", {})).spec, { networks: [] });
  invalid(
    doc("NetworkTemplate", {
      macTemplate: "{prefix}:{vm}:00:00",
      networks: [{ vni: 100 }, { vni: 200 }, { vni: 100 }],
    }),
    [
      ["/spec/macTemplate", "{prefix}:{vm}:00:00", /unknown placeholder \{vm\}/],
      ["/spec/networks/2/vni", 100, /duplicates the VNI of \/spec\/networks\/0\/vni/],
    ],
  );
  invalid(doc("NetworkTemplate", { macTemplate: "{prefix}:ff:{vmid}{netid}" }), [
    ["/spec/macTemplate", "{prefix}:ff:{vmid}{netid}", /must give a MAC address/],
  ]);
  invalid(doc("NetworkTemplate", { networks: [{ vni: 0, name: "x" }] }), [
    ["/spec/networks/0/vni", 0, /VNI/],
    ["/spec/networks/0/name", "x", /not a known field/],
  ]);
});

test("StorageTemplate: defaults and references", () => {
  const out = validateResource(
    doc("StorageTemplate", {
      disks: [{ id: "sda", pool: "vms", sizeGiB: 4, filesystem: "ext4", mountpoint: "/" }],
      images: [{ id: "sdb", pool: "images", volume: "debian-12" }],
    }),
  );
  assert.deepEqual(out.spec.disks, [
    { id: "sda", pool: "vms", sizeGiB: 4, filesystem: "ext4", filesystemArgs: [], mountpoint: "/" },
  ]);
  assert.deepEqual(lookupKind("StorageTemplate")?.references(out as unknown as Record<string, unknown>), [
    { kind: "CephPool", name: "vms" },
    { kind: "CephPool", name: "images" },
    { kind: "CephVolume", name: "images.debian-12" },
  ]);
});

test("StorageTemplate: ids unique across disks and images, mountpoint and args need a filesystem, formats", () => {
  invalid(
    doc("StorageTemplate", {
      disks: [
        { id: "sda", pool: "vms", sizeGiB: 4, mountpoint: "/", filesystemArgs: ["-L=root"] },
        {
          id: "sdb",
          pool: "vms",
          sizeGiB: 0,
          filesystem: "ext4",
          filesystemArgs: ["-L root"],
          mountpoint: "var",
        },
        { id: "disk3", pool: "vms.ssd", sizeGiB: 1, filesystem: "ext4", mountpoint: "/" },
      ],
      images: [{ id: "sda", pool: "images", volume: "base" }],
    }),
    [
      ["/spec/disks/0/mountpoint", "/", /needs a filesystem/],
      ["/spec/disks/0/filesystemArgs", ["-L=root"], /needs a filesystem/],
      ["/spec/disks/1/sizeGiB", 0, />= 1/],
      ["/spec/disks/1/filesystemArgs/0", "-L root", /--opt=val form/],
      ["/spec/disks/1/mountpoint", "var", /absolute path/],
      ["/spec/disks/2/id", "disk3", /sda, vdb/],
      ["/spec/disks/2/pool", "vms.ssd", /pool name/],
      ["/spec/disks/2/mountpoint", "/", /duplicates the mountpoint of \/spec\/disks\/0\/mountpoint/],
      ["/spec/images/0/id", "sda", /duplicates the device id of \/spec\/disks\/0\/id/],
    ],
  );
});

test("UserdataTemplate may be empty; ProvisionerScript must define install()", () => {
  assert.deepEqual(validateResource(doc("UserdataTemplate", { data: "" }, "empty")).spec, { data: "" });
  invalid(doc("UserdataTemplate", {}), [["/spec/data", undefined, /is required/]]);
  assert.doesNotThrow(() =>
    validateResource(doc("ProvisionerScript", { data: "import os\n\ndef install(**kwargs):\n    pass\n" })),
  );
  invalid(doc("ProvisionerScript", { data: "def setup(**kwargs):\n    pass\n" }), [
    ["/spec/data", "def setup(**kwargs):\n    pass\n", /install\(\*\*kwargs\)/],
  ]);
  invalid(doc("ProvisionerScript", { data: "" }), [["/spec/data", "", /fewer than 1/]]);
});

const profileSpec = {
  systemTemplate: "2cpu-1gb-serial",
  networkTemplate: "lan",
  storageTemplate: "ext4-root",
  userdataTemplate: "empty",
  script: "debootstrap",
};

test("ProvisionerProfile: references, and arguments converted to text", () => {
  const out = validateResource(
    doc("ProvisionerProfile", {
      ...profileSpec,
      arguments: { deb_release: "bookworm", retries: 3, debug: false },
    }),
  );
  assert.deepEqual(out.spec.arguments, { deb_release: "bookworm", retries: "3", debug: "false" });
  assert.deepEqual(lookupKind("profile")?.references(out as unknown as Record<string, unknown>), [
    { kind: "SystemTemplate", name: "2cpu-1gb-serial" },
    { kind: "NetworkTemplate", name: "lan" },
    { kind: "StorageTemplate", name: "ext4-root" },
    { kind: "UserdataTemplate", name: "empty" },
    { kind: "ProvisionerScript", name: "debootstrap" },
  ]);
  assert.deepEqual(validateResource(doc("ProvisionerProfile", profileSpec)).spec.arguments, {});
});

test("ProvisionerProfile: all five references required; argument names and values PVC can store", () => {
  invalid(doc("ProvisionerProfile", { systemTemplate: "a b" }), [
    ["/spec/systemTemplate", "a b", /letters, digits/],
    ["/spec/networkTemplate", undefined, /is required/],
    ["/spec/storageTemplate", undefined, /is required/],
    ["/spec/userdataTemplate", undefined, /is required/],
    ["/spec/script", undefined, /is required/],
  ]);
  invalid(
    doc("ProvisionerProfile", {
      ...profileSpec,
      arguments: {
        "deb-release": "x",
        vm_name: "y",
        packages: "a|b",
        url: "http://x/?a=b",
        nested: { a: 1 },
      },
    }),
    [
      ["/spec/arguments/deb-release", "deb-release", /Python identifier/],
      ["/spec/arguments/vm_name", "y", /built-in argument/],
      ["/spec/arguments/packages", "a|b", /must not contain \| or =/],
      ["/spec/arguments/url", "http://x/?a=b", /must not contain \| or =/],
      ["/spec/arguments/nested", { a: 1 }, /text, a number or a boolean/],
    ],
  );
});
