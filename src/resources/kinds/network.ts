/**
 * Network: defaults mirror what PVC's add_network writes (domain `<description>.local`, IPv6
 * gateway `<prefix>::1`, dhcp6 on with IPv6); semantic checks cover what PVC checks and the
 * misconfigurations it would accept but a network cannot work with.
 */

import { pathSegmentProblem } from "../names.ts";
import {
  type Cidr,
  compareIp,
  firstHostAddress,
  formatCidr,
  isUsableHost,
  normalizeIp,
  normalizeMac,
  parseCidr,
  parseIp,
} from "../net.ts";
import { ajv, envelopeSchema } from "../schemas.ts";
import type { ObjectMeta } from "../types.ts";
import {
  asArray,
  asString,
  checkUnique,
  isObject,
  type Json,
  type KindRules,
  type Problems,
  pointer,
  specOf,
} from "./util.ts";

export const BRIDGED_VNI_MAX = 4094;
export const MANAGED_VNI_MAX = 16777215;

/** The domain a network gets when none is given: `<description>.local`, as PVC's add_network. */
export function defaultDomain(description: string): string {
  return `${description}.local`;
}

// The DNS name rule is the envelope's `dnsName`, the one spec.domain is checked against.
const dnsNameSchema = ajv.getSchema(`${String(envelopeSchema.$id)}#/$defs/dnsName`);
if (!dnsNameSchema) throw new Error("envelope.json has no $defs/dnsName");
const checkDnsName = dnsNameSchema;

/** Is `text` a valid spec.domain? */
export function isDnsName(text: string): boolean {
  return checkDnsName(text) === true;
}

function checkIpv4(spec: Json, problems: Problems): Cidr | null {
  const ipv4 = spec.ipv4;
  if (!isObject(ipv4)) return null;
  const netText = asString(ipv4.network);
  if (netText === undefined) return null;
  const at = pointer("spec", "ipv4", "network");
  const net = parseCidr(netText, 4);
  if (net === null) {
    problems.add(at, netText, "must be an IPv4 network in CIDR form, e.g. 10.100.0.0/24");
    return null;
  }
  if (net.hostBitsSet) {
    problems.add(at, netText, `has host bits set; the network is ${formatCidr(net)}`);
    return null;
  }
  if (net.prefix > 30) {
    problems.add(at, netText, "must be /30 or larger: a gateway and at least one host need room");
    return null;
  }
  const gateway = asString(ipv4.gateway);
  const gwIp = gateway === undefined ? null : parseIp(gateway);
  if (gateway !== undefined && gwIp !== null && !isUsableHost(net, gwIp)) {
    problems.add(pointer("spec", "ipv4", "gateway"), gateway, `must be a host address inside ${netText}`);
  }
  const dhcp = ipv4.dhcp;
  if (isObject(dhcp)) {
    const ends: (ReturnType<typeof parseIp> | null)[] = [];
    for (const side of ["start", "end"] as const) {
      const text = asString(dhcp[side]);
      const ip = text === undefined ? null : parseIp(text);
      if (text !== undefined && ip !== null && ip.family === 4 && !isUsableHost(net, ip)) {
        problems.add(pointer("spec", "ipv4", "dhcp", side), text, `must be a host address inside ${netText}`);
        ends.push(null);
      } else {
        ends.push(ip !== null && ip.family === 4 ? ip : null);
      }
    }
    const [start, end] = ends;
    if (start && end) {
      if (compareIp(start, end) > 0) {
        problems.add(
          pointer("spec", "ipv4", "dhcp", "end"),
          dhcp.end,
          `must not be before the start ${String(dhcp.start)}`,
        );
      } else if (gwIp && gwIp.family === 4 && compareIp(start, gwIp) <= 0 && compareIp(gwIp, end) <= 0) {
        problems.add(
          pointer("spec", "ipv4", "gateway"),
          gateway,
          `must be outside the DHCP range ${String(dhcp.start)}-${String(dhcp.end)}`,
        );
      }
    }
  }
  return net;
}

function checkIpv6(spec: Json, problems: Problems): void {
  const ipv6 = spec.ipv6;
  if (!isObject(ipv6)) return;
  const netText = asString(ipv6.network);
  if (netText === undefined) return;
  const at = pointer("spec", "ipv6", "network");
  const net = parseCidr(netText, 6);
  if (net === null) {
    problems.add(at, netText, "must be an IPv6 network in CIDR form, e.g. 2001:db8:100::/64");
    return;
  }
  if (net.hostBitsSet) {
    problems.add(at, netText, `has host bits set; the network is ${formatCidr(net)}`);
    return;
  }
  if (net.prefix > 126) {
    problems.add(at, netText, "must be /126 or larger: a gateway and at least one host need room");
    return;
  }
  const gateway = asString(ipv6.gateway);
  if (gateway !== undefined && parseIp(gateway)?.family === 6 && !isUsableHost(net, gateway)) {
    problems.add(pointer("spec", "ipv6", "gateway"), gateway, `must be a host address inside ${netText}`);
  }
}

