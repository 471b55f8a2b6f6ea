/**
 * Every /api/v1 endpoint of PVC's API manual (shared/seed/pvc-api-manual.md, "Primary Client API
 * endpoint documentation" and "Provisioner API endpoint documentation"), with the values each one
 * names, as data. The fuzzer sends requests to these as well as to every route the server
 * registered: an endpoint of the manual that we do not serve (nodes, VMs) must still answer a 4xx,
 * never a 5xx. The manual is not part of the repository, so its table is copied here.
 */

export interface ManualEndpoint {
  method: string;
  /** Path with `:param` placeholders (the manual writes `<param>`). */
  path: string;
  mandatory: readonly string[];
  optional: readonly string[];
}

const e = (
  method: string,
  path: string,
  mandatory: readonly string[] = [],
  optional: readonly string[] = [],
): ManualEndpoint => ({ method, path, mandatory, optional });

const NETWORK_VALUES = [
  "domain",
  "ip4_network",
  "ip4_gateway",
  "ip6_network",
  "ip6_gateway",
  "dhcp4",
  "dhcp4_start",
  "dhcp4_end",
];

export const MANUAL_ENDPOINTS: readonly ManualEndpoint[] = [
  e("GET", "/api/v1"),
  e("GET", "/api/v1/auth/login"),
  e("POST", "/api/v1/auth/login", ["token"]),
  e("GET", "/api/v1/auth/logout"),
  e("POST", "/api/v1/auth/logout"),
  e("GET", "/api/v1/node", [], ["limit"]),
  e("GET", "/api/v1/node/:node"),
  e("GET", "/api/v1/node/:node/daemon-state"),
  e("GET", "/api/v1/node/:node/coordinator-state"),
  e("POST", "/api/v1/node/:node/coordinator-state", ["coordinator-state"]),
  e("GET", "/api/v1/node/:node/domain-state"),
  e("POST", "/api/v1/node/:node/domain-state", ["domain-state"]),
  e("GET", "/api/v1/vm", [], ["limit"]),
  e("POST", "/api/v1/vm", ["xml"], ["node", "limit", "selector", "autostart"]),
  e("GET", "/api/v1/vm/:vm"),
  e("POST", "/api/v1/vm/:vm", [], ["limit", "selector", "autostart", "no-autostart"]),
  e("PUT", "/api/v1/vm/:vm", ["xml"], ["restart"]),
  e("DELETE", "/api/v1/vm/:vm", [], ["delete_disks"]),
  e("GET", "/api/v1/vm/:vm/state"),
  e("POST", "/api/v1/vm/:vm/state", ["state"]),
  e("GET", "/api/v1/vm/:vm/node"),
  e("POST", "/api/v1/vm/:vm/node", ["action"], ["node", "selector", "permanent", "force"]),
  e("GET", "/api/v1/vm/:vm/locks"),
  e("POST", "/api/v1/vm/:vm/locks"),
  e("GET", "/api/v1/network", [], ["limit"]),
  e("POST", "/api/v1/network", ["vni", "description", "nettype"], NETWORK_VALUES),
  e("GET", "/api/v1/network/:network"),
  e("PUT", "/api/v1/network/:network", [], NETWORK_VALUES),
  e("DELETE", "/api/v1/network/:network"),
  e("GET", "/api/v1/network/:network/lease", [], ["limit", "static"]),
  e("POST", "/api/v1/network/:network/lease", ["macaddress", "ipaddress"], ["hostname"]),
  e("GET", "/api/v1/network/:network/dhcp/:lease"),
  e("DELETE", "/api/v1/network/:network/dhcp/:lease"),
  e("GET", "/api/v1/network/:network/acl", [], ["limit", "direction"]),
  e("POST", "/api/v1/network/:network/acl", ["description", "direction", "rule"], ["order"]),
  e("GET", "/api/v1/network/:network/acl/:acl"),
  e("DELETE", "/api/v1/network/:network/acl/:acl", ["direction"]),
  e("GET", "/api/v1/storage/ceph"),
  e("GET", "/api/v1/storage/ceph/status"),
  e("GET", "/api/v1/storage/ceph/df"),
  e("POST", "/api/v1/storage/ceph/cluster-option", ["action", "option"]),
  e("GET", "/api/v1/storage/ceph/osd", [], ["limit"]),
  e("POST", "/api/v1/storage/ceph/osd", ["node", "device", "weight"]),
  e("GET", "/api/v1/storage/ceph/osd/:osd"),
  e("DELETE", "/api/v1/storage/ceph/osd/:osd", ["yes_i_really_mean_it"]),
  e("GET", "/api/v1/storage/ceph/osd/:osd/state"),
  e("POST", "/api/v1/storage/ceph/osd/:osd/state", ["state"]),
  e("GET", "/api/v1/storage/ceph/pool", [], ["limit"]),
  e("POST", "/api/v1/storage/ceph/pool", ["pool", "pgs"]),
  e("GET", "/api/v1/storage/ceph/pool/:pool"),
  e("DELETE", "/api/v1/storage/ceph/pool/:pool", ["yes_i_really_mean_it"]),
  e("GET", "/api/v1/storage/ceph/volume", [], ["pool", "limit"]),
  e("POST", "/api/v1/storage/ceph/volume", ["volume", "pool"], ["size", "source_volume"]),
  e("GET", "/api/v1/storage/ceph/volume/:pool/:volume"),
  e("PUT", "/api/v1/storage/ceph/volume/:pool/:volume", [], ["name", "size"]),
  e("DELETE", "/api/v1/storage/ceph/volume/:pool/:volume"),
  e("GET", "/api/v1/storage/ceph/volume/snapshot", [], ["pool", "volume", "limit"]),
  e("POST", "/api/v1/storage/ceph/volume/snapshot", ["snapshot", "volume", "pool"]),
  e("GET", "/api/v1/storage/ceph/volume/snapshot/:pool/:volume/:snapshot"),
  e("DELETE", "/api/v1/storage/ceph/volume/snapshot/:pool/:volume/:snapshot"),
];

/**
 * Values our facade reads beyond the manual's lists (PVC's CLI sends them): sent to every /api/v1
 * route now and then, as a client might.
 */
export const EXTRA_V1_VALUES = ["name_server", "replcfg", "static", "limit", "yes_i_really_mean_it"] as const;
