import assert from "node:assert/strict";
import { test } from "node:test";
import { lookupKind } from "../../src/resources/kinds.ts";
import { validateResource } from "../../src/resources/validate.ts";
import { invalid } from "../helpers/validation.ts";

const API = "pvc.parallelvirtualcluster.org/v1";

const vm = (spec: Record<string, unknown>, name = "web1") => ({
  apiVersion: API,
  kind: "VirtualMachine",
  metadata: { name },
  spec,
});

const domainXml = (
  name: string,
  uuid = "6f1c3a52-8d2e-4b7a-9f0e-2c4d5b6a7e81",
  disks = "",
) => `<?xml version="1.0"?>
<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>1024</memory>
  <devices>${disks}</devices>
</domain>`;

const rbdDisk = (source: string) =>
  `<disk type='network' device='disk'><source protocol='rbd' name='${source}'/><target dev='sda' bus='scsi'/></disk>`;

test("VirtualMachine from a profile or from XML passes, with defaults", () => {
  assert.deepEqual(validateResource(vm({ profile: "debian-web" })).spec, {
    profile: "debian-web",
    nodeLimit: [],
    autostart: false,
    runState: "start",
    deleteDisks: false,
  });
  const xml = domainXml("db1", undefined, rbdDisk("vms/db1_sda"));
  const out = validateResource(
    vm(
      {
        xml,
        node: "hv1",
        nodeLimit: ["hv1", "hv2"],
        nodeSelector: "vcpus",
        runState: "shutdown",
        migration: { node: "hv2" },
      },
      "db1",
    ),
  );
  assert.equal(out.spec.xml, xml);
  assert.deepEqual(out.spec.migration, { node: "hv2" });
  const refs = lookupKind("vm")?.references(out as unknown as Record<string, unknown>);
  assert.deepEqual(refs, [{ kind: "CephVolume", name: "vms.db1_sda" }]);
});

test("VirtualMachine needs exactly one of xml and profile", () => {
  invalid(vm({}), [["/spec/profile", undefined, /exactly one of spec\.xml .* or spec\.profile/]]);
  invalid(vm({ xml: domainXml("web1"), profile: "p" }), [["/spec/profile", "p", /exactly one/]]);
});

test("VirtualMachine XML must be a domain whose name matches metadata.name, with a uuid and valid RBD sources", () => {
  invalid(vm({ xml: domainXml("web2") }), [
    ["/spec/xml", domainXml("web2"), /<name> is "web2" but metadata\.name is "web1"/],
  ]);
  invalid(vm({ xml: "<domain><name>web1</name></domain>" }), [
    ["/spec/xml", "<domain><name>web1</name></domain>", /no <uuid>/],
  ]);
  invalid(vm({ xml: "<domain><name>web1</name>" }), [
    ["/spec/xml", "<domain><name>web1</name>", /not closed/],
  ]);
  invalid(vm({ xml: "<vm/>" }), [["/spec/xml", "<vm/>", /expected <domain>/]]);
  const upper = domainXml("web1", "6F1C3A52-8D2E-4B7A-9F0E-2C4D5B6A7E81");
  invalid(vm({ xml: upper }), [["/spec/xml", upper, /lowercase RFC 4122/]]);
  const badDisk = domainXml("web1", undefined, rbdDisk("vms/a/b"));
  invalid(vm({ xml: badDisk }), [["/spec/xml", badDisk, /"vms\/a\/b" is not <pool>\/<volume>/]]);
});

test("VirtualMachine placement fields must agree, and enums are checked", () => {
  invalid(
    vm({
      profile: "p",
      node: "hv3",
      nodeLimit: ["hv1", "hv2", "hv1"],
      nodeSelector: "random",
      runState: "running",
      migration: { node: "hv9", permanent: true },
    }),
    [
      ["/spec/nodeLimit/2", "hv1", /duplicates item 0/],
      ["/spec/nodeSelector", "random", /mem .* vcpus .* load .* vms/],
      ["/spec/runState", "running", /start, stop, shutdown/],
      ["/spec/migration/permanent", true, /not a known field/],
      ["/spec/node", "hv3", /one of spec\.nodeLimit \(hv1, hv2, hv1\)/],
      ["/spec/migration/node", "hv9", /one of spec\.nodeLimit/],
    ],
  );
  invalid(vm({ profile: "p", node: "hv1", migration: { node: "hv1" } }), [
    ["/spec/migration/node", "hv1", /is the home node/],
  ]);
  invalid(vm({ profile: "p", node: "hv_1" }), [["/spec/node", "hv_1", /host name/]]);
});

test("VirtualMachine names: object-name rules, and room for <vm>_<disk> when provisioned", () => {
  invalid(vm({ profile: "p" }, "web 1"), [["/metadata/name", "web 1", /letters, digits/]]);
  const long = "a".repeat(91);
  invalid(vm({ profile: "p" }, long), [
    ["/metadata/name", long, /at most 90 characters for a provisioned VM/],
  ]);
  assert.doesNotThrow(() => validateResource(vm({ xml: domainXml(long) }, long)));
});

const node = (spec: Record<string, unknown>, status?: Record<string, unknown>) => ({
  apiVersion: API,
  kind: "Node",
  metadata: { name: "hv1" },
  spec,
  ...(status ? { status } : {}),
});

test("Node: only coordinatorState and domainState are writable, with their enums", () => {
  assert.deepEqual(validateResource(node({})).spec, {});
  assert.deepEqual(validateResource(node({ coordinatorState: "secondary", domainState: "flush" })).spec, {
    coordinatorState: "secondary",
    domainState: "flush",
  });
  invalid(node({ coordinatorState: "client", domainState: "flushed", memTotal: 1 }), [
    ["/spec/coordinatorState", "client", /primary or secondary/],
    ["/spec/domainState", "flushed", /ready or flush/],
    ["/spec/memTotal", 1, /not a known field/],
  ]);
  invalid(node({ coordinatorState: "primary" }, { daemonMode: "hypervisor" }), [
    ["/spec/coordinatorState", "primary", /only for coordinators/],
  ]);
  assert.equal(lookupKind("Node")?.userCreatable, false);
});
