/**
 * PVC's ZooKeeper paths: the one place in the project that knows them. Everything that reads or
 * writes a PVC key builds its path here (see docs/pvc-zookeeper-layout.md for what
 * the values mean). Pure path builders, no I/O.
 *
 * All paths hang off a configurable root: PVC itself uses the ZooKeeper root (root ""), tests and
 * side-by-side clusters use a prefix such as "/test-x".
 */
import { ErrorCodes, PvcError } from "../errors.ts";

/** Children of `/nodes/<name>`, in the order PVC's node daemon writes them when it registers. */
export const NODE_CHILD_KEYS = [
  "daemonmode",
  "daemonstate",
  "routerstate",
  "domainstate",
  "staticdata",
  "memtotal",
  "memfree",
  "memused",
  "memalloc",
  "vcpualloc",
  "cpuload",
  "networkscount",
  "domainscount",
  "runningdomains",
  "keepalive",
  "ipmihostname",
  "ipmiusername",
  "ipmipassword",
] as const;
export type NodeChildKey = (typeof NODE_CHILD_KEYS)[number];

/** Children of `/domains/<uuid>`, as PVC's define writes them. */
export const DOMAIN_CHILD_KEYS = [
  "state",
  "node",
  "lastnode",
  "node_limit",
  "node_selector",
  "node_autostart",
  "failedreason",
  "consolelog",
  "rbdlist",
  "profile",
  "xml",
] as const;
export type DomainChildKey = (typeof DOMAIN_CHILD_KEYS)[number];

/**
 * Children of `/networks/<vni>`, as PVC's add_network writes them: the value keys, then the
 * (empty) parents of leases, reservations and firewall rules.
 */
export const NETWORK_CHILD_KEYS = [
  "nettype",
  "domain",
  "name_servers",
  "ip6_network",
  "ip6_gateway",
  "dhcp6_flag",
  "ip4_network",
  "ip4_gateway",
  "dhcp4_flag",
  "dhcp4_start",
  "dhcp4_end",
  "dhcp4_leases",
  "dhcp4_reservations",
  "firewall_rules",
  "firewall_rules/in",
  "firewall_rules/out",
] as const;
export type NetworkChildKey = (typeof NETWORK_CHILD_KEYS)[number];

export type FirewallDirection = "in" | "out";
export type Dhcp4ReservationKey = "hostname" | "ipaddr";
export type Dhcp4LeaseKey = "hostname" | "ipaddr" | "expiry" | "clientid";
export type FirewallRuleKey = "rule" | "order";
export type CephOsdKey = "node" | "device" | "stats";
export type CephPoolKey = "pgs" | "stats";

/** "" (the ZooKeeper root) or `/a/b`: absolute, no trailing slash. "/" is accepted as "". */
export function normalizeRoot(root: string): string {
  if (root === "" || root === "/") return "";
  if (!/^(\/[^/]+)+$/.test(root)) {
    throw new PvcError(
      ErrorCodes.CONFIG_INVALID,
      `PVC root "${root}" must be "" or an absolute ZooKeeper path without a trailing slash`,
    );
  }
  return root;
}

/** One path segment (a node name, a UUID, a VNI…): a "/" in it would silently address another key. */
function seg(kind: string, value: string | number): string {
  const s = String(value);
  if (s === "" || s === "." || s === ".." || s.includes("/")) {
    throw new PvcError(ErrorCodes.INVALID_NAME, `${kind} "${s}" cannot be a ZooKeeper path segment`, {
      details: { kind, value: s },
    });
  }
  return s;
}

/** PVC keys MACs in lowercase; building the path lowercases, so callers cannot get it wrong. */
function mac(value: string): string {
  return seg("MAC address", value.toLowerCase());
}

export class PvcKeys {
  /** "" for the ZooKeeper root, otherwise the prefix every path starts with. */
  readonly root: string;

  constructor(root = "") {
    this.root = normalizeRoot(root);
  }

  /** The root as a path of its own ("/" for the ZooKeeper root). */
  rootPath(): string {
    return this.root === "" ? "/" : this.root;
  }

  // Cluster-wide
  primaryNode(): string {
    return `${this.root}/primary_node`;
  }
  upstreamIp(): string {
    return `${this.root}/upstream_ip`;
  }
  cmd(): string {
    return `${this.root}/cmd`;
  }
  cmdDomains(): string {
    return `${this.root}/cmd/domains`;
  }
  cmdCeph(): string {
    return `${this.root}/cmd/ceph`;
  }
  locks(): string {
    return `${this.root}/locks`;
  }
  lock(name: string): string {
    return `${this.locks()}/${seg("lock", name)}`;
  }

