/**
 * A Node's spec is a request, as PVC's `pvc node primary|secondary|flush|ready` are: the
 * controller carries out each generation's request once, then observes. What the cluster does
 * afterwards (a failover, a flush by PVC's own CLI, another node made primary) is never undone:
 * every key under /nodes is the node daemon's, and undoing a failover because an old spec said
 * "primary" would fight PVC's own recovery. A new request is a new generation (the facade's
 * repeated POST makes one; see api/v1/node/states.ts).
 *
 * How PVC carries them out (client-common/node.py, de8c7975), which this follows:
 * - primary: coordinators only, daemon state `run`; a node already primary is left alone;
 *   otherwise `/primary_node` = the node, and the coordinators' daemons hand over.
 * - secondary: the same checks; a node that is primary sets `/primary_node` = `none`, and the
 *   other coordinators contend for it.
 * - flush: `domainstate` = `flush` (the node migrates its VMs away, then says `flushed`);
 *   ready: `domainstate` = `unflush` (VMs come back, then `ready`). Re-setting one that did not
 *   complete writes it again, a fresh change (the manual).
 * Pure: the controller commits what `planRequest` says.
 */
import type { PvcKeys } from "../../src/pvc/keys.ts";
import { type CoordinatorRefusal, coordinatorRefusal } from "../../src/pvc/node-requests.ts";
import type { NodeSpec } from "../../src/resources/specs.ts";
import type { NodeRequest } from "../../src/resources/statuses.ts";
import type { ZkOp } from "../../src/zk/client.ts";
import type { NodeFigures } from "./observe.ts";

/** Why a request cannot be carried out now (the Node is Stalled with it; PVC's own words). */
export interface Refusal {
  reason: CoordinatorRefusal;
  message: string;
}

export interface RequestPlan {
  /** PVC writes that carry the request out; none when the node is already there. */
  ops: ZkOp[];
  /** What was written, for the event (`domainstate=flush`). */
  writes: string[];
  refusal?: Refusal;
}

/** Why a coordinator request cannot be carried out (PVC's checks and words), if it cannot. */
export function coordinatorRefusalOf(name: string, fig: NodeFigures): Refusal | undefined {
  switch (coordinatorRefusal(fig)) {
    case "NotCoordinator":
      return {
        reason: "NotCoordinator",
        message: `Cannot change router mode on non-coordinator node ${name}`,
      };
    case "NotActive":
      return { reason: "NotActive", message: `Node ${name} is not active` };
    default:
      return undefined;
  }
}

/** The writes a handover needs, or a refusal. */
function coordinatorPlan(
  keys: PvcKeys,
  name: string,
  want: NonNullable<NodeSpec["coordinatorState"]>,
  fig: NodeFigures,
): RequestPlan {
  const isPrimary = fig.coordinatorState === "primary";
  if ((want === "primary") === isPrimary && fig.daemonMode === "coordinator") return { ops: [], writes: [] };
  const refusal = coordinatorRefusalOf(name, fig);
  if (refusal) return { ops: [], writes: [], refusal };
  const value = want === "primary" ? name : "none";
  return {
    ops: [{ op: "set", path: keys.primaryNode(), data: value }],
    writes: [`${keys.primaryNode()}=${value}`],
  };
}

/** The domainstate write a flush or ready needs (none when the node is there already). */
function domainPlan(
  keys: PvcKeys,
  name: string,
  want: NonNullable<NodeSpec["domainState"]>,
  fig: NodeFigures,
): RequestPlan {
  const [done, value] = want === "flush" ? ["flushed", "flush"] : ["ready", "unflush"];
  if (fig.domainState === done) return { ops: [], writes: [] };
  const path = keys.nodeKey(name, "domainstate");
  return { ops: [{ op: "set", path, data: value }], writes: [`${path}=${value}`] };
}

/** What carrying out `spec` on this node takes now. */
export function planRequest(keys: PvcKeys, name: string, spec: NodeSpec, fig: NodeFigures): RequestPlan {
  const parts: RequestPlan[] = [];
  if (spec.coordinatorState) parts.push(coordinatorPlan(keys, name, spec.coordinatorState, fig));
  if (spec.domainState) parts.push(domainPlan(keys, name, spec.domainState, fig));
  const refusal = parts.find((p) => p.refusal)?.refusal;
  if (refusal) return { ops: [], writes: [], refusal };
  return { ops: parts.flatMap((p) => p.ops), writes: parts.flatMap((p) => p.writes) };
}

/** The request of `spec` at `generation`, not yet reached. */
export function requestOf(spec: NodeSpec, generation: number): NodeRequest {
  return {
    generation,
    ...(spec.coordinatorState ? { coordinatorState: spec.coordinatorState } : {}),
    ...(spec.domainState ? { domainState: spec.domainState } : {}),
    done: false,
  };
}

export type Progress =
  | { done: true; superseded?: string }
  | { done: false; reason: "HandingOver" | "Flushing" | "Unflushing"; message: string };

/**
 * Whether the node has reached what `req` asked. A flush that turned into `ready`/`unflush` (or a
 * ready that turned into a flush) after our write was changed by someone else: done, superseded,
 * never fought. A handover has no such tell (a node waiting for it still says secondary): waited on.
 */
export function progressOf(name: string, req: NodeRequest, fig: NodeFigures): Progress {
  if (req.coordinatorState) {
    const want = req.coordinatorState;
    const now = fig.coordinatorState;
    if (now !== want) {
      return {
        done: false,
        reason: "HandingOver",
        message: `waiting for ${name} to become ${want} (routerstate ${now ?? "unknown"})`,
      };
    }
  }
  if (req.domainState) {
    const flushing = req.domainState === "flush";
    const [target, underway] = flushing ? ["flushed", "flush"] : ["ready", "unflush"];
    const now = fig.domainState;
    if (now === underway) {
      return {
        done: false,
        reason: flushing ? "Flushing" : "Unflushing",
        message: flushing
          ? `flushing ${name} of running VMs (domainstate flush)`
          : `restoring ${name} to active service (domainstate unflush)`,
      };
    }
    if (now !== target) {
      return { done: true, superseded: `domainstate is ${now ?? "unknown"}, changed after this request` };
    }
  }
  return { done: true };
}
