/**
 * The values of POST and PUT /network that map onto a Network's spec, read the way PVC's clients
 * send them, with v0.6's messages for what is missing or wrong.
 */
import type { NetworkSpec } from "../../../src/resources/specs.ts";
import { getValue, getValues, hasFlag, type Values } from "../values.ts";
import { q } from "./common.ts";

export const DHCP4_RANGE_REQUIRED =
  "ERROR: DHCPv4 start and end addresses are required for a DHCPv4-enabled network.";
export const IP4_NETWORK_REQUIRED =
  "ERROR: An IPv4 network (ip4_network) is required for an IPv4 gateway or DHCPv4.";

/**
 * Whether the request turns DHCPv4 on. PVC's clients send `dhcp4` as a flag (given at all: on),
 * but a form or query may spell "off" as a value; POST and PUT must read it the same way.
 */
export function dhcp4On(v: Values): boolean {
  return hasFlag(v, "dhcp4") && !/^(false|no|0|off)$/i.test(getValue(v, "dhcp4") ?? "");
}

/**
 * `spec.ipv4` from the values given, merged over `current`: undefined when no IPv4 value was
 * given, null when the result would have no network.
 */
export function ipv4FromValues(
  v: Values,
  current: NetworkSpec["ipv4"] | undefined,
): Record<string, unknown> | null | undefined {
  const network = getValue(v, "ip4_network");
  const gateway = getValue(v, "ip4_gateway");
  const dhcpGiven = hasFlag(v, "dhcp4");
  const start = getValue(v, "dhcp4_start");
  const end = getValue(v, "dhcp4_end");
  if (
    network === undefined &&
    gateway === undefined &&
    !dhcpGiven &&
    start === undefined &&
    end === undefined
  )
    return undefined;
  const next: Record<string, unknown> = { ...(current ?? {}) };
  if (network !== undefined) next.network = network;
  if (gateway !== undefined) next.gateway = gateway;
  const dhcp = (current?.dhcp ?? {}) as Record<string, unknown>;
  const wantDhcp = dhcpGiven
    ? dhcp4On(v)
    : current?.dhcp !== undefined || start !== undefined || end !== undefined;
  if (wantDhcp)
    next.dhcp = { ...dhcp, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
  else delete next.dhcp;
  if (next.network === "" || next.network === undefined) return null;
  return next;
}

/** What POST /network requires, checked. */
export interface CreateValues {
  vniText: string;
  vni: number;
  description: string;
  nettype: "managed" | "bridged";
}

/** POST's required values, or v0.6's message for the first one missing or wrong (in its order). */
export function createValues(v: Values): CreateValues | string {
  const vniText = getValue(v, "vni");
  const description = getValue(v, "description");
  const nettype = getValue(v, "nettype");
  if (vniText === undefined || vniText === "")
    return "ERROR: A VNI must be specified for the virtual network.";
  if (description === undefined || description === "")
    return "ERROR: A description must be specified for the virtual network.";
  if (nettype === undefined || nettype === "")
    return "ERROR: A nettype must be specified for the virtual network.";
  if (nettype !== "managed" && nettype !== "bridged")
    return "ERROR: A valid nettype must be specified: 'managed' or 'bridged'.";
  if (!/^\d+$/.test(vniText))
    return `ERROR: VNI ${q(vniText)} is not a valid VNI: it must be a whole number.`;
  if (dhcp4On(v) && (getValue(v, "dhcp4_start") === undefined || getValue(v, "dhcp4_end") === undefined))
    return DHCP4_RANGE_REQUIRED;
  return { vniText, vni: Number(vniText), description, nettype };
}

/** The spec of a new network from POST's values, or v0.6's message when IPv4 is incomplete. */
export function createSpec(v: Values, required: CreateValues): Record<string, unknown> | string {
  const spec: Record<string, unknown> = {
    vni: required.vni,
    description: required.description,
    type: required.nettype,
  };
  const domain = getValue(v, "domain");
  if (domain !== undefined && domain !== "") spec.domain = domain;
  const nameServers = getValues(v, "name_server");
  if (nameServers.length > 0) spec.nameServers = nameServers;
  const ipv4 = ipv4FromValues(v, undefined);
  if (ipv4) spec.ipv4 = ipv4;
  else if (getValue(v, "ip4_gateway") !== undefined || dhcp4On(v)) return IP4_NETWORK_REQUIRED;
  const ip6 = getValue(v, "ip6_network");
  if (ip6 !== undefined && ip6 !== "") {
    const gw = getValue(v, "ip6_gateway");
    spec.ipv6 = { network: ip6, ...(gw ? { gateway: gw } : {}) };
  }
  return spec;
}

/**
 * The merge patch of PUT's values over network `current` (only what was given), or v0.6's message.
 * The description's uniqueness is the caller's check (it needs the other networks).
 */
export function updateSpec(v: Values, current: NetworkSpec): Record<string, unknown> | string {
  const spec: Record<string, unknown> = {};
  const description = getValue(v, "description");
  if (description) spec.description = description;
  const domain = getValue(v, "domain");
  if (domain) spec.domain = domain;
  const nameServers = getValues(v, "name_server");
  if (nameServers.length > 0) spec.nameServers = nameServers;
  const ipv4 = ipv4FromValues(v, current.ipv4);
  if (ipv4 === null) return IP4_NETWORK_REQUIRED;
  if (ipv4) {
    const dhcp = ipv4.dhcp as { start?: string; end?: string } | undefined;
    if (hasFlag(v, "dhcp4") && dhcp && (!dhcp.start || !dhcp.end)) return DHCP4_RANGE_REQUIRED;
    // A merge patch cannot drop a key inside an object it replaces, so give the whole object.
    spec.ipv4 = { network: ipv4.network, gateway: ipv4.gateway, dhcp: ipv4.dhcp ?? null };
  }
  const ip6 = getValue(v, "ip6_network");
  const gw6 = getValue(v, "ip6_gateway");
  if (ip6)
    spec.ipv6 = { network: ip6, gateway: gw6 || null, dhcp: true }; // a new network regenerates the gateway, as PVC does
  else if (gw6 && current.ipv6) spec.ipv6 = { ...current.ipv6, gateway: gw6 };
  return spec;
}
