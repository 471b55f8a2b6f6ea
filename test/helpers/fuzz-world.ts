/**
 * The names and well-formed values the route fuzzer starts from, so that a good share of its
 * requests get past the first checks and reach the store, the controllers and ZooKeeper: a fixed
 * set of network slots (vni, description, addressing), Ceph pools, volumes and snapshots, and for
 * every other kind the example manifests (manifests/examples). Everything is a pure function of
 * the Rng (never of a response), so a seed names one request stream.
 */
import { readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { OSD_FLAGS } from "../../src/ceph/names.ts";
import { KINDS } from "../../src/resources/kinds.ts";
import { buildDomainXml } from "../../src/resources/libvirt-xml.ts";
import { API_GROUP_VERSION } from "../../src/resources/types.ts";
import { xmlText } from "./fuzz-bodies.ts";
import type { Rng } from "./fuzz-rng.ts";
import { hostileString, inject, limitValue, REDOS_BAIT } from "./fuzz-values.ts";

/** How many network slots the run plays with: few enough that creates, updates and deletes collide. */
export const NETWORK_SLOTS = 16;
const POOLS = ["fzp0", "fzp1", "fzp2"];
const VOLUMES = ["fzv0", "fzv1", "fzv2", "fzv3"];
const SNAPSHOTS = ["fzs0", "fzs1"];
const NODES = ["hv1", "hv2", "hv3", hostname()];

export interface NetworkSlot {
  name: string;
  vni: number;
  type: "managed" | "bridged";
  description: string;
  /** The second octet of its IPv4 block (10.<k>.0.0/24). */
  k: number;
}

export function networkSlot(i: number): NetworkSlot {
  const bridged = i % 4 === 3;
  const vni = bridged ? 200 + i : 10_000 + i;
  return {
    // The name the /api/v1 facade gives a network it creates (its description), so that both APIs
    // address the same objects.
    name: `fz-d${i}`,
    vni,
    type: bridged ? "bridged" : "managed",
    description: `fz-d${i}`,
    k: 100 + i,
  };
}

/**
 * A network whose description is issue 12's ReDoS subject (a near miss for the regex bombs in
 * `limit`), outside the slots so that no fuzzed request renames or deletes it. The domain is given:
 * the defaulted `<description>.local` would not be a DNS name.
 */
export function redosBaitDoc(): Record<string, unknown> {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: "Network",
    metadata: { name: "fz-redos-bait" },
    spec: { vni: 9_999, type: "managed", description: REDOS_BAIT, domain: "bait.example.net" },
  };
}

const mac = (k: number, j: number) =>
  `52:54:00:00:${(k % 256).toString(16).padStart(2, "0")}:${(j % 256).toString(16).padStart(2, "0")}`;

/**
 * A valid Network document for slot `i` (sometimes with reservations, ACLs, IPv6, and unless
 * `ownVni`, now and then another slot's vni).
 */
export function networkDoc(rng: Rng, i: number, ownVni = false): Record<string, unknown> {
  const s = networkSlot(i);
  const spec: Record<string, unknown> = { vni: s.vni, type: s.type, description: s.description };
  if (rng.chance(0.6)) spec.domain = `fz${i}.example.net`;
  // Now and then another slot's vni: two objects claiming one network must not both write it.
  if (!ownVni && rng.chance(0.2)) spec.vni = networkSlot(rng.int(0, NETWORK_SLOTS - 1)).vni;
  if (s.type === "managed") {
    spec.nameServers = rng.chance(0.5) ? [`10.${s.k}.0.1`] : [];
    const ipv4: Record<string, unknown> = { network: `10.${s.k}.0.0/24`, gateway: `10.${s.k}.0.1` };
    if (rng.chance(0.5)) ipv4.dhcp = { start: `10.${s.k}.0.100`, end: `10.${s.k}.0.199` };
    spec.ipv4 = ipv4;
    if (rng.chance(0.3)) spec.ipv6 = { network: `fd00:${s.k}::/64` };
    if (rng.chance(0.4)) {
      spec.dhcpReservations = Array.from({ length: rng.int(1, 3) }, (_, j) => ({
        mac: mac(s.k, j),
        ip: `10.${s.k}.0.${10 + j}`,
        hostname: `h${j}`,
      }));
    }
    if (rng.chance(0.4)) {
      spec.acls = {
        in: Array.from({ length: rng.int(0, 2) }, (_, j) => ({
          description: `in${j}`,
          rule: `ip saddr 10.${s.k}.0.0/24 tcp dport ${22 + j} counter accept`,
        })),
        out: rng.chance(0.5) ? [{ description: "out0", rule: "counter accept" }] : [],
      };
    }
  }
  return { apiVersion: API_GROUP_VERSION, kind: "Network", metadata: { name: s.name }, spec };
}

