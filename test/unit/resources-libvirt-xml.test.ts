import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes, isPvcError } from "../../src/errors.ts";
import { parseDomainXml, parseXml } from "../../src/resources/domain-xml.ts";
import {
  buildDomainXml,
  type DomainSpec,
  type DomainSpecInput,
  memoryElementMiB,
  normalizeDomainSpec,
  readDomainSpec,
} from "../../src/resources/libvirt-xml.ts";
import { parseDomainResources } from "../../src/sim/domain-xml.ts";

const UUID = "3e3fce45-4f53-4fa7-bb32-11f34168b82b";
const MONITORS = [
  { host: "hv1", port: 6789 },
  { host: "10.0.0.2", port: 6789 },
  { host: "fd00::3", port: 3300 },
];

const FULL: DomainSpec = {
  name: "web1",
  uuid: UUID,
  description: "web & cache <tier 1>\nsecond line",
  type: "kvm",
  arch: "x86_64",
  machine: "pc-q35-7.2",
  memoryMiB: 4096,
  vcpus: 4,
  disks: [
    {
      kind: "rbd",
      pool: "vms",
      volume: "web1_sda",
      target: "sda",
      bus: "scsi",
      monitors: MONITORS,
      auth: { username: "libvirt", secretUuid: "6f1c3a52-8d2e-4b7a-9f0e-2c4d5b6a7e81" },
    },
    {
      kind: "rbd",
      pool: "ssd",
      volume: "web1_vdb",
      target: "vdb",
      bus: "virtio",
      monitors: MONITORS.slice(0, 1),
    },
    { kind: "file", path: "/dev/shm/vhostmd0", target: "sdz", bus: "usb", readOnly: true },
  ],
  interfaces: [
    { vni: 100, mac: "52:54:00:12:34:56", model: "virtio" },
    { vni: 16777215, mac: "52:54:00:ab:cd:ef", model: "e1000" },
  ],
  serial: true,
  vnc: { listen: "127.0.0.1", port: 5901 },
};

test("build then read gives the same description back", () => {
  const xml = buildDomainXml(FULL);
  assert.deepEqual(readDomainSpec(xml), FULL);
  // Autoport VNC and no optional parts.
  const bare: DomainSpec = {
    ...FULL,
    description: undefined,
    machine: undefined,
    disks: [],
    interfaces: [],
    serial: false,
    vnc: { listen: "::" },
  };
  delete bare.description;
  delete bare.machine;
  assert.deepEqual(readDomainSpec(buildDomainXml(bare)), bare);
});

test("left-out values get libvirt's and PVC's usual ones, and read back so", () => {
  const input: DomainSpecInput = {
    name: "db1",
    uuid: UUID,
    memoryMiB: 1024,
    vcpus: 1,
    disks: [{ kind: "rbd", pool: "vms", volume: "db1_sda", target: "sda", monitors: MONITORS }],
    interfaces: [{ vni: 200, mac: "52-54-00-AA-BB-CC" }],
  };
  const spec = normalizeDomainSpec(input);
  assert.equal(spec.type, "kvm");
  assert.equal(spec.arch, "x86_64");
  assert.equal(spec.disks[0].bus, "scsi");
  assert.deepEqual(spec.interfaces, [{ vni: 200, mac: "52:54:00:aa:bb:cc", model: "virtio" }]);
  assert.equal(spec.serial, false);
  assert.deepEqual(readDomainSpec(buildDomainXml(input)), spec);
});

test("what is built is what PVC and the hollow nodes read: name, uuid, rbdlist, bridge, memory, vCPUs", () => {
  const xml = buildDomainXml(FULL);
  const info = parseDomainXml(xml);
  assert.equal(info.name, "web1");
  assert.equal(info.uuid, UUID);
  assert.deepEqual(info.rbdVolumes, ["vms/web1_sda", "ssd/web1_vdb"]);
  assert.deepEqual(parseDomainResources(xml), { memMiB: 4096, vcpus: 4 });
  const devices = parseXml(xml).children.find((c) => c.name === "devices");
  const bridges = devices?.children
    .filter((c) => c.name === "interface")
    .map((i) => i.children.find((c) => c.name === "source")?.attrs.bridge);
  assert.deepEqual(bridges, ["vmbr100", "vmbr16777215"]);
  const hosts = devices?.children
    .find((c) => c.name === "disk")
    ?.children.find((c) => c.name === "source")
    ?.children.map((h) => `${h.attrs.name}:${h.attrs.port}`);
  assert.deepEqual(hosts, ["hv1:6789", "10.0.0.2:6789", "fd00::3:3300"]);
  assert.match(xml, /<log file="\/var\/log\/libvirt\/web1\.log" append="on"\/>/);
});

