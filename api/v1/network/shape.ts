/** Networks, leases and ACLs as PVC v0.6's API shapes them (client-common/network.py). */
import type { Network } from "../../../src/resources/specs.ts";

/** A network as PVC v0.6's getNetworkInformation shapes it. */
export function toPvc(n: Network): Record<string, unknown> {
  const managed = n.spec.type === "managed";
  const ipv4 = managed ? n.spec.ipv4 : undefined;
  const ipv6 = managed ? n.spec.ipv6 : undefined;
  return {
    vni: String(n.spec.vni),
    description: n.spec.description,
    type: n.spec.type,
    domain: n.spec.domain,
    name_servers: n.spec.nameServers,
    ip6: {
      network: ipv6?.network ?? "",
      gateway: ipv6?.gateway ?? "",
      dhcp_flag: ipv6?.dhcp ? "True" : "False",
    },
    ip4: {
      network: ipv4?.network ?? "",
      gateway: ipv4?.gateway ?? "",
      dhcp_flag: ipv4?.dhcp ? "True" : "False",
      dhcp_start: ipv4?.dhcp?.start ?? "",
      dhcp_end: ipv4?.dhcp?.end ?? "",
    },
  };
}

/** A lease as PVC v0.6's getDHCPLeaseInformation shapes it; static reservations have timestamp `static`. */
export function leases(n: Network, onlyStatic: boolean): Array<Record<string, string>> {
  const out = (n.spec.dhcpReservations ?? []).map((r) => ({
    hostname: r.hostname ?? "",
    ip4_address: r.ip,
    mac_address: r.mac,
    timestamp: "static",
  }));
  if (!onlyStatic) {
    for (const l of n.status?.dhcpLeases ?? []) {
      out.push({ hostname: l.hostname, ip4_address: l.ip, mac_address: l.mac, timestamp: l.expiry });
    }
  }
  return out.sort((a, b) => (a.mac_address < b.mac_address ? -1 : a.mac_address > b.mac_address ? 1 : 0));
}

/** ACLs in PVC's order (the list order of `spec.acls.<direction>`), one or both directions. */
export function acls(
  n: Network,
  direction: "in" | "out" | undefined,
): Array<Record<string, string | number>> {
  const directions = direction ? [direction] : (["in", "out"] as const);
  return directions.flatMap((d) =>
    (n.spec.acls?.[d] ?? []).map((a, order) => ({
      direction: d,
      order,
      description: a.description,
      rule: a.rule,
    })),
  );
}
