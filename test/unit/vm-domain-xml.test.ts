/**
 * The VM kind's XML helpers: the parse cache (src/resources/domain-cache.ts) and giving a
 * definition its uuid (libvirt-xml.ts withDomainUuid), and PVC's domain keys (src/pvc/domain-tree.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { defineDomainTree, ownedValueHolds, runStateOfPvcState } from "../../src/pvc/domain-tree.ts";
import { PvcKeys } from "../../src/pvc/keys.ts";
import { parsedDomain, tryParsedDomain } from "../../src/resources/domain-cache.ts";
import { parseDomainXml, XmlError } from "../../src/resources/domain-xml.ts";
import { withDomainUuid } from "../../src/resources/libvirt-xml.ts";

const UUID = "6f1c3a52-8d2e-4b7a-9f0e-2c4d5b6a7e81";
const XML = `<domain type='kvm'><name>web1</name><uuid>${UUID}</uuid><memory unit='MiB'>512</memory><devices><interface type='bridge'><source bridge='vmbr42'/></interface><interface type='bridge'><source bridge='br0'/></interface><disk type='network'><source protocol='rbd' name='vms/web1_sda'/><target dev='sda'/></disk></devices></domain>`;

test("parsedDomain: parsed once per text, frozen, with the vnis of PVC bridges; bad XML throws every time", () => {
  const a = parsedDomain(XML);
  assert.equal(parsedDomain(XML), a, "the same text is not parsed again");
  assert.ok(Object.isFrozen(a.info.rbdVolumes));
  assert.deepEqual(a.vnis, [42]);
  assert.deepEqual(a.info.rbdVolumes, ["vms/web1_sda"]);
  assert.throws(() => parsedDomain("<domain>"), XmlError);
  assert.throws(() => parsedDomain("<domain>"), XmlError);
  assert.equal(tryParsedDomain("<domain>"), undefined);
  assert.equal(tryParsedDomain(undefined), undefined);
});

test("withDomainUuid: the uuid after <name>, the rest kept; refuses a bad uuid or no domain", () => {
  const out = withDomainUuid(XML.replace(`<uuid>${UUID}</uuid>`, ""), UUID);
  const info = parseDomainXml(out);
  assert.equal(info.uuid, UUID);
  assert.equal(info.name, "web1");
  assert.deepEqual(info.rbdVolumes, ["vms/web1_sda"]);
  assert.match(out, /<name>web1<\/name>\s*<uuid>/);
  assert.throws(() => withDomainUuid(XML, UUID.toUpperCase()), /lowercase RFC 4122 UUID/);
  assert.throws(() => withDomainUuid("<vm/>", UUID), /expected <domain>/);
});

test("PVC's domain keys: define's tree in its order with state=stop; None reads as unset; states map to run states", () => {
  const keys = new PvcKeys("/r");
  const tree = defineDomainTree(
    keys,
    { uuid: UUID, name: "web1", xml: XML, rbdList: ["vms/web1_sda"], nodeLimit: ["hv1", "hv2"] },
    { node: "hv1", autostart: true },
  );
  assert.deepEqual(
    [...tree].map(([p, v]) => [p.slice(`/r/domains/${UUID}`.length), v === XML ? "<xml>" : v]),
    [
      ["", "web1"],
      ["/state", "stop"],
      ["/node", "hv1"],
      ["/lastnode", ""],
      ["/node_limit", "hv1,hv2"],
      ["/node_selector", ""],
      ["/node_autostart", "True"],
      ["/failedreason", ""],
      ["/consolelog", ""],
      ["/rbdlist", "vms/web1_sda"],
      ["/profile", ""],
      ["/xml", "<xml>"],
    ],
  );
  assert.ok(ownedValueHolds("node_selector", "None", ""));
  assert.ok(ownedValueHolds("profile", "None", ""));
  assert.ok(!ownedValueHolds("node_limit", "None", ""));
  assert.ok(!ownedValueHolds("node_selector", "mem", ""));
  assert.deepEqual(
    ["start", "migrate", "restart", "shutdown", "stop", "disable", "fail", ""].map(runStateOfPvcState),
    ["start", "start", "start", "shutdown", "stop", "disable", "stop", "stop"],
  );
});
