/**
 * How many copies of an object the cluster can place apart, for a pool's CRUSH rule: the number
 * of failure domains (the rule's `chooseleaf … type host`, or `osd` on a one-node cluster) under
 * the rule's root that hold at least one OSD that is in (reweight > 0) with CRUSH weight.
 *
 * A pool asking for more copies than that never gets complete placement groups; asking for a
 * min_size above it gets placement groups that never become active, and every I/O to the pool
 * hangs (measured: `rbd pool init` on a size-3 min-2 pool with one OSD waits forever, and the
 * cluster goes HEALTH_WARN "pgs inactive"). Down OSDs still count: they are expected back, and a
 * pool is not undersized because of an outage.
 *
 * Only simple rules are judged (one take, one choose step, as Ceph's replicated_rule and PVC's
 * rules): for anything else the answer is "unknown" and nothing is refused.
 */
import type { CrushRule, OsdTree, OsdTreeNode } from "./types.ts";

export interface Placement {
  /** The bucket type copies are spread over, e.g. `host` or `osd`. */
  failureDomain: string;
  /** Failure domains under the rule's root that hold an OSD that is in. */
  domains: number;
  /** OSDs under the rule's root that are in. */
  osdsIn: number;
}

/** The rule a pool uses: its own `crush_rule`, else the lowest-id replicated rule (Ceph's default for new pools). */
export function ruleFor(rules: CrushRule[], crushRule?: number): CrushRule | undefined {
  if (crushRule !== undefined) return rules.find((r) => r.id === crushRule);
  return rules.filter((r) => r.type === 1).sort((a, b) => a.id - b.id)[0];
}

export function placement(tree: OsdTree, rule: CrushRule): Placement | undefined {
  const takes = rule.steps.filter((s) => s.op === "take");
  const chooses = rule.steps.filter((s) => s.op.startsWith("choose"));
  if (takes.length !== 1 || chooses.length !== 1 || !takes[0].itemName || !chooses[0].type) return undefined;
  // `default~ssd` is the shadow tree of device class ssd: the bucket `default`, OSDs of class ssd.
  const [rootName, deviceClass] = takes[0].itemName.split("~");
  const failureDomain = chooses[0].type;
  const byId = new Map(tree.nodes.map((n) => [n.id, n]));
  const root = tree.nodes.find((n) => n.name === rootName && n.id < 0);
  if (!root) return undefined;

  const usable = (n: OsdTreeNode) =>
    n.type === "osd" &&
    (n.reweight ?? 0) > 0 &&
    (n.crushWeight ?? 0) > 0 &&
    (deviceClass === undefined || n.deviceClass === deviceClass);
  /** The usable OSDs at or below a node. */
  const osdsUnder = (n: OsdTreeNode, seen = new Set<number>()): number => {
    if (seen.has(n.id)) return 0; // a malformed tree must not loop
    seen.add(n.id);
    if (n.type === "osd") return usable(n) ? 1 : 0;
    let count = 0;
    for (const c of n.children) {
      const child = byId.get(c);
      if (child) count += osdsUnder(child, seen);
    }
    return count;
  };
  /** The nodes of the failure domain's type at or below a node. */
  const domainsUnder = (n: OsdTreeNode, seen = new Set<number>()): OsdTreeNode[] => {
    if (seen.has(n.id)) return [];
    seen.add(n.id);
    if (n.type === failureDomain) return [n];
    return n.children.flatMap((c) => {
      const child = byId.get(c);
      return child ? domainsUnder(child, seen) : [];
    });
  };
  return {
    failureDomain,
    domains: domainsUnder(root).filter((d) => osdsUnder(d) > 0).length,
    osdsIn: osdsUnder(root),
  };
}

/**
 * Why the pool cannot be served as asked, or undefined when it can (or when it cannot be told).
 * Only min_size above the domains is a refusal: with copies above them but min_size within, the
 * pool works, degraded (`refuse` is false and the message says so).
 */
export function undersized(
  pool: string,
  copies: number,
  minCopies: number,
  p: Placement | undefined,
): { refuse: boolean; message: string } | undefined {
  if (!p || copies <= p.domains) return undefined;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const where =
    p.failureDomain === "osd"
      ? `${plural(p.domains, "OSD")} in`
      : `${plural(p.domains, p.failureDomain)} with an OSD in (${plural(p.osdsIn, "OSD")} in; its CRUSH rule puts each copy on another ${p.failureDomain})`;
  if (minCopies > p.domains) {
    return {
      refuse: true,
      message: `pool ${pool} wants ${copies} copies (at least ${minCopies} to serve I/O) but the cluster has ${where}: its placement groups could never become active, so it is not created or changed; lower spec.replication to at most ${p.domains} (copies and minCopies), or add OSDs`,
    };
  }
  return {
    refuse: false,
    message: `degraded: ${copies} copies wanted but the cluster has ${where}; I/O works with ${minCopies}`,
  };
}
