import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDomainXml, parseXml, XmlError } from "../../src/resources/domain-xml.ts";

const XML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- made by hand -->
<domain type='kvm' xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">
  <name>web&amp;1</name>
  <uuid> 3e3fce45-4f53-4fa7-bb32-11f34168b82b </uuid>
  <description><![CDATA[<not a tag>]]></description>
  <devices>
    <disk type="network" device="disk">
      <source protocol="rbd" name="vms/web1_sda"><host name="hv1" port="6789"/></source>
      <target dev="sda" bus="scsi"/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/dev/shm/vhostmd0'/>
      <target dev='sdz' bus='usb'/>
    </disk>
    <disk type="network" device="disk">
      <source protocol="rbd" name="ssd/web1_sdb"/>
      <target dev="sdb" bus="scsi"/>
    </disk>
  </devices>
</domain>
`;

test("parseDomainXml extracts name, uuid, disks and the RBD list PVC stores", () => {
  const info = parseDomainXml(XML);
  assert.equal(info.name, "web&1");
  assert.equal(info.uuid, "3e3fce45-4f53-4fa7-bb32-11f34168b82b");
  assert.equal(info.type, "kvm");
  assert.deepEqual(info.rbdVolumes, ["vms/web1_sda", "ssd/web1_sdb"]);
  assert.deepEqual(info.disks[1], { type: "file", source: "/dev/shm/vhostmd0", target: "sdz", bus: "usb" });
  assert.equal(parseXml(XML).children.find((c) => c.name === "description")?.text, "<not a tag>");
});

test("malformed XML and unusable domains are refused with a reason", () => {
  const cases: [string, RegExp][] = [
    ["", /no root element/],
    ["<domain><name>a</name>", /not closed/],
    ["<domain><name>a</nam></domain>", /does not match <name>/],
    ["<domain a=1/>", /not quoted/],
    ["<domain a='1' a='2'/>", /duplicate attribute/],
    ["<domain/><domain/>", /second root/],
    ["<!DOCTYPE x [<!ENTITY a 'b'>]><domain/>", /DOCTYPE/],
    ["<domain>&custom;</domain>", /unknown entity/],
    ["<domain>a & b</domain>", /bare "&"/],
    ["<vm><name>a</name></vm>", /expected <domain>/],
    ["<domain><uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid></domain>", /no <name>/],
    ["<domain><name>a</name><name>b</name></domain>", /2 <name> elements/],
    ["<domain><name>a</name><uuid>not-a-uuid</uuid></domain>", /not a lowercase RFC 4122 UUID/],
  ];
  for (const [xml, reason] of cases)
    assert.throws(
      () => parseDomainXml(xml),
      (err: unknown) => err instanceof XmlError && reason.test(err.message),
      xml,
    );
});