/** The example manifests of every kind (minus Network: the slots stand for it). */
function loadExamples(): Map<string, Array<Record<string, unknown>>> {
  const dir = join(import.meta.dirname, "../../manifests/examples");
  const byKind = new Map<string, Array<Record<string, unknown>>>();
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    for (const doc of loadAll(readFileSync(join(dir, file), "utf8"))) {
      if (doc === null || typeof doc !== "object") continue;
      const d = doc as Record<string, unknown>;
      const list = byKind.get(String(d.kind)) ?? [];
      list.push(d);
      byKind.set(String(d.kind), list);
    }
  }
  return byKind;
}

const EXAMPLES = loadExamples();

/** A well-formed document for the kind served at `/<plural>` (unknown plurals get a Network). */
export function validDoc(rng: Rng, plural: string): Record<string, unknown> {
  const info = KINDS.find((k) => k.plural === plural);
  const kind = info?.kind ?? "Network";
  const pool = rng.pick(POOLS);
  const volume = rng.pick(VOLUMES);
  const doc = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: API_GROUP_VERSION,
    kind,
    metadata: { name },
    spec,
  });
  switch (kind) {
    case "Network":
      return networkDoc(rng, rng.int(0, NETWORK_SLOTS - 1));
    case "CephPool":
      return doc(pool, { pgs: rng.pick([8, 16]), replication: { copies: 1, minCopies: 1 } });
    case "CephVolume":
      return doc(`${pool}.${volume}`, { pool, size: rng.pick(["1G", "512M", "1073741824"]) });
    case "CephSnapshot": {
      const snap = rng.pick(SNAPSHOTS);
      return doc(`${pool}.${volume}@${snap}`, { pool, volume });
    }
    default: {
      const examples = EXAMPLES.get(kind) ?? [];
      const base = examples.length > 0 ? structuredClone(rng.pick(examples)) : doc("x", {});
      const meta = (base.metadata ?? {}) as Record<string, unknown>;
      base.metadata = { ...meta, name: `fz-${plural.slice(0, 8)}-${rng.int(0, 3)}` };
      return base;
    }
  }
}

/** Object names of the kind at `/<plural>` that the run creates (for reads, updates, deletes). */
export function knownName(rng: Rng, plural: string): string {
  switch (plural) {
    case "networks":
      return networkSlot(rng.int(0, NETWORK_SLOTS - 1)).name;
    case "cephpools":
      return rng.pick(POOLS);
    case "cephvolumes":
      return `${rng.pick(POOLS)}.${rng.pick(VOLUMES)}`;
    case "cephsnapshots":
      return `${rng.pick(POOLS)}.${rng.pick(VOLUMES)}@${rng.pick(SNAPSHOTS)}`;
    case "nodes":
      return rng.pick(NODES);
    default:
      return `fz-${plural.slice(0, 8)}-${rng.int(0, 3)}`;
  }
}

/** A plausible value for a path parameter (`:network`, `:pool`…) of a route. */
export function goodParam(rng: Rng, param: string, plural: string | undefined, slotIndex: number): string {
  const slot = networkSlot(slotIndex);
  switch (param) {
    case "plural":
      // Networks most often: their keys in ZooKeeper are what the run checks afterwards.
      return rng.chance(0.4) ? "networks" : rng.pick(KINDS).plural;
    case "name":
      return knownName(rng, plural ?? rng.pick(KINDS).plural);
    case "network":
      // PVC names a network by vni or description (the slot's own, whichever object has it now).
      return rng.chance(0.5) ? String(slot.vni) : slot.description;
    case "lease":
      return mac(slot.k, rng.int(0, 2));
    case "acl":
      return rng.pick(["in0", "in1", "out0", "fz-acl"]);
    case "osd":
      return String(rng.int(0, 3));
    case "pool":
      return rng.pick(POOLS);
    case "volume":
      return rng.pick(VOLUMES);
    case "snapshot":
      return rng.pick(SNAPSHOTS);
    case "node":
      return rng.pick(NODES);
    case "vm":
      return rng.pick(["web1", "db1", "fz-vm"]);
    default:
      return `fz-${param}`;
  }
}

/**
 * A plausible value for the /api/v1 value `name` on the endpoint at `path`; network values all come
 * from one slot per request, so that they agree with each other (a gateway inside its network).
 */
