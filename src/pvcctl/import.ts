/**
 * `pvcctl import`: reads an existing PVC cluster's ZooKeeper (through src/pvc/keys.ts, the one
 * home of PVC's paths) and writes manifests that, once applied, adopt what is there without
 * changing it. This is how an existing cluster moves to pvcctl apply or to a GitOps folder.
 *
 * - Networks, with DHCP reservations and ACLs: the spec is built from `/networks/<vni>` and then
 *   checked the other way round — the keys the Network controller would write for that spec are
 *   compared with the keys read, and every difference is reported (an exact match adopts with
 *   zero writes; leases are never compared: dnsmasq owns them).
 * - Ceph pools, volumes and snapshots, from PVC's mirror under `/ceph` (pgs; volume sizes from
 *   the `rbd info` JSON in `stats`), marked for adoption and with `deletionPolicy: Retain` so
 *   that removing an imported manifest never deletes data. Replication is not in ZooKeeper:
 *   PVC v0.6's own (3 copies, min 2) is assumed, and said so.
 * - VirtualMachines and Nodes, as they run (src/pvcctl/import-compute.ts): a VM's XML and
 *   metadata, a node's coordinator and domain state; applied, they ask for nothing new.
 */

import type { CephClient } from "../ceph/client.ts";
import type { PvcKeys } from "../pvc/keys.ts";
import { desiredNetworkTree } from "../pvc/network-tree.ts";
import { ADOPT_ANNOTATION } from "../resources/annotations.ts";
import { cephSnapshotName, cephVolumeName } from "../resources/names.ts";
import type { NetworkSpec } from "../resources/specs.ts";
import { API_GROUP_VERSION, type Resource } from "../resources/types.ts";
import { validateResource } from "../resources/validate.ts";
import type { ZkClient } from "../zk/client.ts";
import { importNodes, importVms } from "./import-compute.ts";

export { ADOPT_ANNOTATION };

const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

export interface ImportedObject {
  /** The manifest (only what differs from defaults). */
  manifest: Resource;
  /** Which output file it goes to. */
  file: "networks.yaml" | "ceph.yaml" | "vms.yaml" | "nodes.yaml";
  /** Why applying it would not be a pure adoption, or other things to know. */
  warnings: string[];
}

export interface ImportResult {
  objects: ImportedObject[];
  notes: string[];
}

async function value(zk: ZkClient, path: string): Promise<string | undefined> {
  return (await zk.tryGet(path))?.data;
}

async function children(zk: ZkClient, path: string): Promise<string[]> {
  try {
    return (await zk.children(path)).sort();
  } catch {
    return [];
  }
}

function manifest(
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): Resource {
  return {
    apiVersion: API_GROUP_VERSION,
    kind,
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec,
  };
}

/** Reads one network subtree (leases left out) as path → value. */
async function readNetworkTree(zk: ZkClient, pvc: PvcKeys, vni: string): Promise<Map<string, string>> {
  const leases = `${pvc.dhcp4Leases(vni)}/`;
  const paths = (await zk.listTree(pvc.network(vni))).filter((p) => !p.startsWith(leases));
  const values = await Promise.all(paths.map((p) => value(zk, p)));
  return new Map(paths.map((p, i) => [p, values[i] ?? ""]));
}

