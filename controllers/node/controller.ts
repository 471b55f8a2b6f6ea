/**
 * The Node controller: one Node object per PVC node, and PVC's node requests carried out.
 *
 * The story of one reconcile (key = node name): observe (`/nodes/<name>` from the mirror of
 * `/nodes`, the object from the informer) → register or unregister (node daemons register their
 * nodes under /nodes and nobody else may create a Node: this controller makes the object on their
 * behalf, annotated `registered-by: node-controller`, as kubelets register theirs, and removes it
 * when `/nodes/<name>` goes) → carry out a new generation's request (request.ts: coordinator
 * handover, flush, ready; once per generation, in one multi with the status recording it) →
 * report (every figure the daemon writes, the request's progress, Ready).
 *
 * Ready is PVC's idea of a live node: daemon state `run` and a keepalive at most 30 s old
 * (observe.ts). A node that stops writing keepalives changes nothing in ZooKeeper, so nothing
 * would wake us: each reconcile of a live node returns `requeueAfter` = when its keepalive turns
 * stale, and every new keepalive (a change under /nodes) reschedules it. A timer, not a poll.
 *
 * Nothing under /nodes is ever repaired: those keys are the daemon's. The controller writes only
 * what a request asks (`/primary_node`, `domainstate`), as PVC's CLI does.
 */
import { ErrorCodes, isPvcError } from "../../src/errors.ts";
import { REGISTERED_BY_ANNOTATION } from "../../src/resources/annotations.ts";
import type { PvcNode } from "../../src/resources/specs.ts";
import type { NodeRequest, NodeStatus } from "../../src/resources/statuses.ts";
import { API_GROUP_VERSION } from "../../src/resources/types.ts";
import { type ConditionPatch, ready, reconciling, stalled } from "../../src/runtime/conditions.ts";
import type { Controller, ReconcileResult } from "../../src/runtime/controller.ts";
import { TerminalError } from "../../src/runtime/errors.ts";
import type { Mirror } from "../../src/runtime/mirror.ts";
import { specOrMetadataChanged } from "../../src/runtime/predicates.ts";
import { nextStatus, writeStatusIfChanged } from "../../src/runtime/status.ts";
import type { Informer } from "../../src/store/informer.ts";
import type { TreeCache } from "../../src/zk/tree-cache.ts";
import { kindController } from "../build.ts";
import type { ControllerContext, KindController } from "../types.ts";
import { heartbeatOnly, liveness, type NodeFigures, observeNode } from "./observe.ts";
import { planRequest, progressOf, requestOf } from "./request.ts";

/** The value of the registered-by annotation on the Node objects this controller makes. */
export const REGISTERED_BY = "node-controller";

/** A little after the keepalive turns stale, so that the recheck finds it stale. */
/** How often a handover under way is looked at (its writes may be overwritten; see #keepHandover). */
const HANDOVER_RECHECK_MS = 1000;
const STALE_MARGIN_MS = 100;

/** Whether the object's current generation has a request not yet carried out. */
function newRequest(node: PvcNode): boolean {
  const generation = node.metadata.generation ?? 1;
  return (node.status?.lastRequest?.generation ?? 0) < generation;
}

/** "ready" → the condition message's words for the node's states. */
function summary(name: string, fig: NodeFigures): string {
  const parts = [`daemon ${fig.daemonState}`, `${fig.daemonMode} ${fig.coordinatorState}`];
  return `${name} is up (${parts.join(", ")}, domains ${fig.domainState})`;
}

/** A request carried out that the cluster has changed since (said, never undone). */
function notHeld(node: PvcNode, fig: NodeFigures): string[] {
  const req = node.status?.lastRequest;
  const out: string[] = [];
  if (
    req?.coordinatorState &&
    fig.daemonMode === "coordinator" &&
    fig.coordinatorState !== req.coordinatorState
  )
    out.push(
      `coordinatorState ${req.coordinatorState} was carried out; the node is ${fig.coordinatorState} now`,
    );
  const domainNow = fig.domainState === "flushed" ? "flush" : fig.domainState;
  if (req?.domainState && domainNow !== req.domainState && fig.domainState !== "unflush")
    out.push(`domainState ${req.domainState} was carried out; the node is ${fig.domainState} now`);
  return out;
}

/**
 * One Node controller's state and steps. Built by `nodeController.create`; every method is one
 * step of the story in the header.
 */
