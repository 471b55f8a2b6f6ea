/**
 * The PVC keys a Network resource stands for, exactly as PVC's add_network writes them
 * (docs/pvc-zookeeper-layout.md): description as the root's value, the value keys (an
 * empty string where PVC leaves a key empty, `True`/`False` flags), the empty parents, static
 * leases under dhcp4_reservations/<mac>, and ACLs under firewall_rules/<in|out>/<description>
 * with a contiguous 0-based order.
 */
import type { PvcKeys } from "../../src/pvc/keys.ts";
import type { NetworkSpec } from "../../src/resources/specs.ts";

const flag = (on: boolean) => (on ? "True" : "False");

/** Spec fields PVC ignores on a bridged network: we write nothing for them and say so in status. */
export function ignoredOnBridged(spec: NetworkSpec): string[] {
  if (spec.type !== "bridged") return [];
  const ignored: string[] = [];
  if (spec.ipv4) ignored.push("ipv4");
  if (spec.ipv6) ignored.push("ipv6");
  if ((spec.dhcpReservations ?? []).length > 0) ignored.push("dhcpReservations");
  if ((spec.acls?.in.length ?? 0) + (spec.acls?.out.length ?? 0) > 0) ignored.push("acls");
  return ignored;
}

export function desiredNetworkTree(keys: PvcKeys, spec: NetworkSpec): Map<string, string> {
  const vni = spec.vni;
  const managed = spec.type === "managed";
  const ipv4 = managed ? spec.ipv4 : undefined;
  const ipv6 = managed ? spec.ipv6 : undefined;
  const tree = new Map<string, string>([
    [keys.network(vni), spec.description],
    [keys.networkKey(vni, "nettype"), spec.type],
    [keys.networkKey(vni, "domain"), spec.domain],
    [keys.networkKey(vni, "name_servers"), spec.nameServers.join(",")],
    [keys.networkKey(vni, "ip6_network"), ipv6?.network ?? ""],
    [keys.networkKey(vni, "ip6_gateway"), ipv6?.gateway ?? ""],
    [keys.networkKey(vni, "dhcp6_flag"), flag(Boolean(ipv6?.dhcp))],
    [keys.networkKey(vni, "ip4_network"), ipv4?.network ?? ""],
    [keys.networkKey(vni, "ip4_gateway"), ipv4?.gateway ?? ""],
    [keys.networkKey(vni, "dhcp4_flag"), flag(Boolean(ipv4?.dhcp))],
    [keys.networkKey(vni, "dhcp4_start"), ipv4?.dhcp?.start ?? ""],
    [keys.networkKey(vni, "dhcp4_end"), ipv4?.dhcp?.end ?? ""],
    [keys.networkKey(vni, "dhcp4_leases"), ""],
    [keys.networkKey(vni, "dhcp4_reservations"), ""],
    [keys.networkKey(vni, "firewall_rules"), ""],
    [keys.networkKey(vni, "firewall_rules/in"), ""],
    [keys.networkKey(vni, "firewall_rules/out"), ""],
  ]);
  if (!managed) return tree;
  for (const r of spec.dhcpReservations ?? []) {
    tree.set(keys.dhcp4Reservation(vni, r.mac), "static");
    tree.set(keys.dhcp4ReservationKey(vni, r.mac, "hostname"), r.hostname ?? "");
    tree.set(keys.dhcp4ReservationKey(vni, r.mac, "ipaddr"), r.ip);
  }
  for (const direction of ["in", "out"] as const) {
    (spec.acls?.[direction] ?? []).forEach((acl, order) => {
      tree.set(keys.firewallRule(vni, direction, acl.description), "");
      tree.set(keys.firewallRuleKey(vni, direction, acl.description, "rule"), acl.rule);
      tree.set(keys.firewallRuleKey(vni, direction, acl.description, "order"), String(order));
    });
  }
  return tree;
}
