import assert from "node:assert/strict";
import { test } from "node:test";
import { isPvcError } from "../../src/errors.ts";
import { getKind, KINDS, lookupKind, sortForApply, sortForDelete } from "../../src/resources/kinds.ts";
import {
  cephSnapshotName,
  cephVolumeName,
  splitCephSnapshotName,
  splitCephVolumeName,
} from "../../src/resources/names.ts";
import { API_GROUP_VERSION } from "../../src/resources/types.ts";

test("the registry lists thirteen kinds with lowercase plurals and unique aliases", () => {
  assert.deepEqual(
    KINDS.map((k) => [k.kind, k.plural]),
    [
      ["Node", "nodes"],
      ["CephPool", "cephpools"],
      ["Network", "networks"],
      ["ProvisionerScript", "provisionerscripts"],
      ["SystemTemplate", "systemtemplates"],
      ["UserdataTemplate", "userdatatemplates"],
      ["CephVolume", "cephvolumes"],
      ["NetworkTemplate", "networktemplates"],
      ["CephSnapshot", "cephsnapshots"],
      ["StorageTemplate", "storagetemplates"],
      ["ProvisionerProfile", "provisionerprofiles"],
      ["VirtualMachine", "virtualmachines"],
      ["GitOpsSync", "gitopssyncs"],
    ],
  );
  for (const k of KINDS) {
    assert.equal(k.apiVersion, API_GROUP_VERSION);
    assert.equal(k.plural, k.plural.toLowerCase());
    assert.equal(k.userCreatable, k.kind !== "Node" && k.kind !== "GitOpsSync");
  }
});

test("lookup by kind, plural, singular or short name, any case", () => {
  for (const alias of ["CephVolume", "cephvolumes", "CEPHVOLUME", "vol", "Volume"]) {
    assert.equal(lookupKind(alias)?.kind, "CephVolume", alias);
  }
  assert.equal(lookupKind("vm")?.kind, "VirtualMachine");
  assert.equal(lookupKind("net")?.kind, "Network");
  assert.equal(lookupKind("pool")?.kind, "CephPool");
  assert.equal(lookupKind("snap")?.kind, "CephSnapshot");
  assert.equal(lookupKind("profile")?.kind, "ProvisionerProfile");
  assert.equal(lookupKind("pods"), undefined);
  assert.throws(
    () => getKind("pods"),
    (err: unknown) => isPvcError(err, "NOT_FOUND") && /known kinds: Node, CephPool/.test(err.message),
  );
});

test("apply order puts what is named before what names it", () => {
  const rank = (kind: string) => getKind(kind).rank;
  const before: [string, string][] = [
    ["CephPool", "CephVolume"],
    ["CephVolume", "CephSnapshot"],
    ["Network", "NetworkTemplate"],
    ["CephVolume", "StorageTemplate"],
    ["SystemTemplate", "ProvisionerProfile"],
    ["NetworkTemplate", "ProvisionerProfile"],
    ["StorageTemplate", "ProvisionerProfile"],
    ["UserdataTemplate", "ProvisionerProfile"],
    ["ProvisionerScript", "ProvisionerProfile"],
    ["ProvisionerProfile", "VirtualMachine"],
    ["Network", "VirtualMachine"],
    ["CephVolume", "VirtualMachine"],
  ];
  for (const [a, b] of before) assert.ok(rank(a) < rank(b), `${a} before ${b}`);
  const docs = [
    { kind: "VirtualMachine", metadata: { name: "web1" } },
    { kind: "CephVolume", metadata: { name: "vms.b" } },
    { kind: "CephPool", metadata: { name: "vms" } },
    { kind: "CephVolume", metadata: { name: "vms.a" } },
  ];
  assert.deepEqual(
    sortForApply(docs).map((d) => d.metadata.name),
    ["vms", "vms.a", "vms.b", "web1"],
  );
  assert.deepEqual(
    sortForDelete(docs).map((d) => d.metadata.name),
    ["web1", "vms.b", "vms.a", "vms"],
  );
});

test("Ceph names map (pool, volume[, snapshot]) to one metadata.name and back", () => {
  assert.equal(cephVolumeName("vms", "web1_sda"), "vms.web1_sda");
  assert.equal(cephSnapshotName("vms", "db.example_sda", "v1.2"), "vms.db.example_sda@v1.2");
  assert.deepEqual(splitCephVolumeName("vms.db.example_sda"), { pool: "vms", volume: "db.example_sda" });
  assert.deepEqual(splitCephSnapshotName("vms.db.example_sda@v1.2"), {
    pool: "vms",
    volume: "db.example_sda",
    snapshot: "v1.2",
  });
  for (const bad of ["vms", "vms.", ".vms.a", "vms.-a", "vms.a@b"])
    assert.equal(splitCephVolumeName(bad), null, bad);
  for (const bad of ["vms.a", "vms.a@", "vms.a@b@c", "vms@a"])
    assert.equal(splitCephSnapshotName(bad), null, bad);
});

test("references name the objects a document depends on", () => {
  const refs = getKind("CephVolume").references({
    kind: "CephVolume",
    metadata: { name: "vms.a" },
    spec: { pool: "vms", source: { pool: "images", volume: "base" } },
  });
  assert.deepEqual(refs, [
    { kind: "CephPool", name: "vms" },
    { kind: "CephPool", name: "images" },
    { kind: "CephVolume", name: "images.base" },
  ]);
  assert.deepEqual(getKind("CephSnapshot").references({ spec: { pool: "vms", volume: "a" } }), [
    { kind: "CephPool", name: "vms" },
    { kind: "CephVolume", name: "vms.a" },
  ]);
});