class NodeReconciler {
  readonly #ctx: ControllerContext;
  readonly #informer: Informer<PvcNode>;
  readonly mirror: Mirror;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#informer = ctx.informer("Node");
    this.mirror = ctx.mirrors.of(ctx.pvc.nodes(), {
      onError: (err) => ctx.logger.warn({ err }, "node mirror: a read failed; reloading"),
    });
  }

  get informer(): Informer<PvcNode> {
    return this.#informer;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const cache = await this.mirror.ready();
    const fig = observeNode(cache, this.#ctx.pvc, name);
    let node = this.#informer.get(name);
    if (!fig) {
      if (node) await this.#unregister(name);
      return undefined;
    }
    node ??= await this.#register(name);
    if (newRequest(node)) {
      const carried = await this.#carryOut(cache, node, fig);
      if (!carried) return undefined; // refused: Stalled with PVC's reason, until the node or the spec changes
      node = carried;
    }
    return this.#report(node, observeNode(cache, this.#ctx.pvc, name) ?? fig);
  }

  /** Makes the Node object of a node the daemons registered. */
  async #register(name: string): Promise<PvcNode> {
    const { store, logger, pvc } = this.#ctx;
    try {
      await store.create({
        apiVersion: API_GROUP_VERSION,
        kind: "Node",
        metadata: { name, annotations: { [REGISTERED_BY_ANNOTATION]: REGISTERED_BY } },
        spec: {},
      });
      logger.info({ node: name }, "node registered: Node object created");
    } catch (err) {
      if (isPvcError(err, ErrorCodes.VALIDATION_FAILED)) {
        // Retrying cannot help: PVC accepted a name our schema does not (a host name is required).
        throw new TerminalError(`${pvc.node(name)} cannot be a Node object: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (!isPvcError(err, ErrorCodes.ALREADY_EXISTS)) throw err;
    }
    const node = this.#informer.get(name) ?? (await store.tryGet("Node", name));
    if (!node) throw new Error(`Node ${name} vanished right after it was registered`);
    void this.#ctx.eventsOf(node).normal("Registered", `Registered from ${pvc.node(name)}`);
    return node;
  }

  /** `/nodes/<name>` is gone: so is its Node object. */
  async #unregister(name: string): Promise<void> {
    try {
      await this.#ctx.store.delete("Node", name);
      this.#ctx.logger.info({ node: name }, "node gone from PVC: Node object deleted");
    } catch (err) {
      if (!isPvcError(err, ErrorCodes.NOT_FOUND)) throw err;
    }
  }

  /**
   * Carries out the current generation's request: PVC's writes and the status recording the
   * request, in one multi (so a request is never carried out twice, nor recorded without its
   * writes). Refused (PVC's checks): Stalled with PVC's words, nothing written; returns undefined.
   */
  async #carryOut(cache: TreeCache, node: PvcNode, fig: NodeFigures): Promise<PvcNode | undefined> {
    const { pvc, store } = this.#ctx;
    const name = node.metadata.name;
    const generation = node.metadata.generation ?? 1;
    const plan = planRequest(pvc, name, node.spec, fig);
    if (plan.refusal) {
      const { reason, message } = plan.refusal;
      const next = nextStatus<NodeStatus>(node, { ...fig }, stalled(reason, message, generation));
      await writeStatusIfChanged(store, node, next);
      return undefined;
    }
    const request = requestOf(node.spec, generation);
    // Nothing to write (already there, or nothing asked): the report records the request.
    if (plan.ops.length === 0) return { ...node, status: { ...node.status, lastRequest: request } };
    const status = nextStatus<NodeStatus>(
      node,
      { ...fig, lastRequest: request },
      reconciling("Requested", `carrying out generation ${generation}'s request`, generation),
    );
    await cache.commit([...plan.ops, store.statusWriteOp("Node", name, status)]);
    void this.#ctx.eventsOf(node).normal("Requested", `Set ${plan.writes.join(", ")}`);
    return { ...node, status };
  }

  /** Writes what the node says and where its request stands; rechecks when its keepalive turns stale. */
  async #report(node: PvcNode, fig: NodeFigures): Promise<ReconcileResult> {
    const name = node.metadata.name;
    const generation = node.metadata.generation ?? 1;
    const req = node.status?.lastRequest;
    const progress = req && !req.done ? progressOf(name, req, fig) : { done: true as const };
    const lastRequest: NodeRequest | undefined = req && { ...req, done: progress.done };
    const alive = liveness(fig, Date.now());
    let conditions: ConditionPatch;
    if (!alive.alive) {
      conditions = (alive.starting ? reconciling : stalled)(alive.reason, alive.message, generation);
    } else if (!progress.done) {
      conditions = reconciling(progress.reason, progress.message, generation);
    } else {
      const notes = notHeld({ ...node, status: { ...node.status, lastRequest } }, fig);
      const message = [summary(name, fig), ...notes].join("; ");
      conditions = ready("NodeReady", message, generation);
    }
    const next = nextStatus<NodeStatus>(node, { ...fig, lastRequest }, conditions);
    if (!heartbeatOnly(node.status, next, Date.now()))
      await writeStatusIfChanged(this.#ctx.store, node, next);
    this.#tell(node, next, progress);
    if (!progress.done && progress.reason === "HandingOver" && req?.coordinatorState) {
      await this.#keepHandover(node, req.coordinatorState);
      return { requeueAfter: HANDOVER_RECHECK_MS };
    }
    return alive.alive ? { requeueAfter: alive.staleInMs + STALE_MARGIN_MS } : undefined;
  }

  /**
   * A handover under way whose /primary_node write was overwritten is written again. The primary's
   * daemon re-asserts /primary_node at each keepalive (as PVC's does), so a write landing at the
   * same moment can be lost, and nothing else would show it: the node just stays where it was.
   * Only while this generation's request is not reached; what happens after it is never fought.
   */
  async #keepHandover(node: PvcNode, want: "primary" | "secondary"): Promise<void> {
    const { zk, pvc } = this.#ctx;
    const name = node.metadata.name;
    const current = (await zk.tryGet(pvc.primaryNode()))?.data;
    const lost = want === "primary" ? current !== name : current === name;
    if (!lost) return;
    const value = want === "primary" ? name : "none";
    await zk.set(pvc.primaryNode(), value);
    void this.#ctx
      .eventsOf(node)
      .normal("Requested", `Set ${pvc.primaryNode()}=${value} again (overwritten)`);
  }

  /** Events for what changed: a request reached, the node lost or back. */
  #tell(node: PvcNode, next: NodeStatus, progress: ReturnType<typeof progressOf>): void {
    const events = this.#ctx.eventsOf(node);
    const before = node.status?.conditions?.find((c) => c.type === "Ready");
    const after = next.conditions?.find((c) => c.type === "Ready");
    if (node.status?.lastRequest && !node.status.lastRequest.done && progress.done) {
      const how = progress.superseded ? `superseded: ${progress.superseded}` : "reached";
      void events.normal("RequestDone", `Generation ${node.status.lastRequest.generation}'s request ${how}`);
    }
    if (before?.status === "True" && after?.status !== "True")
      void events.warning("NodeNotReady", after?.message ?? "not ready");
    else if (before && before.status !== "True" && after?.status === "True")
      void events.normal("NodeReady", after.message);
  }

  /** A change under /nodes/<name> wakes that node's key; our own writes were seen to already. */
  wokenBy(path: string, own: boolean): string[] {
    if (own) return [];
    const prefix = `${this.#ctx.pvc.nodes()}/`;
    if (!path.startsWith(prefix)) return [];
    const name = path.slice(prefix.length).split("/")[0];
    return name ? [name] : [];
  }

  /** Every node PVC has and every Node object (one may be left over from a node now gone). */
  async keys(): Promise<string[]> {
    const cache = await this.mirror.ready();
    const names = new Set(cache.children(this.#ctx.pvc.nodes()));
    for (const n of this.#informer.list()) names.add(n.metadata.name);
    return [...names];
  }
}

export const nodeController: KindController = {
  kind: "Node",
  create(ctx: ControllerContext): Controller {
    const r = new NodeReconciler(ctx);
    const controller = kindController(ctx, "Node", (key) => r.reconcile(key));
    // Our status writes come back as status-only updates: nothing to do for them. A deleted
    // object whose node is still there is registered again.
    controller.watchInformer(r.informer, { updateIf: specOrMetadataChanged });
    controller.useMirror(r.mirror, (path, own) => r.wokenBy(path, own));
    controller.resync(() => r.keys());
    return controller;
  },
};