  // Nodes
  nodes(): string {
    return `${this.root}/nodes`;
  }
  node(name: string): string {
    return `${this.nodes()}/${seg("node name", name)}`;
  }
  nodeKey(name: string, key: NodeChildKey): string {
    return `${this.node(name)}/${key}`;
  }

  // Domains (VMs)
  domains(): string {
    return `${this.root}/domains`;
  }
  domain(uuid: string): string {
    return `${this.domains()}/${seg("domain UUID", uuid)}`;
  }
  domainKey(uuid: string, key: DomainChildKey): string {
    return `${this.domain(uuid)}/${key}`;
  }

  // Networks
  networks(): string {
    return `${this.root}/networks`;
  }
  network(vni: string | number): string {
    return `${this.networks()}/${seg("network VNI", vni)}`;
  }
  networkKey(vni: string | number, key: NetworkChildKey): string {
    return `${this.network(vni)}/${key}`;
  }
  dhcp4Reservations(vni: string | number): string {
    return this.networkKey(vni, "dhcp4_reservations");
  }
  dhcp4Reservation(vni: string | number, macAddress: string): string {
    return `${this.dhcp4Reservations(vni)}/${mac(macAddress)}`;
  }
  dhcp4ReservationKey(vni: string | number, macAddress: string, key: Dhcp4ReservationKey): string {
    return `${this.dhcp4Reservation(vni, macAddress)}/${key}`;
  }
  dhcp4Leases(vni: string | number): string {
    return this.networkKey(vni, "dhcp4_leases");
  }
  dhcp4Lease(vni: string | number, macAddress: string): string {
    return `${this.dhcp4Leases(vni)}/${mac(macAddress)}`;
  }
  dhcp4LeaseKey(vni: string | number, macAddress: string, key: Dhcp4LeaseKey): string {
    return `${this.dhcp4Lease(vni, macAddress)}/${key}`;
  }
  firewallRules(vni: string | number, direction: FirewallDirection): string {
    return this.networkKey(vni, `firewall_rules/${direction}`);
  }
  firewallRule(vni: string | number, direction: FirewallDirection, description: string): string {
    return `${this.firewallRules(vni, direction)}/${seg("ACL description", description)}`;
  }
  firewallRuleKey(
    vni: string | number,
    direction: FirewallDirection,
    description: string,
    key: FirewallRuleKey,
  ): string {
    return `${this.firewallRule(vni, direction, description)}/${key}`;
  }

  // Ceph
  ceph(): string {
    return `${this.root}/ceph`;
  }
  cephRadosdf(): string {
    return `${this.ceph()}/radosdf`;
  }
  cephOsds(): string {
    return `${this.ceph()}/osds`;
  }
  cephOsd(id: string | number): string {
    return `${this.cephOsds()}/${seg("OSD id", id)}`;
  }
  cephOsdKey(id: string | number, key: CephOsdKey): string {
    return `${this.cephOsd(id)}/${key}`;
  }
  cephPools(): string {
    return `${this.ceph()}/pools`;
  }
  cephPool(pool: string): string {
    return `${this.cephPools()}/${seg("pool", pool)}`;
  }
  cephPoolKey(pool: string, key: CephPoolKey): string {
    return `${this.cephPool(pool)}/${key}`;
  }
  cephVolumes(): string {
    return `${this.ceph()}/volumes`;
  }
  /** `/ceph/volumes/<pool>`: created empty together with the pool. */
  cephPoolVolumes(pool: string): string {
    return `${this.cephVolumes()}/${seg("pool", pool)}`;
  }
  cephVolume(pool: string, volume: string): string {
    return `${this.cephPoolVolumes(pool)}/${seg("volume", volume)}`;
  }
  cephVolumeStats(pool: string, volume: string): string {
    return `${this.cephVolume(pool, volume)}/stats`;
  }
  cephSnapshots(): string {
    return `${this.ceph()}/snapshots`;
  }
  /** `/ceph/snapshots/<pool>`: created empty together with the pool. */
  cephPoolSnapshots(pool: string): string {
    return `${this.cephSnapshots()}/${seg("pool", pool)}`;
  }
  cephVolumeSnapshots(pool: string, volume: string): string {
    return `${this.cephPoolSnapshots(pool)}/${seg("volume", volume)}`;
  }
  cephSnapshot(pool: string, volume: string, snapshot: string): string {
    return `${this.cephVolumeSnapshots(pool, volume)}/${seg("snapshot", snapshot)}`;
  }
  cephSnapshotStats(pool: string, volume: string, snapshot: string): string {
    return `${this.cephSnapshot(pool, volume, snapshot)}/stats`;
  }
}