function checkReservations(spec: Json, net: Cidr | null, problems: Problems): void {
  const list = asArray(spec.dhcpReservations);
  if (list.length === 0) return;
  if (!isObject(spec.ipv4)) {
    problems.add(
      pointer("spec", "dhcpReservations"),
      spec.dhcpReservations,
      "needs spec.ipv4 (reservations are DHCPv4)",
    );
  }
  const at = (field: string) => (i: number) => pointer("spec", "dhcpReservations", i, field);
  checkUnique(
    problems,
    list,
    (r) => normalizeMac(asString(r.mac) ?? "") ?? undefined,
    at("mac"),
    "the MAC",
    (r) => r.mac,
  );
  checkUnique(
    problems,
    list,
    (r) => normalizeIp(asString(r.ip) ?? "", 4) ?? undefined,
    at("ip"),
    "the address",
    (r) => r.ip,
  );
  if (net === null) return;
  const gateway = isObject(spec.ipv4) ? asString(spec.ipv4.gateway) : undefined;
  list.forEach((r, i) => {
    if (!isObject(r)) return;
    const ip = asString(r.ip);
    if (ip === undefined || parseIp(ip)?.family !== 4) return;
    if (!isUsableHost(net, ip))
      problems.add(at("ip")(i), ip, `must be a host address inside ${formatCidr(net)}`);
    else if (gateway !== undefined && normalizeIp(gateway) === normalizeIp(ip)) {
      problems.add(at("ip")(i), ip, "must not be the gateway address");
    }
  });
}

/**
 * A description is any whitespace-free text (the schema), but with no domain given it makes the
 * default `<description>.local`, which must then be a DNS name: `a!` or a 64-character word do not.
 * The description itself defaults to metadata.name, so the problem is reported where the text came from.
 */
function checkDefaultDomain(doc: Json, spec: Json, problems: Problems): void {
  if (spec.domain !== undefined) return;
  const given = asString(spec.description);
  const name = isObject(doc.metadata) ? asString(doc.metadata.name) : undefined;
  const description = spec.description === undefined ? name : given;
  if (description === undefined || isDnsName(defaultDomain(description))) return;
  problems.add(
    spec.description === undefined ? pointer("metadata", "name") : pointer("spec", "description"),
    description,
    `makes the default domain ${JSON.stringify(defaultDomain(description))}, which is not a DNS name: a domain must be given`,
  );
}

function checkAcls(spec: Json, problems: Problems): void {
  if (!isObject(spec.acls)) return;
  for (const direction of ["in", "out"] as const) {
    // PVC keeps each rule at firewall_rules/<direction>/<description>: a ZooKeeper key.
    asArray(spec.acls[direction]).forEach((rule, i) => {
      const description = isObject(rule) ? asString(rule.description) : undefined;
      const problem = description === undefined ? undefined : pathSegmentProblem(description);
      if (problem) problems.add(pointer("spec", "acls", direction, i, "description"), description, problem);
    });
    checkUnique(
      problems,
      asArray(spec.acls[direction]),
      (rule) => asString(rule.description),
      (i) => pointer("spec", "acls", direction, i, "description"),
      `the description (unique per direction)`,
    );
  }
}

export const networkRules: KindRules = {
  semantic(doc, problems) {
    const spec = specOf(doc);
    const vni = spec.vni;
    checkDefaultDomain(doc, spec, problems);
    if (spec.type === "bridged") {
      if (typeof vni === "number" && Number.isInteger(vni) && vni > BRIDGED_VNI_MAX) {
        problems.add(
          pointer("spec", "vni"),
          vni,
          `must be 1-${BRIDGED_VNI_MAX} (a VLAN id) for a bridged network`,
        );
      }
      // PVC ignores addressing, reservations and ACLs on bridged networks (the manual says so);
      // we accept them the same way, write none of them, and the status names them (ignoredFields).
      return;
    }
    const net = checkIpv4(spec, problems);
    checkIpv6(spec, problems);
    checkReservations(spec, net, problems);
    checkAcls(spec, problems);
  },

  defaults(input: Json, metadata: ObjectMeta): Json {
    const spec: Json = structuredClone(input);
    if (spec.description === undefined) spec.description = metadata.name;
    if (spec.domain === undefined) spec.domain = defaultDomain(String(spec.description));
    if (spec.nameServers === undefined) spec.nameServers = [];
    else spec.nameServers = asArray(spec.nameServers).map((s) => normalizeIp(String(s)) ?? s);
    if (isObject(spec.ipv4)) {
      const ipv4 = spec.ipv4;
      const net = parseCidr(String(ipv4.network), 4);
      if (net) ipv4.network = formatCidr(net);
    }
    if (isObject(spec.ipv6)) {
      const ipv6 = spec.ipv6;
      const net = parseCidr(String(ipv6.network), 6);
      if (net) {
        ipv6.network = formatCidr(net);
        if (ipv6.gateway === undefined) ipv6.gateway = firstHostAddress(net) ?? undefined;
      }
      if (typeof ipv6.gateway === "string") ipv6.gateway = normalizeIp(ipv6.gateway) ?? ipv6.gateway;
      if (ipv6.dhcp === undefined) ipv6.dhcp = true;
    }
    if (spec.type === "managed") {
      spec.dhcpReservations = asArray(spec.dhcpReservations).map((r) =>
        isObject(r) ? { ...r, mac: normalizeMac(String(r.mac)) ?? r.mac } : r,
      );
      const acls = isObject(spec.acls) ? spec.acls : {};
      spec.acls = { in: acls.in ?? [], out: acls.out ?? [] };
    }
    return spec;
  },

  references() {
    return [];
  },
};

/** For the facade and controllers: does an IPv4 address fall in the network's DHCP pool? */
export function inDhcpRange(spec: { ipv4?: { dhcp?: { start: string; end: string } } }, ip: string): boolean {
  const dhcp = spec.ipv4?.dhcp;
  if (!dhcp) return false;
  try {
    return compareIp(dhcp.start, ip) <= 0 && compareIp(ip, dhcp.end) <= 0;
  } catch {
    return false;
  }
}
