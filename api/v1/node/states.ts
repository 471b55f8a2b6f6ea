/**
 * POST /node/<node>/coordinator-state and /domain-state: PVC v0.6's `pvc node primary|secondary|
 * flush|ready` as a change of the Node's spec (its request), waited on until the node gets there.
 *
 * v0.6's checks come first, with its messages (its `"` turned into `'`), so that a refused request
 * stores nothing: an unknown node; for coordinator state a hypervisor or a daemon not running
 * (src/pvc/node-requests.ts), and a node already in that state ("re-setting has no effect"). A
 * flush answers once the node is flushed, a ready once it is ready (v0.6's `--wait` messages).
 *
 * A request is carried out once per generation (controllers/node/request.ts). Asking again what
 * the spec already says, while the node is elsewhere (the cluster moved the primary since, or a
 * flush did not complete), must be a new request, as PVC's re-set is: the field is cleared and
 * set again, two generations, of which the controller carries out the last.
 */
import { coordinatorRefusal } from "../../../src/pvc/node-requests.ts";
import type { NodeSpec, PvcNode } from "../../../src/resources/specs.ts";
import { waitForConvergence } from "../converge.ts";
import { attempt, type FacadeDeps, type FacadeHandler, fail, respond, type Verdict } from "../facade.ts";
import { getValue, readValues } from "../values.ts";
import { findNode } from "./nodes.ts";

type ByNode = { node: string };

/** PVC quotes with `"`; v0.6's API turned them into `'` in every message. */
const q = (value: unknown) => `'${String(value)}'`;

const noSuchNode = (name: string) => `ERROR: No node named ${q(name)} is present in the cluster.`;

/**
 * Sets one spec field of the node and waits for the controller's verdict on it. When the spec
 * already asks for it but the node is not there, the field is cleared first, so that the request
 * is a new generation (`there`: the node is where the request leads, a repeat changes nothing).
 */
async function ask<F extends keyof NodeSpec>(
  deps: FacadeDeps,
  node: PvcNode,
  change: { field: F; value: NonNullable<NodeSpec[F]>; there: boolean },
  success: string,
): Promise<Verdict> {
  const { field, value, there } = change;
  return attempt(async () => {
    const name = node.metadata.name;
    if (node.spec[field] === value && !there)
      await deps.store.patch("Node", name, { spec: { [field]: null } });
    const written = await deps.store.patch("Node", name, { spec: { [field]: value } });
    return waitForConvergence(deps, written, { success });
  });
}

/** The state asked for, or v0.6-style words for a missing or unknown one. */
function wanted<T extends string>(
  values: ReturnType<typeof readValues>,
  key: string,
  allowed: readonly T[],
): T | Verdict {
  const value = getValue(values, key);
  if (value === undefined) return fail(`ERROR: A ${key} must be specified.`);
  if (!(allowed as readonly string[]).includes(value)) {
    return fail(`ERROR: ${key} must be one of: ${allowed.join(", ")} (got ${q(value)}).`);
  }
  return value as T;
}

const isVerdict = (v: unknown): v is Verdict => typeof v === "object" && v !== null && "ok" in v;

export const setCoordinatorState: FacadeHandler<ByNode> = async (deps, request, reply) => {
  const name = request.params.node;
  const state = wanted(readValues(request), "coordinator-state", ["primary", "secondary"] as const);
  if (isVerdict(state)) return respond(reply, state);
  const node = findNode(deps, name);
  if (!node) return respond(reply, fail(noSuchNode(name)));
  const s = node.status ?? {};
  switch (coordinatorRefusal(s)) {
    case "NotCoordinator":
      return respond(reply, fail(`ERROR: Cannot change router mode on non-coordinator node ${q(name)}`));
    case "NotActive":
      return respond(reply, fail(`ERROR: Node ${q(name)} is not active`));
  }
  // Which coordinator is primary is /primary_node's to say: a node's own router state lags a
  // handover (takeover, relinquish) and the Node's status lags the node.
  if (((await deps.pvc.primaryNode()) === name) === (state === "primary")) {
    return respond(reply, fail(`Node ${q(name)} is already in ${state} router mode.`));
  }
  const success = `Setting node ${name} in ${state} router mode.`;
  const change = { field: "coordinatorState" as const, value: state, there: false };
  return respond(reply, await ask(deps, node, change, success));
};

export const setDomainState: FacadeHandler<ByNode> = async (deps, request, reply) => {
  const name = request.params.node;
  const state = wanted(readValues(request), "domain-state", ["flush", "ready"] as const);
  if (isVerdict(state)) return respond(reply, state);
  const node = findNode(deps, name);
  if (!node) return respond(reply, fail(noSuchNode(name)));
  const success =
    state === "flush"
      ? `Flushed hypervisor ${name} of running VMs.`
      : `Restored hypervisor ${name} to active service.`;
  const there = node.status?.domainState === (state === "flush" ? "flushed" : "ready");
  return respond(reply, await ask(deps, node, { field: "domainState", value: state, there }, success));
};
