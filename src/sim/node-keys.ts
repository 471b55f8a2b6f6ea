/**
 * The values a hollow node writes under `/nodes/<name>`: pure functions from the node's spec and
 * its simulated libvirt to key/value lists, so they can be checked without ZooKeeper.
 */
import type { PvcKeys } from "../pvc/keys.ts";
import type { DomainResources } from "./domain-xml.ts";
import type { HollowNodeSpec } from "./spec.ts";
import type { KeyValues } from "./zk-write.ts";

/** `uname -r`, `uname -o`, `uname -m` of a hollow host; the kernel name says it is simulated. */
export interface HostFacts {
  kernel: string;
  os: string;
  arch: string;
}
export const HOLLOW_HOST: HostFacts = { kernel: "4.19.0-hollow-amd64", os: "GNU/Linux", arch: "x86_64" };

/** PVC's order: CPU count, kernel, OS, architecture. */
export function staticData(spec: HollowNodeSpec, host: HostFacts = HOLLOW_HOST): string {
  return [String(spec.vcpus), host.kernel, host.os, host.arch].join(" ");
}

export interface NodeStats {
  memtotal: number;
  memused: number;
  memfree: number;
  memalloc: number;
  vcpualloc: number;
  /** Python's str(float), e.g. "0.0", "1.25". */
  cpuload: string;
  domainscount: number;
  runningdomains: string;
}

/** Python prints floats with at least one decimal; PVC's cpuload is str(os.getloadavg()[0]). */
export function pyFloat(n: number): string {
  const rounded = Math.round(n * 100) / 100;
  return Number.isInteger(rounded) ? rounded.toFixed(1) : String(rounded);
}

/**
 * The node daemon's accounting: memalloc/vcpualloc sum the domains in its own running list (as it
 * knows them from libvirt), domainscount counts what libvirt runs. Host memory use is invented:
 * a fixed share for the host itself plus what the VMs were given.
 */
export function nodeStats(
  spec: HollowNodeSpec,
  runningList: readonly string[],
  lookup: (uuid: string) => DomainResources | undefined,
  libvirtCount: number,
): NodeStats {
  let memalloc = 0;
  let vcpualloc = 0;
  for (const uuid of runningList) {
    const r = lookup(uuid);
    if (!r) continue;
    memalloc += r.memMiB;
    vcpualloc += r.vcpus;
  }
  const hostOverhead = Math.min(2048, Math.floor(spec.memMiB / 16));
  const memused = Math.min(spec.memMiB, hostOverhead + memalloc);
  return {
    memtotal: spec.memMiB,
    memused,
    memfree: spec.memMiB - memused,
    memalloc,
    vcpualloc,
    cpuload: pyFloat(vcpualloc * 0.1),
    domainscount: libvirtCount,
    runningdomains: runningList.join(" "),
  };
}

export function statsKeys(keys: PvcKeys, name: string, s: NodeStats): KeyValues {
  return [
    [keys.nodeKey(name, "memtotal"), String(s.memtotal)],
    [keys.nodeKey(name, "memused"), String(s.memused)],
    [keys.nodeKey(name, "memfree"), String(s.memfree)],
    [keys.nodeKey(name, "memalloc"), String(s.memalloc)],
    [keys.nodeKey(name, "vcpualloc"), String(s.vcpualloc)],
    [keys.nodeKey(name, "cpuload"), s.cpuload],
    [keys.nodeKey(name, "domainscount"), String(s.domainscount)],
    [keys.nodeKey(name, "runningdomains"), s.runningdomains],
  ];
}

export interface RegistrationInput {
  spec: HollowNodeSpec;
  stats: NodeStats;
  /** Epoch seconds. */
  now: number;
  host?: HostFacts;
}

/**
 * Every node key, as a node daemon writes them when it (re)registers: daemonstate `init` (the
 * first keepalive makes it `run`), routerstate `secondary` for a coordinator (the /primary_node
 * watch then settles primary/secondary) and `client` for a hypervisor.
 *
 * domainstate is `ready`: a real new node registers as `flushed` and PVC's pvc-flush.service runs
 * `pvc node unflush` at boot; a hollow node has no boot, so it starts where that leaves it.
 */
export function registrationKeys(keys: PvcKeys, input: RegistrationInput): KeyValues {
  const { spec, stats } = input;
  const name = spec.name;
  const k = (key: Parameters<PvcKeys["nodeKey"]>[1]) => keys.nodeKey(name, key);
  return [
    [keys.node(name), spec.mode],
    [k("daemonmode"), spec.mode],
    [k("daemonstate"), "init"],
    [k("routerstate"), spec.mode === "coordinator" ? "secondary" : "client"],
    [k("domainstate"), "ready"],
    [k("staticdata"), staticData(spec, input.host)],
    ...statsKeys(keys, name, stats),
    [k("networkscount"), "0"],
    [k("keepalive"), String(input.now)],
    [k("ipmihostname"), `${name}-lom.hollow`],
    [k("ipmiusername"), "admin"],
    [k("ipmipassword"), "hollow"],
  ];
}
