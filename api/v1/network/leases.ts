/**
 * /network/<network>/lease: static reservations (spec.dhcpReservations) and dynamic leases
 * (status.dhcpLeases, written by dnsmasq). An element is also reachable as /dhcp/<lease>.
 */
import { isValidMac, normalizeIp, normalizeMac, parseIp } from "../../../src/resources/net.ts";
import type { DhcpReservation, Network } from "../../../src/resources/specs.ts";
import { type FacadeHandler, fail, notFound, respond } from "../facade.ts";
import { limitFilter } from "../limit.ts";
import { getValue, hasFlag, readValues, type Values } from "../values.ts";
import { findNetwork, notFoundMessage, patchAndWait, q } from "./common.ts";
import { leases } from "./shape.ts";

type ByRef = { network: string };
type ByLease = { network: string; lease: string };

export const listLeases: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const v = readValues(request);
  const n = findNetwork(deps, request.params.network);
  if (!n) return notFound(reply, notFoundMessage(request.params.network));
  const match = limitFilter(getValue(v, "limit"));
  const list = leases(n, hasFlag(v, "static")).filter((l) => match(l.mac_address));
  if (list.length === 0) return notFound(reply, "Lease not found.");
  return list;
};

/** The reservation POST asks for on network `n`, or v0.6's message for what is wrong with it. */
function reservation(n: Network, v: Values): DhcpReservation | string {
  const macText = getValue(v, "macaddress");
  const ipText = getValue(v, "ipaddress");
  if (!macText) return "ERROR: A MAC address must be specified for the lease.";
  if (!ipText) return "ERROR: An IP address must be specified for the lease.";
  if (!isValidMac(macText) || !macText.includes(":"))
    return `ERROR: MAC address ${q(macText.toLowerCase())} is not valid! Always use ':' as a separator.`;
  if (parseIp(ipText)?.family !== 4) return `ERROR: IP address ${q(ipText)} is not valid!`;
  const mac = normalizeMac(macText) as string;
  if (n.spec.type !== "managed" || !n.spec.ipv4)
    return `ERROR: Network ${q(n.spec.vni)} has no IPv4 network to hold a DHCP reservation.`;
  if ((n.spec.dhcpReservations ?? []).some((r) => r.mac === mac))
    return `ERROR: A reservation with MAC ${q(mac)} already exists!`;
  const hostname = getValue(v, "hostname");
  return { mac, ip: normalizeIp(ipText, 4) ?? ipText, ...(hostname ? { hostname } : {}) };
}

export const addLease: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const ref = request.params.network;
  const n = findNetwork(deps, ref);
  if (!n) return respond(reply, fail(notFoundMessage(ref)));
  const added = reservation(n, readValues(request));
  if (typeof added === "string") return respond(reply, fail(added));
  return respond(
    reply,
    await patchAndWait(
      deps,
      n,
      { dhcpReservations: [...(n.spec.dhcpReservations ?? []), added] },
      `DHCP reservation ${q(added.mac)} added successfully!`,
    ),
  );
};

export const getLease: FacadeHandler<ByLease> = async (deps, request, reply) => {
  const { network, lease } = request.params;
  const n = findNetwork(deps, network);
  if (!n) return notFound(reply, notFoundMessage(network));
  const wanted = normalizeMac(lease) ?? lease.toLowerCase();
  const list = leases(n, false).filter((l) => l.mac_address === wanted);
  if (list.length === 0) return notFound(reply, "Lease not found.");
  return list;
};

export const deleteLease: FacadeHandler<ByLease> = async (deps, request, reply) => {
  const { network, lease } = request.params;
  const n = findNetwork(deps, network);
  if (!n) return respond(reply, fail(notFoundMessage(network)));
  // As PVC: the reservation may be named by its MAC, hostname or IP address.
  const wanted = normalizeMac(lease) ?? lease;
  const current = n.spec.dhcpReservations ?? [];
  const match = current.find((r) => r.mac === wanted || r.hostname === lease || r.ip === lease);
  if (!match) return respond(reply, fail(`ERROR: No DHCP reservation exists matching ${q(lease)}!`));
  return respond(
    reply,
    await patchAndWait(
      deps,
      n,
      { dhcpReservations: current.filter((r) => r !== match) },
      `DHCP reservation ${q(match.mac)} removed successfully!`,
    ),
  );
};
