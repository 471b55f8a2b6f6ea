/**
 * The status page's live view (src/pvc/live-view.ts) and its diff (api/ui/live.ts), on an
 * in-memory stand-in for ZooKeeper and a stand-in `rbd info`: in sync when the keys are what the
 * controller writes (leases and node-written keys aside), and a diff that names the key and both
 * values when they are not.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { diffHunks } from "../../api/ui/live.ts";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import { defineDomainTree, vmDomainDefinition } from "../../src/pvc/domain-tree.ts";
import { PvcKeys } from "../../src/pvc/keys.ts";
import { type AnyObject, type LiveView, liveView, sizeOrAbsent, treeText } from "../../src/pvc/live-view.ts";
import { desiredNetworkTree } from "../../src/pvc/network-tree.ts";
import { type PvcReadClient, PvcReader } from "../../src/pvc/reader.ts";
import { parsedDomain } from "../../src/resources/domain-cache.ts";
import type { Network, VirtualMachine } from "../../src/resources/specs.ts";
import { validateResource } from "../../src/resources/validate.ts";
import type { ZkStat } from "../../src/zk/types.ts";

const keys = new PvcKeys("/t");
const stat = {} as ZkStat;

/** ZooKeeper as a map of path → value (parents implied by their children). */
function standIn(tree: Map<string, string>): PvcReadClient {
  return {
    exists: async (path) => (tree.has(path) ? stat : null),
    tryGet: async (path) => (tree.has(path) ? { data: tree.get(path) as string, stat } : null),
    children: async (path) => {
      if (!tree.has(path)) throw new PvcError(ErrorCodes.ZK_NO_NODE, `no node ${path}`);
      return [...tree.keys()]
        .filter((k) => k.startsWith(`${path}/`) && !k.slice(path.length + 1).includes("/"))
        .map((k) => k.slice(path.length + 1));
    },
  };
}

function view(
  obj: AnyObject,
  tree: Map<string, string>,
  rbd: Record<string, number> = {},
): Promise<LiveView> {
  return liveView(obj, {
    keys,
    reader: new PvcReader(standIn(tree), keys),
    rbdSize: async (pool, image) => rbd[`${pool}/${image}`],
  });
}

/** The one comparison's diff lines (hunk headers left out). */
function diffLines(v: LiveView): string[] {
  assert.equal(v.comparisons.length, 1);
  const c = v.comparisons[0];
  return diffHunks(c.desired, c.live).flatMap((h) => h.lines);
}

const resource = <T>(doc: object) =>
  validateResource({ apiVersion: "pvc.parallelvirtualcluster.org/v1", ...doc }) as T;

describe("a Network against /networks/<vni>", () => {
  const net = resource<Network>({
    kind: "Network",
    metadata: { name: "lan" },
    spec: { vni: 4400, type: "managed", ipv4: { network: "10.44.0.0/24", gateway: "10.44.0.1" } },
  });
  const written = () => {
    const tree = desiredNetworkTree(keys, net.spec);
    // dnsmasq's lease: never the controller's, never a difference.
    tree.set(keys.dhcp4Lease(4400, "52:54:00:00:00:01"), "");
    tree.set(keys.dhcp4LeaseKey(4400, "52:54:00:00:00:01", "ipaddr"), "10.44.0.50");
    return tree;
  };

  test("the keys the controller writes, and a lease: in sync", async () => {
    const v = await view(net, written());
    assert.deepEqual(diffLines(v), []);
    assert.match(v.comparisons[0].desired, /^\/t\/networks\/4400: lan\n/);
    assert.match(v.comparisons[0].desired, /\n {2}ip4_gateway: 10\.44\.0\.1\n/);
    assert.match(v.comparisons[0].desired, /\n {2}dhcp4_start: ""\n/);
  });

  test("a key changed and one removed behind its back: both values, and the missing key", async () => {
    const tree = written();
    tree.set(keys.networkKey(4400, "ip4_gateway"), "10.44.0.254");
    tree.delete(keys.networkKey(4400, "domain"));
    const changed = diffLines(await view(net, tree)).filter((l) => l[0] !== " ");
    assert.deepEqual(changed.sort(), [
      `+  ip4_gateway: 10.44.0.254`,
      "-  domain: lan.local",
      `-  ip4_gateway: 10.44.0.1`,
    ]);
  });

  test("no keys at all: everything is missing", async () => {
    const lines = diffLines(await view(net, new Map()));
    assert.ok(lines.length > 10 && lines.every((l) => l.startsWith("-")), lines.join("\n"));
  });
});