async function importNetwork(zk: ZkClient, pvc: PvcKeys, vni: string): Promise<ImportedObject | undefined> {
  const tree = await readNetworkTree(zk, pvc, vni);
  const get = (key: Parameters<PvcKeys["networkKey"]>[1]) => tree.get(pvc.networkKey(vni, key)) ?? "";
  const warnings: string[] = [];
  const description = tree.get(pvc.network(vni)) ?? "";
  const type = get("nettype") === "bridged" ? "bridged" : "managed";
  if (get("nettype") !== "managed" && get("nettype") !== "bridged") {
    warnings.push(`nettype is ${JSON.stringify(get("nettype"))}; imported as managed`);
  }
  const name = OBJECT_NAME.test(description) ? description : `net-${vni}`;
  const spec: Record<string, unknown> = { vni: Number(vni), type };
  if (description !== name) spec.description = description;
  const domain = get("domain");
  if (domain && domain !== `${description}.local`) spec.domain = domain;
  const ns = get("name_servers")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (ns.length > 0) spec.nameServers = ns;
  if (type === "managed") {
    if (get("ip4_network")) {
      const ipv4: Record<string, unknown> = { network: get("ip4_network"), gateway: get("ip4_gateway") };
      if (get("dhcp4_flag") === "True") ipv4.dhcp = { start: get("dhcp4_start"), end: get("dhcp4_end") };
      spec.ipv4 = ipv4;
    }
    if (get("ip6_network")) {
      const ipv6: Record<string, unknown> = { network: get("ip6_network"), gateway: get("ip6_gateway") };
      if (get("dhcp6_flag") !== "True") ipv6.dhcp = false;
      spec.ipv6 = ipv6;
    }
    const reservations = [];
    for (const mac of await children(zk, pvc.dhcp4Reservations(vni))) {
      const r: Record<string, string> = {
        mac,
        ip: tree.get(pvc.dhcp4ReservationKey(vni, mac, "ipaddr")) ?? "",
      };
      const hostname = tree.get(pvc.dhcp4ReservationKey(vni, mac, "hostname"));
      if (hostname) r.hostname = hostname;
      reservations.push(r);
    }
    if (reservations.length > 0) spec.dhcpReservations = reservations;
    const acls: Record<string, { description: string; rule: string }[]> = { in: [], out: [] };
    for (const direction of ["in", "out"] as const) {
      const rules = [];
      for (const desc of await children(zk, pvc.firewallRules(vni, direction))) {
        const order = Number(tree.get(pvc.firewallRuleKey(vni, direction, desc, "order")));
        rules.push({
          description: desc,
          rule: tree.get(pvc.firewallRuleKey(vni, direction, desc, "rule")) ?? "",
          order,
        });
      }
      rules.sort(
        (a, b) => (Number.isFinite(a.order) ? a.order : 1e9) - (Number.isFinite(b.order) ? b.order : 1e9),
      );
      acls[direction] = rules.map(({ description: d, rule }) => ({ description: d, rule }));
    }
    if (acls.in.length + acls.out.length > 0) spec.acls = acls;
  }
  const m = manifest("Network", name, spec);
  // The check the other way round: what the controller would write for this manifest.
  let validated: Resource;
  try {
    validated = validateResource(m);
  } catch (err) {
    warnings.push(
      `the manifest does not validate, fix it by hand before applying: ${(err as Error).message}`,
    );
    return { manifest: m, file: "networks.yaml", warnings };
  }
  const desired = desiredNetworkTree(pvc, validated.spec as unknown as NetworkSpec);
  const changes: string[] = [];
  for (const [path, v] of desired) {
    const have = tree.get(path);
    if (have === undefined) changes.push(`create ${path}=${JSON.stringify(v)}`);
    else if (have !== v) changes.push(`set ${path}: ${JSON.stringify(have)} → ${JSON.stringify(v)}`);
  }
  for (const path of tree.keys()) if (!desired.has(path)) changes.push(`delete ${path}`);
  if (changes.length > 0) {
    warnings.push(
      `applying it would change ${changes.length} key(s), not only adopt: ${changes.slice(0, 6).join("; ")}${changes.length > 6 ? "; …" : ""}`,
    );
  }
  return { manifest: m, file: "networks.yaml", warnings };
}

