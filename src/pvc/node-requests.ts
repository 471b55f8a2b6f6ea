/**
 * PVC's rule for who may change coordinator state (client-common/node.py `primary_node` /
 * `secondary_node`, de8c7975), in one place for the Node controller (which carries requests out)
 * and the /api/v1 facade (which refuses them up front with v0.6's messages). Codes, not text: each
 * side words the refusal its own way.
 */

/** Why a node's coordinator state cannot be changed: not a coordinator, or its daemon not running. */
export type CoordinatorRefusal = "NotCoordinator" | "NotActive";

/** What the rule looks at: the node's daemon mode and daemon state, as its keys say. */
export interface CoordinatorFacts {
  daemonMode?: string;
  daemonState?: string;
}

/** PVC's checks in PVC's order: a hypervisor never, a coordinator only while its daemon runs. */
export function coordinatorRefusal(node: CoordinatorFacts): CoordinatorRefusal | undefined {
  if (node.daemonMode !== "coordinator") return "NotCoordinator";
  if (node.daemonState !== "run") return "NotActive";
  return undefined;
}
