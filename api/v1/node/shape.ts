/** Nodes as PVC v0.6's API shapes them (client-common/node.py `getNodeInformation`). */
import type { Heartbeat } from "../../../src/pvc/node-heartbeats.ts";
import type { PvcNode } from "../../../src/resources/specs.ts";

/**
 * A node as v0.6's getNodeInformation returns it, from the Node's status (what the node's keys
 * say, mirrored by its controller), with the figures every keepalive moves (load, free and used
 * memory) as the node wrote them last (`live`), as v0.6 read them at request time. v0.6 read every
 * key as it was; a figure a node has not written is 0 or "" here (v0.6 failed on it).
 */
export function toPvc(n: PvcNode, live?: Heartbeat): Record<string, unknown> {
  const s = n.status ?? {};
  const cpuCount = s.cpuCount ?? 0;
  return {
    name: n.metadata.name,
    daemon_state: s.daemonState ?? "",
    coordinator_state: s.coordinatorState ?? "",
    domain_state: s.domainState ?? "",
    cpu_count: cpuCount,
    kernel: s.kernel ?? "",
    os: s.os ?? "",
    arch: s.arch ?? "",
    load: live?.cpuLoad ?? s.cpuLoad ?? 0,
    domains_count: s.domainsCount ?? 0,
    running_domains: s.runningDomains ?? [],
    vcpu: { total: cpuCount, allocated: s.vcpuAllocated ?? 0 },
    memory: {
      total: s.memory?.totalMiB ?? 0,
      allocated: s.memory?.allocatedMiB ?? 0,
      used: live?.usedMiB ?? s.memory?.usedMiB ?? 0,
      free: live?.freeMiB ?? s.memory?.freeMiB ?? 0,
    },
  };
}

/** One state of a node, as v0.6's node_daemon_state/coordinator_state/domain_state answer it. */
export function stateOf(
  n: PvcNode,
  which: "daemon_state" | "coordinator_state" | "domain_state",
): Record<string, string> {
  const s = n.status ?? {};
  const value =
    which === "daemon_state"
      ? s.daemonState
      : which === "coordinator_state"
        ? s.coordinatorState
        : s.domainState;
  return { name: n.metadata.name, [which]: value ?? "" };
}
