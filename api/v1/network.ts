import { isValidMac, normalizeIp, normalizeMac, parseIp } from "../../src/resources/net.ts";
import type { AclRule, DhcpReservation, NetworkSpec } from "../../src/resources/specs.ts";
import { API_GROUP_VERSION, type Resource } from "../../src/resources/types.ts";
import { refused, waitForConvergence, waitForDeletion } from "./converge.ts";
import {
  attempt,
  type FacadeDeps,
  type FacadePlugin,
  fail,
  notFound,
  ok,
  respond,
  type Verdict,
} from "./facade.ts";
import { limitFilter } from "./limit.ts";
import { getValue, getValues, hasFlag, readValues, type Values } from "./values.ts";

type Network = Resource<NetworkSpec>;

interface NetworkLeaseStatus {
  mac: string;
  ip: string;
  hostname: string;
  expiry: string;
}

/** PVC quotes with `"`; v0.6's API turned them into `'` in every message. */
const q = (value: unknown) => `'${String(value)}'`;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

function networks(deps: FacadeDeps): Network[] {
  return deps.informer("Network").list() as unknown as Network[];
}

/** `<network>` is a vni or a description, matched exactly. */
function findNetwork(deps: FacadeDeps, ref: string): Network | undefined {
  return networks(deps).find((n) => String(n.spec.vni) === ref || n.spec.description === ref);
}

function notFoundMessage(ref: string): string {
  return `ERROR: Could not find network ${q(ref)} in the cluster!`;
}

