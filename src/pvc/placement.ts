/**
 * Target node selection, as PVC does it (common.findTargetNode at de8c7975): candidates are the
 * nodes in `daemonstate=run` and `domainstate=ready`, inside the VM's node_limit, other than the
 * VM's current node; the VM's node_selector picks among them. PVC's client runs it to place a VM it
 * defines or migrates, its node daemon to pick where a flush sends each VM: so both the
 * VirtualMachine controller and the hollow nodes (src/sim/) use this one module.
 *
 * Where we differ from v0.6, and why (the manual says what it meant): a `load` selector reads
 * `cpuload` (v0.6 read a `load` key that does not exist and never found a node); node_limit names
 * that are no node are ignored, and a limit of only such names is no limit (the manual: "invalid
 * nodes are ignored"; v0.6 then found no node at all).
 */

/** PVC's `migration_target_selector` out of the box: the cluster default for an unset node_selector. */
export const DEFAULT_SELECTOR: NodeSelector = "mem";

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

/** The `/nodes/<name>/…` keys a candidate is read from. */
export const CANDIDATE_KEYS = [
  "daemonstate",
  "domainstate",
  "memused",
  "memfree",
  "memalloc",
  "vcpualloc",
  "cpuload",
  "domainscount",
] as const;

function num(value: string | undefined): number {
  const n = Number.parseFloat(value ?? "");
  return Number.isFinite(n) ? n : 0;
}

/** A candidate from its keys' values (a missing or unparsable figure reads as 0, as PVC's int() would fail). */
export function candidateOf(
  name: string,
  value: (key: (typeof CANDIDATE_KEYS)[number]) => string | undefined,
): CandidateNode {
  return {
    name,
    daemonState: value("daemonstate") ?? "",
    domainState: value("domainstate") ?? "",
    memUsed: num(value("memused")),
    memFree: num(value("memfree")),
    memAlloc: num(value("memalloc")),
    vcpuAlloc: num(value("vcpualloc")),
    cpuLoad: num(value("cpuload")),
    domainsCount: num(value("domainscount")),
  };
}

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
  // Names that are no node are ignored; a limit left empty by that is no limit.
  const limit = parseNodeLimit(req.nodeLimit).filter((n) => nodes.some((c) => c.name === n));
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
  const selector = raw === "" || raw === "None" ? (req.defaultSelector ?? DEFAULT_SELECTOR) : raw;
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