export function goodValue(rng: Rng, name: string, path: string, token: string, slotIndex: number): string {
  const slot = networkSlot(slotIndex);
  const k = slot.k;
  switch (name) {
    case "vni":
      return String(slot.vni);
    case "description":
      return path.includes("/acl") ? rng.pick(["in0", "in1", "fz-acl"]) : slot.description;
    case "nettype":
      return slot.type;
    case "domain":
      return `fz${k}.example.net`;
    case "ip4_network":
      return `10.${k}.0.0/24`;
    case "ip4_gateway":
      return `10.${k}.0.1`;
    case "ip6_network":
      return `fd00:${k}::/64`;
    case "ip6_gateway":
      return `fd00:${k}::1`;
    case "dhcp4":
    case "static":
    case "yes_i_really_mean_it":
    case "restart":
    case "force":
    case "permanent":
    case "delete_disks":
    case "autostart":
    case "no-autostart":
      return "";
    case "dhcp4_start":
      return `10.${k}.0.100`;
    case "dhcp4_end":
      return `10.${k}.0.199`;
    case "name_server":
      return `10.${k}.0.53`;
    case "limit":
      return limitValue(rng);
    case "macaddress":
      return mac(k, rng.int(0, 5));
    case "ipaddress":
      return `10.${k}.0.${rng.int(2, 250)}`;
    case "hostname":
      return `h${rng.int(0, 9)}`;
    case "direction":
      return rng.pick(["in", "out"]);
    case "rule":
      return rng.pick(["counter accept", `ip saddr 10.${k}.0.0/24 counter drop`]);
    case "order":
      return String(rng.int(0, 3));
    case "action":
      return rng.pick(["set", "unset", "migrate", "move", "unmigrate"]);
    case "option":
      return rng.pick(OSD_FLAGS);
    case "node":
      return rng.pick(NODES);
    case "device":
      return rng.pick(["/dev/sdb", "/dev/vdb", "/dev/null"]);
    case "weight":
      return rng.pick(["1.0", "0.5", "2"]);
    case "state":
      return rng.pick(["in", "out", "start", "stop", "restart", "shutdown", "disable"]);
    case "pool":
      return rng.pick(POOLS);
    case "pgs":
      return rng.pick(["8", "16", "32"]);
    case "replcfg":
      return rng.pick(["copies=1,mincopies=1", "copies=3,mincopies=2"]);
    case "volume":
    case "source_volume":
      return rng.pick(VOLUMES);
    case "name":
      return rng.pick(VOLUMES);
    case "size":
      return rng.pick(["1G", "4096M", "1073741824", "2G"]);
    case "snapshot":
      return rng.pick(SNAPSHOTS);
    case "token":
      return rng.chance(0.5) ? token : "wrong-token";
    case "xml":
      return rng.chance(0.3) ? xmlText(rng) : vmXml(rng);
    case "selector":
      return rng.pick(["mem", "load", "vcpus", "vms"]);
    case "coordinator-state":
      return rng.pick(["primary", "secondary"]);
    case "domain-state":
      return rng.pick(["flush", "ready"]);
    default:
      return hostileString(rng).value;
  }
}

const hex = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.int(0, 15).toString(16)).join("");

/**
 * A VM definition for /api/v1/vm's `xml`: libvirt XML as PVC's provisioner writes it (an RBD disk on
 * the run's pools, an interface on a slot's network), then often spoiled: a hostile name or volume
 * spliced in raw (so that it is also bad XML now and then), a cut-off document, a huge memory.
 */
export function vmXml(rng: Rng): string {
  const uuid = `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-8${hex(rng, 3)}-${hex(rng, 12)}`;
  const name = rng.pick(["web1", "db1", "fz-vm"]);
  const volume = `${name}_sda`;
  const xml = buildDomainXml({
    name,
    uuid,
    memoryMiB: rng.pick([512, 1024]),
    vcpus: rng.int(1, 4),
    disks: [
      {
        kind: "rbd",
        pool: rng.pick(POOLS),
        volume,
        target: "sda",
        monitors: [{ host: "127.0.0.1", port: 6789 }],
      },
    ],
    interfaces: [
      { vni: networkSlot(rng.int(0, NETWORK_SLOTS - 1)).vni, mac: mac(rng.int(0, 255), rng.int(0, 255)) },
    ],
  });
  switch (rng.int(0, 5)) {
    case 0:
      return xml.replace(`<name>${name}</name>`, `<name>${hostileString(rng).value}</name>`);
    case 1:
      return xml.replace(`/${volume}"`, `/${inject(rng, volume)}"`);
    case 2:
      return xml.slice(0, rng.int(1, xml.length - 1));
    case 3:
      return xml.replace(
        /<memory unit="MiB">\d+</,
        `<memory unit="${rng.pick(["MiB", "EiB", "x"])}">${rng.pick(["99999999999999999999", "-1", "0", "1e9"])}<`,
      );
    default:
      return xml;
  }
}