describe("a VirtualMachine against /domains/<uuid>", () => {
  const uuid = "3c5e7a90-4b1d-4e2f-8a6c-9d0b1e2f3a4b";
  const xml = `<domain type='kvm'>\n  <name>vm1</name>\n  <uuid>${uuid}</uuid>\n  <memory unit='MiB'>1024</memory>\n  <vcpu>2</vcpu>\n</domain>\n`;
  const vm = resource<VirtualMachine>({
    kind: "VirtualMachine",
    metadata: { name: "vm1" },
    spec: { node: "hv2", runState: "start", xml },
  });
  const running = () => {
    const def = vmDomainDefinition("vm1", vm.spec, xml, parsedDomain(xml).info);
    const tree = defineDomainTree(keys, def, { node: "hv2", autostart: false });
    tree.set(keys.domainKey(uuid, "state"), "start");
    // Written by the nodes, not compared.
    tree.set(keys.domainKey(uuid, "consolelog"), "boot…");
    return tree;
  };

  test("defined and running where the spec says: in sync", async () => {
    assert.deepEqual(diffLines(await view(vm, running())), []);
  });

  test("stopped by someone else, and an XML line changed: the state and that line", async () => {
    const tree = running();
    tree.set(keys.domainKey(uuid, "state"), "stop");
    tree.set(keys.domainKey(uuid, "xml"), xml.replace("<vcpu>2</vcpu>", "<vcpu>8</vcpu>"));
    const changed = diffLines(await view(vm, tree)).filter((l) => l[0] !== " ");
    assert.deepEqual(changed.sort(), [
      "+        <vcpu>8</vcpu>",
      "+  state: stop",
      "-        <vcpu>2</vcpu>",
      "-  state: start",
    ]);
  });

  test("a VM without XML is not compared, and says why", async () => {
    const fromProfile = resource<VirtualMachine>({
      kind: "VirtualMachine",
      metadata: { name: "vm2" },
      spec: { profile: "web" },
    });
    const v = await view(fromProfile, new Map());
    assert.deepEqual(v.comparisons, []);
    assert.match(v.note ?? "", /profile/);
  });
});

describe("a CephVolume against rbd info", () => {
  const vol = resource<AnyObject>({
    kind: "CephVolume",
    metadata: { name: "vms.disk1" },
    spec: { pool: "vms", size: "16M" },
  });
  const withKey = new Map([[keys.cephVolume("vms", "disk1"), ""]]);

  test("the image at the spec's size, and PVC's key: in sync", async () => {
    assert.deepEqual(diffLines(await view(vol, withKey, { "vms/disk1": 16 * 1024 * 1024 })), []);
  });

  test("grown behind its back: the size; gone: absent", async () => {
    const grown = diffLines(await view(vol, withKey, { "vms/disk1": 32 * 1024 * 1024 })).filter(
      (l) => l[0] !== " ",
    );
    assert.deepEqual(grown, ["-  size: 16777216 bytes", "+  size: 33554432 bytes"]);
    const gone = diffLines(await view(vol, new Map())).filter((l) => l[0] === "+");
    assert.deepEqual(gone, ["+image vms/disk1: absent", "+/t/ceph/volumes/vms/disk1: absent"]);
  });

  test("rbd info's ENOENT is an absent image; other failures are errors", async () => {
    const enoent = new PvcError(ErrorCodes.CEPH_ENOENT, "no such image");
    assert.equal(await sizeOrAbsent(() => Promise.reject(enoent)), undefined);
    const down = new PvcError(ErrorCodes.CEPH_TIMEOUT, "timed out");
    await assert.rejects(
      sizeOrAbsent(() => Promise.reject(down)),
      /timed out/,
    );
  });
});

test("a kind without a live view says so", async () => {
  const v = await view(
    resource({ kind: "UserdataTemplate", metadata: { name: "u" }, spec: { data: "x" } }),
    new Map(),
  );
  assert.deepEqual(v.comparisons, []);
  assert.match(v.note ?? "", /UserdataTemplate is not compared/);
});

test("treeText: multi-line values one line each, keys sorted below the root", () => {
  const text = treeText(
    "/r",
    new Map([
      ["/r/b", "two\nlines\n"],
      ["/r", "root"],
      ["/r/a", ""],
    ]),
  );
  assert.equal(text, '/r: root\n  a: ""\n  b: |\n      two\n      lines\n');
});