async function importCeph(zk: ZkClient, pvc: PvcKeys, ceph?: CephClient): Promise<ImportedObject[]> {
  const out: ImportedObject[] = [];
  const adopt = { [ADOPT_ANNOTATION]: "true" };
  // Replication is not in PVC's keys: with the cluster's ceph.conf we read it from Ceph, so that
  // applying the manifests adopts the pools exactly as they are.
  const details = ceph ? new Map((await ceph.poolLsDetail()).map((d) => [d.name, d])) : undefined;
  for (const pool of await children(zk, pvc.cephPools())) {
    const pgs = Number(await value(zk, pvc.cephPoolKey(pool, "pgs")));
    const detail = details?.get(pool);
    const warnings: string[] = [];
    const spec: Record<string, unknown> = {
      pgs: detail ? detail.pgNumTarget : Number.isInteger(pgs) && pgs > 0 ? pgs : 64,
      deletionPolicy: "Retain",
    };
    if (detail) {
      spec.replication = { copies: detail.size, minCopies: detail.minSize };
    } else {
      warnings.push(
        `replication is not recorded in ZooKeeper: PVC v0.6's 3 copies (min 2) assumed; give --ceph-conf to read it from Ceph, or check \`ceph osd pool get ${pool} size\``,
      );
      if (!(Number.isInteger(pgs) && pgs > 0)) warnings.push("pgs unreadable; 64 assumed");
    }
    out.push({ manifest: manifest("CephPool", pool, spec, adopt), file: "ceph.yaml", warnings });
    for (const volume of await children(zk, pvc.cephPoolVolumes(pool))) {
      const w: string[] = [];
      let size: number | undefined;
      try {
        const stats = JSON.parse((await value(zk, pvc.cephVolumeStats(pool, volume))) ?? "{}") as {
          size?: unknown;
        };
        if (typeof stats.size === "number" && stats.size > 0) size = stats.size;
      } catch {}
      if (size === undefined)
        w.push("size unknown (no stats): the volume keeps its size; set spec.size to manage it");
      const vspec: Record<string, unknown> = {
        pool,
        name: volume,
        ...(size ? { size } : {}),
        deletionPolicy: "Retain",
      };
      out.push({
        manifest: manifest("CephVolume", cephVolumeName(pool, volume), vspec, adopt),
        file: "ceph.yaml",
        warnings: w,
      });
    }
    for (const volume of await children(zk, pvc.cephPoolSnapshots(pool))) {
      for (const snap of await children(zk, pvc.cephVolumeSnapshots(pool, volume))) {
        const sspec = { pool, volume, name: snap, deletionPolicy: "Retain" };
        out.push({
          manifest: manifest("CephSnapshot", cephSnapshotName(pool, volume, snap), sspec, adopt),
          file: "ceph.yaml",
          warnings: [],
        });
      }
    }
  }
  return out;
}

/** Reads the cluster. Nothing is written. */
export async function importCluster(
  zk: ZkClient,
  pvc: PvcKeys,
  options: { ceph?: boolean; cephClient?: CephClient } = {},
): Promise<ImportResult> {
  const objects: ImportedObject[] = [];
  const notes: string[] = [];
  const vnis = (await children(zk, pvc.networks()))
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(a) - Number(b));
  for (const vni of vnis) {
    const o = await importNetwork(zk, pvc, vni);
    if (o) objects.push(o);
  }
  if (options.ceph !== false) objects.push(...(await importCeph(zk, pvc, options.cephClient)));
  for (const vm of await importVms(zk, pvc)) objects.push({ ...vm, file: "vms.yaml" });
  for (const node of await importNodes(zk, pvc)) {
    // A node with nothing to ask for (no coordinator or domain state it reports) has no manifest:
    // its Node object is the cluster's own (the Node controller registers it).
    if (Object.keys(node.manifest.spec ?? {}).length === 0) {
      notes.push(
        `node ${node.manifest.metadata.name}: no coordinator or domain state to adopt, no manifest written`,
      );
      continue;
    }
    objects.push({ ...node, file: "nodes.yaml" });
  }
  notes.push(
    "Provisioner templates, scripts and profiles are not imported: PVC keeps them in its provisioner's database, not in ZooKeeper.",
  );
  return { objects, notes };
}
