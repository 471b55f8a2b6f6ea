/**
 * Migration target selection, as PVC's node daemon does it for a flush (common.findTargetNode at
 * de8c7975): candidates are the nodes in `daemonstate=run` and `domainstate=ready`, inside the VM's
 * node_limit, other than the VM's current node; the VM's node_selector picks among them.
 */

/** What the selection reads of each node (from `/nodes/<name>/…`). */
export interface CandidateNode {
  name: string;
  daemonState: string;
  domainState: string;
  memUsed: number;
  memFree: number;
  memAlloc: number;
  vcpuAlloc: number;
  cpuLoad: number;
  domainsCount: number;
}

export type NodeSelector = "mem" | "load" | "vcpus" | "vms";
export const NODE_SELECTORS: readonly NodeSelector[] = ["mem", "load", "vcpus", "vms"];

export interface PlacementRequest {
  /** The VM's node_selector; "" or "None" means the cluster default. */
  selector: string;
  /** The VM's node_limit, comma-separated; "" means any node. */
  nodeLimit: string;
  /** The VM's current `node`: never a target. */
  currentNode: string;
  /** PVC's config default (`migration_target_selector`), "mem" out of the box. */
  defaultSelector?: NodeSelector;
}

export function parseNodeLimit(nodeLimit: string): string[] {
  return nodeLimit
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
}

export function eligibleNodes(nodes: readonly CandidateNode[], req: PlacementRequest): CandidateNode[] {
  const limit = parseNodeLimit(req.nodeLimit);
  return nodes
    .filter((n) => limit.length === 0 || limit.includes(n.name))
    .filter((n) => n.name !== req.currentNode)
    .filter((n) => n.daemonState === "run" && n.domainState === "ready")
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // ties go to the first name
}

/** The best of `items` by `score` (higher is better), keeping the first on ties; null if none beats `floor`. */
function best<T>(items: readonly T[], score: (t: T) => number, floor: number): T | null {
  let winner: T | null = null;
  let top = floor;
  for (const item of items) {
    const s = score(item);
    if (s > top) {
      top = s;
      winner = item;
    }
  }
  return winner;
}

/**
 * The target node's name, or null when no node qualifies (the flush then shuts the VM down and
 * marks it for autostart). An unknown selector finds nothing, as in PVC.
 */
export function selectTargetNode(nodes: readonly CandidateNode[], req: PlacementRequest): string | null {
  const raw = req.selector.trim();
  const selector = raw === "" || raw === "None" ? (req.defaultSelector ?? "mem") : raw;
  const candidates = eligibleNodes(nodes, req);
  let chosen: CandidateNode | null = null;
  switch (selector) {
    case "mem":
      // Most memory not yet promised to VMs: (used + free) - allocated; must be positive.
      chosen = best(candidates, (n) => n.memUsed + n.memFree - n.memAlloc, 0);
      break;
    case "vcpus":
      chosen = best(candidates, (n) => -n.vcpuAlloc, -9999);
      break;
    case "vms":
      chosen = best(candidates, (n) => -n.domainsCount, -9999);
      break;
    case "load":
      // PVC 0.6 reads a `load` key that does not exist and never returns a node here (a bug);
      // we do what it meant: the least cpuload.
      chosen = best(candidates, (n) => -n.cpuLoad, -9999);
      break;
    default:
      chosen = null;
  }
  return chosen?.name ?? null;
}
