/**
 * Before a domain is defined (or its XML replaced): the checks PVC v0.6 did not make and the issue
 * asks for — every RBD volume the XML names exists (PVC's `/ceph/volumes/<pool>/<volume>`, which
 * the CephVolume controller writes once the image is there), every network it joins exists
 * (`/networks/<vni>` for a bridge `vmbr<vni>`) — and the choice of its node. Pure reads of the
 * mirrors' views.
 */
import type { PvcKeys } from "../../src/pvc/keys.ts";
import { DEFAULT_SELECTOR, selectTargetNode } from "../../src/pvc/placement.ts";
import type { ParsedDomain } from "../../src/resources/domain-cache.ts";
import { splitRbdSource } from "../../src/resources/kinds/vm.ts";
import type { VirtualMachineSpec } from "../../src/resources/specs.ts";
import { listSome } from "../../src/runtime/drift.ts";
import { type KeyView, nodeExists, observeNodes } from "./observe.ts";

export interface Problem {
  reason: string;
  message: string;
}

/** What the definition needs that is missing: volumes first, then networks; undefined when all is there. */
export function missingReferences(
  parsed: ParsedDomain,
  views: { ceph: KeyView; networks: KeyView },
  keys: PvcKeys,
): Problem | undefined {
  const volumes = parsed.info.rbdVolumes.filter((source) => {
    const split = splitRbdSource(source);
    return !split || !views.ceph.get(keys.cephVolume(split.pool, split.volume));
  });
  if (volumes.length > 0) {
    return {
      reason: "VolumesMissing",
      message: `the XML names RBD ${volumes.length === 1 ? "volume" : "volumes"} that PVC does not have: ${listSome(volumes)}`,
    };
  }
  const vnis = parsed.vnis.filter((vni) => !views.networks.get(keys.network(vni)));
  if (vnis.length > 0) {
    return {
      reason: "NetworksMissing",
      message: `the XML joins ${vnis.length === 1 ? "a network" : "networks"} PVC does not have: ${listSome(vnis.map((v) => `vmbr${v} (vni ${v})`))}`,
    };
  }
  return undefined;
}

/** The selection a spec asks for when it names no node: its selector among the ready nodes of its limit. */
export function selectorOf(spec: VirtualMachineSpec): string {
  return spec.nodeSelector ?? DEFAULT_SELECTOR;
}

/**
 * A target for `selector` among the nodes of `view`, never `current` (pass "" at definition), within
 * the spec's node limit (names that are no node ignored); null when none qualifies.
 */
export function selectNode(
  view: KeyView,
  keys: PvcKeys,
  spec: VirtualMachineSpec,
  selector: string,
  current: string,
): string | null {
  return selectTargetNode(observeNodes(view, keys), {
    selector,
    nodeLimit: spec.nodeLimit.join(","),
    currentNode: current,
    defaultSelector: DEFAULT_SELECTOR,
  });
}

/** The node a new domain is defined on: spec.node, else the selector's choice. */
export function placeNew(view: KeyView, keys: PvcKeys, spec: VirtualMachineSpec): string | Problem {
  if (spec.node !== undefined) {
    if (nodeExists(view, keys, spec.node)) return spec.node;
    return { reason: "NodeNotFound", message: `node ${spec.node} is not a PVC node` };
  }
  const node = selectNode(view, keys, spec, selectorOf(spec), "");
  if (node !== null) return node;
  const limit = spec.nodeLimit.length > 0 ? ` within its node limit (${spec.nodeLimit.join(", ")})` : "";
  return {
    reason: "NoNodeAvailable",
    message: `no node can take the VM: none is in daemon state run and domain state ready${limit}`,
  };
}