/** A network as PVC v0.6's getNetworkInformation shapes it. */
function toPvc(n: Network): Record<string, unknown> {
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
function leases(n: Network, onlyStatic: boolean): Array<Record<string, string>> {
  const out = (n.spec.dhcpReservations ?? []).map((r) => ({
    hostname: r.hostname ?? "",
    ip4_address: r.ip,
    mac_address: r.mac,
    timestamp: "static",
  }));
  if (!onlyStatic) {
    for (const l of (n.status?.dhcpLeases as NetworkLeaseStatus[] | undefined) ?? []) {
      out.push({ hostname: l.hostname, ip4_address: l.ip, mac_address: l.mac, timestamp: l.expiry });
    }
  }
  return out.sort((a, b) => (a.mac_address < b.mac_address ? -1 : a.mac_address > b.mac_address ? 1 : 0));
}

function acls(n: Network, direction: "in" | "out" | undefined): Array<Record<string, string | number>> {
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

/** Changes a network's spec (merge patch on the resource) and waits for the verdict. */
async function patchAndWait(
  deps: FacadeDeps,
  n: Network,
  spec: Record<string, unknown>,
  success: string,
): Promise<Verdict> {
  return attempt(async () => {
    const written = await deps.store.patch("Network", n.metadata.name, { spec });
    return waitForConvergence(deps, written, { success });
  });
}

/**
 * Whether the request turns DHCPv4 on. PVC's clients send `dhcp4` as a flag (given at all: on),
 * but a form or query may spell "off" as a value; POST and PUT must read it the same way.
 */
function dhcp4On(v: Values): boolean {
  return hasFlag(v, "dhcp4") && !/^(false|no|0|off)$/i.test(getValue(v, "dhcp4") ?? "");
}

/** The fields of POST/PUT that map onto the spec (only those given). */
function ipv4FromValues(
  v: Values,
  current: NetworkSpec["ipv4"] | undefined,
): Record<string, unknown> | null | undefined {
  const network = getValue(v, "ip4_network");
  const gateway = getValue(v, "ip4_gateway");
  const dhcpGiven = hasFlag(v, "dhcp4");
  const dhcpOn = dhcp4On(v);
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
    ? dhcpOn
    : current?.dhcp !== undefined || start !== undefined || end !== undefined;
  if (wantDhcp)
    next.dhcp = { ...dhcp, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
  else delete next.dhcp;
  if (next.network === "" || next.network === undefined) return null;
  return next;
}

export const networkFacade: FacadePlugin = async (app, { deps }) => {
  app.get("/network", async (request, reply) => {
    const match = limitFilter(getValue(readValues(request), "limit"));
    const list = networks(deps)
      .filter((n) => match(String(n.spec.vni)) || match(n.spec.description))
      .sort((a, b) => a.spec.vni - b.spec.vni)
      .map(toPvc);
    if (list.length === 0) return notFound(reply, "Network not found.");
    return list;
  });

  app.post("/network", async (request, reply) => {
    const v = readValues(request);
    const vniText = getValue(v, "vni");
    const description = getValue(v, "description");
    const nettype = getValue(v, "nettype");
    if (vniText === undefined || vniText === "")
      return respond(reply, fail("ERROR: A VNI must be specified for the virtual network."));
    if (description === undefined || description === "") {
      return respond(reply, fail("ERROR: A description must be specified for the virtual network."));
    }
    if (nettype === undefined || nettype === "")
      return respond(reply, fail("ERROR: A nettype must be specified for the virtual network."));
    if (nettype !== "managed" && nettype !== "bridged") {
      return respond(reply, fail("ERROR: A valid nettype must be specified: 'managed' or 'bridged'."));
    }
    if (!/^\d+$/.test(vniText))
      return respond(reply, fail(`ERROR: VNI ${q(vniText)} is not a valid VNI: it must be a whole number.`));
    const vni = Number(vniText);
    if (dhcp4On(v) && (getValue(v, "dhcp4_start") === undefined || getValue(v, "dhcp4_end") === undefined)) {
      return respond(
        reply,
        fail("ERROR: DHCPv4 start and end addresses are required for a DHCPv4-enabled network."),
      );
    }
    if (findNetwork(deps, vniText)?.spec.vni === vni || (await deps.store.zk.exists(deps.pvc.network(vni)))) {
      return respond(reply, fail(`ERROR: A network with VNI ${q(vni)} already exists!`));
    }
    if (networks(deps).some((n) => n.spec.description === description)) {
      return respond(reply, fail(`ERROR: A network with description ${q(description)} already exists!`));
    }
    const spec: Record<string, unknown> = { vni, description, type: nettype };
    const domain = getValue(v, "domain");
    if (domain !== undefined && domain !== "") spec.domain = domain;
    const nameServers = getValues(v, "name_server");
    if (nameServers.length > 0) spec.nameServers = nameServers;
    const ipv4 = ipv4FromValues(v, undefined);
    if (ipv4) spec.ipv4 = ipv4;
    else if (getValue(v, "ip4_gateway") !== undefined || dhcp4On(v)) {
      return respond(
        reply,
        fail("ERROR: An IPv4 network (ip4_network) is required for an IPv4 gateway or DHCPv4."),
      );
    }
    const ip6 = getValue(v, "ip6_network");
    if (ip6 !== undefined && ip6 !== "") {
      const gw = getValue(v, "ip6_gateway");
      spec.ipv6 = { network: ip6, ...(gw ? { gateway: gw } : {}) };
    }
    const name = NAME.test(description) ? description : `vni-${vni}`;
    const doc = { apiVersion: API_GROUP_VERSION, kind: "Network", metadata: { name }, spec };
    const verdict = await attempt(async () => {
      const written = await deps.store.create(doc);
      const outcome = await waitForConvergence(deps, written, {
        success: `Network ${q(description)} added successfully!`,
      });
      if (refused(outcome)) {
        // Refused by the controller: take the resource back, so nothing is half-applied.
        await deps.store.delete("Network", name).catch(() => undefined);
      }
      return outcome;
    });
    return respond(reply, verdict);
  });

  app.get<{ Params: { network: string } }>("/network/:network", async (request, reply) => {
    const n = findNetwork(deps, request.params.network);
    if (!n) return notFound(reply, "Network not found.");
    return [toPvc(n)];
  });

  app.put<{ Params: { network: string } }>("/network/:network", async (request, reply) => {
    const ref = request.params.network;
    const n = findNetwork(deps, ref);
    if (!n) return respond(reply, fail(notFoundMessage(ref)));
    const v = readValues(request);
    const spec: Record<string, unknown> = {};
    const description = getValue(v, "description");
    if (description) {
      if (networks(deps).some((o) => o !== n && o.spec.description === description)) {
        return respond(reply, fail(`ERROR: A network with description ${q(description)} already exists!`));
      }
      spec.description = description;
    }
    const domain = getValue(v, "domain");
    if (domain) spec.domain = domain;
    const nameServers = getValues(v, "name_server");
    if (nameServers.length > 0) spec.nameServers = nameServers;
    const ipv4 = ipv4FromValues(v, n.spec.ipv4);
    if (ipv4 === null)
      return respond(
        reply,
        fail("ERROR: An IPv4 network (ip4_network) is required for an IPv4 gateway or DHCPv4."),
      );
    if (ipv4) {
      if (
        hasFlag(v, "dhcp4") &&
        ipv4.dhcp &&
        (!(ipv4.dhcp as { start?: string }).start || !(ipv4.dhcp as { end?: string }).end)
      ) {
        return respond(
          reply,
          fail("ERROR: DHCPv4 start and end addresses are required for a DHCPv4-enabled network."),
        );
      }
      // A merge patch cannot drop a key inside an object it replaces, so give the whole object.
      spec.ipv4 = { network: ipv4.network, gateway: ipv4.gateway, dhcp: ipv4.dhcp ?? null };
    }
    const ip6 = getValue(v, "ip6_network");
    const gw6 = getValue(v, "ip6_gateway");
    if (ip6)
      spec.ipv6 = { network: ip6, gateway: gw6 || null, dhcp: true }; // a new network regenerates the gateway, as PVC does
    else if (gw6 && n.spec.ipv6) spec.ipv6 = { ...n.spec.ipv6, gateway: gw6 };
    if (Object.keys(spec).length === 0)
      return respond(reply, ok(`Network ${q(n.spec.vni)} modified successfully!`));
    return respond(
      reply,
      await patchAndWait(deps, n, spec, `Network ${q(n.spec.vni)} modified successfully!`),
    );
  });

  app.delete<{ Params: { network: string } }>("/network/:network", async (request, reply) => {
    const ref = request.params.network;
    const n = findNetwork(deps, ref);
    if (!n) return respond(reply, fail(notFoundMessage(ref)));
    const deleted = await deps.store.delete("Network", n.metadata.name);
    return respond(
      reply,
      await waitForDeletion(deps, deleted, {
        success: `Network ${q(n.spec.description)} removed successfully!`,
      }),
    );
  });

  // Leases: static reservations (spec) and dynamic leases (status, written by dnsmasq).
  app.get<{ Params: { network: string } }>("/network/:network/lease", async (request, reply) => {
    const v = readValues(request);
    const n = findNetwork(deps, request.params.network);
    if (!n) return notFound(reply, notFoundMessage(request.params.network));
    const match = limitFilter(getValue(v, "limit"));
    const list = leases(n, hasFlag(v, "static")).filter((l) => match(l.mac_address));
    if (list.length === 0) return notFound(reply, "Lease not found.");
    return list;
  });

  app.post<{ Params: { network: string } }>("/network/:network/lease", async (request, reply) => {
    const v = readValues(request);
    const ref = request.params.network;
    const n = findNetwork(deps, ref);
    if (!n) return respond(reply, fail(notFoundMessage(ref)));
    const macText = getValue(v, "macaddress");
    const ipText = getValue(v, "ipaddress");
    if (!macText) return respond(reply, fail("ERROR: A MAC address must be specified for the lease."));
    if (!ipText) return respond(reply, fail("ERROR: An IP address must be specified for the lease."));
    if (!isValidMac(macText) || !macText.includes(":")) {
      return respond(
        reply,
        fail(`ERROR: MAC address ${q(macText.toLowerCase())} is not valid! Always use ':' as a separator.`),
      );
    }
    if (parseIp(ipText)?.family !== 4)
      return respond(reply, fail(`ERROR: IP address ${q(ipText)} is not valid!`));
    const mac = normalizeMac(macText) as string;
    if (n.spec.type !== "managed" || !n.spec.ipv4) {
      return respond(
        reply,
        fail(`ERROR: Network ${q(n.spec.vni)} has no IPv4 network to hold a DHCP reservation.`),
      );
    }
    const current = n.spec.dhcpReservations ?? [];
    if (current.some((r) => r.mac === mac))
      return respond(reply, fail(`ERROR: A reservation with MAC ${q(mac)} already exists!`));
    const hostname = getValue(v, "hostname");
    const added: DhcpReservation = {
      mac,
      ip: normalizeIp(ipText, 4) ?? ipText,
      ...(hostname ? { hostname } : {}),
    };
    return respond(
      reply,
      await patchAndWait(
        deps,
        n,
        { dhcpReservations: [...current, added] },
        `DHCP reservation ${q(mac)} added successfully!`,
      ),
    );
  });

  const leaseElement = async (network: string, lease: string, reply: Parameters<typeof notFound>[0]) => {
    const n = findNetwork(deps, network);
    if (!n) return notFound(reply, notFoundMessage(network));
    const wanted = normalizeMac(lease) ?? lease.toLowerCase();
    const list = leases(n, false).filter((l) => l.mac_address === wanted);
    if (list.length === 0) return notFound(reply, "Lease not found.");
    return list;
  };
  const leaseDelete = async (network: string, lease: string, reply: Parameters<typeof respond>[0]) => {
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
  for (const spelling of ["lease", "dhcp"]) {
    app.get<{ Params: { network: string; lease: string } }>(
      `/network/:network/${spelling}/:lease`,
      async (request, reply) => leaseElement(request.params.network, request.params.lease, reply),
    );
    app.delete<{ Params: { network: string; lease: string } }>(
      `/network/:network/${spelling}/:lease`,
      async (request, reply) => leaseDelete(request.params.network, request.params.lease, reply),
    );
  }

  // ACLs: spec.acls.<direction>, list order = PVC's order.
  app.get<{ Params: { network: string } }>("/network/:network/acl", async (request, reply) => {
    const v = readValues(request);
    const n = findNetwork(deps, request.params.network);
    if (!n) return notFound(reply, notFoundMessage(request.params.network));
    const direction = getValue(v, "direction");
    if (direction !== undefined && direction !== "in" && direction !== "out") {
      return reply.code(400).send({
        message: "ERROR: Direction must be either 'in' or 'out'; for both, do not specify a direction.",
      });
    }
    const match = limitFilter(getValue(v, "limit"));
    const list = acls(n, direction).filter((a) => match(String(a.description)));
    if (list.length === 0) return notFound(reply, "ACL not found.");
    return list;
  });

  app.post<{ Params: { network: string } }>("/network/:network/acl", async (request, reply) => {
    const v = readValues(request);
    const ref = request.params.network;
    const n = findNetwork(deps, ref);
    if (!n) return respond(reply, fail(notFoundMessage(ref)));
    const description = getValue(v, "description");
    const direction = getValue(v, "direction");
    const rule = getValue(v, "rule");
    if (!description) return respond(reply, fail("ERROR: A description must be provided."));
    if (direction === undefined || direction === "")
      return respond(reply, fail("ERROR: A direction must be specified for the ACL."));
    if (direction !== "in" && direction !== "out")
      return respond(reply, fail("ERROR: Direction must be either 'in' or 'out'."));
    if (!rule) return respond(reply, fail("ERROR: A valid NFT rule line must be specified for the ACL."));
    if (n.spec.type !== "managed") {
      return respond(
        reply,
        fail(`ERROR: Network ${q(n.spec.vni)} is bridged: PVC applies no ACLs to bridged networks.`),
      );
    }
    const list: AclRule[] = [...(n.spec.acls?.[direction] ?? [])];
    if (list.some((a) => a.description === description)) {
      return respond(reply, fail(`ERROR: A rule with description ${q(description)} already exists!`));
    }
    const orderText = getValue(v, "order");
    let order = list.length;
    if (orderText !== undefined && orderText !== "") {
      if (!/^\d+$/.test(orderText))
        return respond(
          reply,
          fail(`ERROR: Order ${q(orderText)} is not a valid position: it must be a whole number.`),
        );
      order = Math.min(Number(orderText), list.length); // as PVC: past the end means at the end
    }
    list.splice(order, 0, { description, rule });
    const acl = { in: n.spec.acls?.in ?? [], out: n.spec.acls?.out ?? [], [direction]: list };
    return respond(
      reply,
      await patchAndWait(deps, n, { acls: acl }, `Firewall rule ${q(description)} added successfully!`),
    );
  });

  app.get<{ Params: { network: string; acl: string } }>(
    "/network/:network/acl/:acl",
    async (request, reply) => {
      const n = findNetwork(deps, request.params.network);
      if (!n) return notFound(reply, notFoundMessage(request.params.network));
      // The manual: an unknown ACL is an empty document, not an error.
      return acls(n, undefined).filter((a) => a.description === request.params.acl);
    },
  );

  app.delete<{ Params: { network: string; acl: string } }>(
    "/network/:network/acl/:acl",
    async (request, reply) => {
      const v = readValues(request);
      const ref = request.params.network;
      const n = findNetwork(deps, ref);
      if (!n) return respond(reply, fail(notFoundMessage(ref)));
      const direction = getValue(v, "direction");
      if (direction === undefined || direction === "")
        return respond(reply, fail("ERROR: A direction must be specified for the ACL."));
      if (direction !== "in" && direction !== "out")
        return respond(reply, fail("ERROR: Direction must be either 'in' or 'out'."));
      const description = request.params.acl;
      const list = n.spec.acls?.[direction] ?? [];
      if (!list.some((a) => a.description === description)) {
        return respond(reply, fail(`ERROR: No firewall rule exists matching description ${q(description)}!`));
      }
      const acl = {
        in: n.spec.acls?.in ?? [],
        out: n.spec.acls?.out ?? [],
        [direction]: list.filter((a) => a.description !== description),
      };
      return respond(
        reply,
        await patchAndWait(deps, n, { acls: acl }, `Firewall rule ${q(description)} removed successfully!`),
      );
    },
  );
};