test("names and text are escaped by the library, never spliced: markup in values stays text", () => {
  const tricky = `a&b<c>"d'e`;
  const description = `]]><!DOCTYPE x [<!ENTITY y "z">]><name>evil</name>&amp;`;
  const xml = buildDomainXml({ ...FULL, name: tricky, description });
  const spec = readDomainSpec(xml);
  assert.equal(spec.name, tricky);
  assert.equal(spec.description, description);
  assert.equal(parseXml(xml).children.filter((c) => c.name === "name").length, 1);
});

test("a bad description is refused naming the field and the value", () => {
  const cases: [Partial<DomainSpecInput>, string, RegExp][] = [
    [{ uuid: UUID.toUpperCase() }, "uuid", /uuid: must be a lowercase RFC 4122 UUID, got "3E3FCE45/],
    [{ name: "" }, "name", /name: must be a non-empty string, got ""/],
    [{ name: "a/b" }, "name", /must be a name without '\/', got "a\/b"/],
    [{ memoryMiB: 0 }, "memoryMiB", /memoryMiB: must be an integer from 1 to \d+, got 0/],
    [{ vcpus: 1.5 }, "vcpus", /vcpus: must be an integer from 1 to 4096, got 1.5/],
    [{ description: "bell\u0007" }, "description", /must be text without control characters/],
    [{ vnc: { listen: "anywhere" } }, "vnc.listen", /vnc.listen: must be an IP address, got "anywhere"/],
    [{ vnc: { listen: "::", port: 80 } }, "vnc.port", /must be an integer from 5900 to 65535, got 80/],
    [
      { interfaces: [{ vni: 0, mac: "52:54:00:12:34:56" }] },
      "interfaces[0].vni",
      /from 1 to 16777215, got 0/,
    ],
    [{ interfaces: [{ vni: 1, mac: "52:54:00:12:34" }] }, "interfaces[0].mac", /must be a MAC address/],
    [
      { disks: [{ kind: "rbd", pool: "vms", volume: "a", target: "sda", monitors: [] }] },
      "disks[0].monitors",
      /must list at least one Ceph monitor, got \[\]/,
    ],
    [
      { disks: [{ kind: "rbd", pool: "v/ms", volume: "a", target: "sda", monitors: MONITORS }] },
      "disks[0].pool",
      /must be a Ceph pool name, got "v\/ms"/,
    ],
    [
      {
        disks: [
          { kind: "rbd", pool: "vms", volume: "a", target: "sda", monitors: [{ host: "h;rm", port: 1 }] },
        ],
      },
      "disks[0].monitors[0].host",
      /must be a host name or an IP address, got "h;rm"/,
    ],
    [
      {
        disks: [
          { kind: "file", path: "/a", target: "sda" },
          { kind: "file", path: "/b", target: "sda" },
        ],
      },
      "disks[1].target",
      /is already used by another disk, got "sda"/,
    ],
    [{ disks: [{ kind: "file", path: "relative", target: "sda" }] }, "disks[0].path", /an absolute path/],
    [{ disks: [{ kind: "file", path: "/a", target: "disk0" }] }, "disks[0].target", /such as sda or vdb/],
  ];
  for (const [change, field, message] of cases) {
    const input = { ...FULL, ...change } as DomainSpecInput;
    assert.throws(
      () => buildDomainXml(input),
      (err: unknown) => {
        assert.ok(isPvcError(err, ErrorCodes.LIBVIRT_DOMAIN_INVALID), `${field}: ${String(err)}`);
        assert.equal(err.details?.field, field);
        assert.match(err.message, message);
        return true;
      },
    );
  }
});

test("memory in every libvirt unit reads as whole MiB; a unit named like a prototype member is unknown", () => {
  const mem = (xml: string) => memoryElementMiB(parseXml(xml));
  assert.equal(mem("<memory>4194304</memory>"), 4096);
  assert.equal(mem("<memory unit='GiB'>2</memory>"), 2048);
  assert.equal(mem("<memory unit='GB'>1</memory>"), 953);
  assert.throws(() => mem("<memory unit='constructor'>1</memory>"), /unknown unit "constructor" in <memory>/);
  assert.throws(() => mem("<memory unit='MiB'>lots</memory>"), /<memory> is not an integer: "lots"/);
});
