/**
 * A resource's "live view" for the status page: what its controller would write, built from its
 * spec by the controller's own builders (network-tree.ts, domain-tree.ts), beside what PVC's
 * ZooKeeper and Ceph hold now (PvcReader, `rbd info`), each as text ready to diff. Read-only.
 *
 * - Network: the keys under `/networks/<vni>` (dnsmasq's leases left out: the controller never
 *   touches them).
 * - VirtualMachine: the definition under `/domains/<uuid>` (name, xml, rbdlist, node_limit,
 *   node_selector, profile), and `state` and `node` as the spec asks for them — those two are the
 *   nodes' to write, so a difference there is what the cluster did (a flush, PVC's CLI), shown and
 *   never undone.
 * - CephVolume: the image and its size (`rbd info`) against the spec, and PVC's key for it.
 *
 * Other kinds are not compared (yet): the view says so.
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import { tryParsedDomain } from "../resources/domain-cache.ts";
import type { CephVolume, Network, VirtualMachine } from "../resources/specs.ts";
import type { Resource, ResourceStatus } from "../resources/types.ts";
import { definedXml, ownedDomainKeys, settledPvcState, vmDomainDefinition } from "./domain-tree.ts";
import type { PvcKeys } from "./keys.ts";
import { desiredNetworkTree } from "./network-tree.ts";
import type { PvcReader } from "./reader.ts";

/** One thing compared: two texts, line by line. */
export interface LiveComparison {
  /** What is compared and where, e.g. `/networks/4400 in ZooKeeper`. */
  title: string;
  /** As the controller would write it, from the spec. */
  desired: string;
  /** As it is now. */
  live: string;
  /** How to read it: what is left out, whose keys these are. */
  note?: string;
}

export interface LiveView {
  comparisons: LiveComparison[];
  /** Why nothing is compared (a kind without a live view, a VM without XML). */
  note?: string;
}

export interface LiveViewSources {
  keys: PvcKeys;
  reader: PvcReader;
  /** `rbd info`'s size in bytes, or undefined when the image (or its pool) does not exist. */
  rbdSize(pool: string, image: string): Promise<number | undefined>;
}

/** A subtree as text: the root's path and value, then each key below it relative to the root, sorted. */
export function treeText(root: string, tree: ReadonlyMap<string, string>): string {
  const lines: string[] = [];
  const value = (key: string, v: string) => {
    if (!v.includes("\n")) return lines.push(`${key}: ${v === "" ? '""' : v}`);
    // Multi-line values (a VM's XML) one line each, so that a diff points at the line that moved.
    lines.push(`${key}: |`);
    const indent = `${key.slice(0, key.length - key.trimStart().length)}    `;
    for (const line of v.replace(/\n$/, "").split("\n")) lines.push(`${indent}${line}`);
  };
  const rootValue = tree.get(root);
  if (rootValue === undefined) return "";
  value(root, rootValue);
  const keys = [...tree.keys()].filter((p) => p.startsWith(`${root}/`)).sort();
  for (const path of keys) value(`  ${path.slice(root.length + 1)}`, tree.get(path) as string);
  return `${lines.join("\n")}\n`;
}

async function networkView(net: Network, src: LiveViewSources): Promise<LiveView> {
  const { keys, reader } = src;
  const vni = net.spec.vni;
  const leases = `${keys.dhcp4Leases(vni)}/`;
  const live = new Map([...(await reader.networkTree(vni))].filter(([path]) => !path.startsWith(leases)));
  const root = keys.network(vni);
  return {
    comparisons: [
      {
        title: `${root} in ZooKeeper`,
        desired: treeText(root, desiredNetworkTree(keys, net.spec)),
        live: treeText(root, live),
        note: "dnsmasq's leases under dhcp4_leases are left out: they are never the controller's.",
      },
    ],
  };
}

async function vmView(vm: VirtualMachine, src: LiveViewSources): Promise<LiveView> {
  const { keys, reader } = src;
  // A VM from a profile is defined with the XML its provisioning built (kept in its status).
  const xml = definedXml(vm);
  const parsed = tryParsedDomain(xml);
  if (!xml || !parsed) {
    return {
      comparisons: [],
      note: "No XML yet (a VM from a profile not yet provisioned): nothing to compare.",
    };
  }
  const def = vmDomainDefinition(vm.metadata.name, vm.spec, xml, parsed.info);
  const root = keys.domain(def.uuid);
  const live = await reader.domainTree(def.uuid);
  const desired = ownedDomainKeys(keys, def);
  const stateKey = keys.domainKey(def.uuid, "state");
  const nodeKey = keys.domainKey(def.uuid, "node");
  desired.set(stateKey, settledPvcState(vm.spec.runState));
  // A VM placed by its selector has no node of the spec's: whichever it is on is as asked.
  const node = vm.spec.migration?.node ?? vm.spec.node ?? live.get(nodeKey);
  if (node !== undefined) desired.set(nodeKey, node);
  const shown = new Map([...live].filter(([path]) => desired.has(path)));
  return {
    comparisons: [
      {
        title: `${root} in ZooKeeper`,
        desired: treeText(root, desired),
        live: treeText(root, shown),
        note: "The definition is the controller's to repair; state and node are the nodes' to write (a difference there is shown, never undone). Other node-written keys are left out.",
      },
    ],
  };
}

async function volumeView(vol: CephVolume, src: LiveViewSources): Promise<LiveView> {
  const { pool, name } = vol.spec;
  const size = await src.rbdSize(pool, name);
  const keyThere = await src.reader.volumeExists(pool, name);
  const path = src.keys.cephVolume(pool, name);
  // A clone that keeps its source's size asks for no size of its own.
  const wanted = vol.spec.size ?? size ?? vol.status?.sizeBytes;
  const text = (bytes: number | undefined, there: boolean, key: boolean) =>
    `${there ? `image ${pool}/${name}\n  size: ${bytes} bytes` : `image ${pool}/${name}: absent`}\n` +
    `${path}: ${key ? "present" : "absent"}\n`;
  return {
    comparisons: [
      {
        title: `rbd info ${pool}/${name} in Ceph, and PVC's key`,
        desired: text(wanted, true, true),
        live: text(size, size !== undefined, keyThere),
      },
    ],
  };
}

/** An object of any kind (its spec read per kind below). */
export type AnyObject = Resource<unknown, ResourceStatus>;

/** The live view of `obj`; kinds without one say so. */
export async function liveView(obj: AnyObject, src: LiveViewSources): Promise<LiveView> {
  switch (obj.kind) {
    case "Network":
      return networkView(obj as Network, src);
    case "VirtualMachine":
      return vmView(obj as VirtualMachine, src);
    case "CephVolume":
      return volumeView(obj as CephVolume, src);
    default:
      return { comparisons: [], note: `${obj.kind} is not compared with ZooKeeper or Ceph yet.` };
  }
}

/** `rbd info`'s size through `info`, undefined for an image (or pool) Ceph does not have. */
export async function sizeOrAbsent(info: () => Promise<{ size: number }>): Promise<number | undefined> {
  try {
    return (await info()).size;
  } catch (err) {
    if (err instanceof PvcError && err.code === ErrorCodes.CEPH_ENOENT) return undefined;
    throw err;
  }
}
