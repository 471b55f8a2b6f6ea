import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, isPvcError } from "../../src/errors.ts";
import { NETWORK_CHILD_KEYS, PvcKeys } from "../../src/pvc/keys.ts";

describe("PvcKeys", () => {
  test("at the ZooKeeper root, paths are PVC's own", () => {
    const k = new PvcKeys();
    assert.equal(k.rootPath(), "/");
    assert.equal(k.primaryNode(), "/primary_node");
    assert.equal(k.upstreamIp(), "/upstream_ip");
    assert.equal(k.cmdDomains(), "/cmd/domains");
    assert.equal(k.cmdCeph(), "/cmd/ceph");
    assert.equal(k.locks(), "/locks");
    assert.equal(k.nodeKey("hv1", "domainstate"), "/nodes/hv1/domainstate");
    assert.equal(k.domainKey("u-1", "lastnode"), "/domains/u-1/lastnode");
    assert.equal(k.networkKey(100, "ip4_gateway"), "/networks/100/ip4_gateway");
    assert.equal(
      k.dhcp4ReservationKey(100, "52:54:00:AB:CD:EF", "ipaddr"),
      "/networks/100/dhcp4_reservations/52:54:00:ab:cd:ef/ipaddr",
    );
    assert.equal(k.dhcp4Lease(100, "52:54:00:aa:bb:cc"), "/networks/100/dhcp4_leases/52:54:00:aa:bb:cc");
    assert.equal(
      k.firewallRuleKey(100, "in", "allow-ssh", "order"),
      "/networks/100/firewall_rules/in/allow-ssh/order",
    );
    assert.equal(k.ceph(), "/ceph");
    assert.equal(k.cephRadosdf(), "/ceph/radosdf");
    assert.equal(k.cephOsdKey(0, "stats"), "/ceph/osds/0/stats");
    assert.equal(k.cephPoolKey("vms", "pgs"), "/ceph/pools/vms/pgs");
    assert.equal(k.cephPoolVolumes("vms"), "/ceph/volumes/vms");
    assert.equal(k.cephVolumeStats("vms", "disk0"), "/ceph/volumes/vms/disk0/stats");
    assert.equal(k.cephSnapshotStats("vms", "disk0", "s1"), "/ceph/snapshots/vms/disk0/s1/stats");
  });

  test("under a prefix; '/' means the root", () => {
    assert.equal(new PvcKeys("/t/x").domains(), "/t/x/domains");
    assert.equal(new PvcKeys("/t/x").rootPath(), "/t/x");
    assert.equal(new PvcKeys("/").nodes(), "/nodes");
  });

  test("network child keys include the lease, reservation and firewall parents", () => {
    for (const k of ["dhcp4_leases", "dhcp4_reservations", "firewall_rules/in", "firewall_rules/out"]) {
      assert.ok((NETWORK_CHILD_KEYS as readonly string[]).includes(k), k);
    }
  });

  test("a bad root is CONFIG_INVALID, a segment with '/' is INVALID_NAME", () => {
    for (const root of ["x", "/x/", "//x"]) {
      assert.throws(
        () => new PvcKeys(root),
        (e) => isPvcError(e, ErrorCodes.CONFIG_INVALID),
        root,
      );
    }
    const k = new PvcKeys();
    for (const name of ["", "a/b", "..", "."]) {
      assert.throws(
        () => k.node(name),
        (e) => isPvcError(e, ErrorCodes.INVALID_NAME),
        name,
      );
    }
  });
});
