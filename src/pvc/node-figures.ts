/**
 * What a node's daemon says about it under `/nodes/<name>` (docs/pvc-zookeeper-layout.md), read from
 * a cache of `/nodes` into the Node status fields: the Node controller's mirror, and the facade's
 * live figures (node-heartbeats.ts). Pure: no I/O.
 */
import type { NodeFigures } from "../resources/statuses.ts";
import type { TreeCache } from "../zk/tree-cache.ts";
import type { NodeChildKey, PvcKeys } from "./keys.ts";

function int(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}

function float(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** The node's figures from the mirror, or undefined when `/nodes/<name>` is not there. */
export function observeNode(cache: TreeCache, keys: PvcKeys, name: string): NodeFigures | undefined {
  if (!cache.has(keys.node(name))) return undefined;
  const read = (key: NodeChildKey) => cache.get(keys.nodeKey(name, key))?.data;
  // staticdata: CPU count, kernel, OS, architecture, space-separated (PVC's order).
  const [cpus, kernel, os, arch] = (read("staticdata") ?? "").split(/\s+/).filter(Boolean);
  const [totalMiB, freeMiB, usedMiB, allocatedMiB] = (
    ["memtotal", "memfree", "memused", "memalloc"] as const
  ).map((key) => int(read(key)));
  const memory =
    totalMiB !== undefined && freeMiB !== undefined && usedMiB !== undefined && allocatedMiB !== undefined
      ? { totalMiB, freeMiB, usedMiB, allocatedMiB }
      : undefined;
  return {
    daemonMode: read("daemonmode") ?? cache.get(keys.node(name))?.data,
    daemonState: read("daemonstate"),
    coordinatorState: read("routerstate"),
    domainState: read("domainstate"),
    cpuCount: int(cpus),
    kernel,
    os,
    arch,
    memory,
    vcpuAllocated: int(read("vcpualloc")),
    cpuLoad: float(read("cpuload")),
    networksCount: int(read("networkscount")),
    domainsCount: int(read("domainscount")),
    runningDomains: (read("runningdomains") ?? "").split(/\s+/).filter(Boolean),
    keepalive: int(read("keepalive")),
  };
}
