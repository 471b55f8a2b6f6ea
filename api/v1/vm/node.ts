/**
 * /vm/<vm>/node: where the VM runs, and PVC's migrate (spec.migration), move (`permanent`: a new
 * home, spec.node) and unmigrate (spec.migration removed), with v0.6's checks and messages. The
 * target is chosen here when none (or none valid: the manual) is named, with the placement the
 * controller uses (src/pvc/placement.ts) over the nodes' figures, so that the answer can name it.
 */
import { DEFAULT_SELECTOR, selectTargetNode } from "../../../src/pvc/placement.ts";
import type { VirtualMachine } from "../../../src/resources/specs.ts";
import { type FacadeDeps, type FacadeHandler, fail, notFound, respond, type Verdict } from "../facade.ts";
import { getValue, hasFlag, readValues, type Values } from "../values.ts";
import { findVm, notFoundMessage, patchAndWait, q, selectorProblem } from "./common.ts";

type ByRef = { vm: string };

export const getVmNode: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const vm = findVm(deps, request.params.vm);
  if (!vm) return notFound(reply, "VM not found.");
  return { name: vm.metadata.name, node: vm.status?.node ?? "", last_node: vm.status?.lastNode ?? "" };
};

/** The node to migrate or move to: the one named when it is valid, else the selector's choice; or v0.6's message. */
async function target(deps: FacadeDeps, vm: VirtualMachine, v: Values): Promise<string | Verdict> {
  const name = vm.metadata.name;
  const current = vm.status?.node ?? "";
  const limit = vm.spec.nodeLimit;
  const node = getValue(v, "node");
  if (node !== undefined && (await deps.pvc.nodeExists(node))) {
    if (limit.length > 0 && !limit.includes(node))
      return fail(`ERROR: Specified node ${q(node)} is not in the allowed list of nodes for VM ${q(name)}.`);
    if (node === current) return fail(`ERROR: VM ${q(name)} is already running on node ${q(current)}.`);
    return node;
  }
  const selector = getValue(v, "selector");
  const bad = selectorProblem(selector);
  if (bad) return fail(bad);
  const chosen = selectTargetNode(await deps.pvc.nodeCandidates(), {
    selector: selector ?? vm.spec.nodeSelector ?? "",
    nodeLimit: limit.join(","),
    currentNode: current,
    defaultSelector: DEFAULT_SELECTOR,
  });
  if (chosen === null) return fail(`ERROR: Could not find a valid migration target for VM ${q(name)}.`);
  return chosen;
}

async function migrate(deps: FacadeDeps, vm: VirtualMachine, v: Values): Promise<Verdict> {
  const name = vm.metadata.name;
  const permanent = hasFlag(v, "permanent");
  const lastNode = vm.status?.lastNode ?? "";
  if (!permanent && lastNode !== "" && !hasFlag(v, "force"))
    return fail(`ERROR: VM ${q(name)} has been previously migrated.`);
  const to = await target(deps, vm, v);
  if (typeof to !== "string") return to;
  if (permanent) {
    return patchAndWait(
      deps,
      vm,
      { node: to, migration: null },
      `Permanently migrating VM ${q(name)} to node ${q(to)}.`,
    );
  }
  const success = `Migrating VM ${q(name)} to node ${q(to)}.`;
  // Forced back to where it came from: that is an unmigrate (a migration "to home" names no place to leave).
  if (lastNode !== "" && to === lastNode) return unmigrate(deps, vm, success);
  return patchAndWait(deps, vm, { migration: { node: to } }, success);
}

/** Removes spec.migration; a VM migrated by a node (a flush) has none: it is set to where the VM is first. */
async function unmigrate(deps: FacadeDeps, vm: VirtualMachine, success: string): Promise<Verdict> {
  if (vm.spec.migration) return patchAndWait(deps, vm, { migration: null }, success);
  const step = await patchAndWait(deps, vm, { migration: { node: vm.status?.node } }, success);
  if (!step.ok) return step;
  return patchAndWait(deps, findVm(deps, vm.metadata.name) ?? vm, { migration: null }, success);
}

export const setVmNode: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const ref = request.params.vm;
  const v = readValues(request);
  const action = getValue(v, "action");
  if (action === undefined || action === "")
    return respond(reply, fail("ERROR: An action must be specified."));
  if (action !== "migrate" && action !== "unmigrate")
    return respond(reply, fail(`ERROR: Action ${q(action)} is not valid: use 'migrate' or 'unmigrate'.`));
  const vm = findVm(deps, ref);
  if (!vm) return respond(reply, fail(notFoundMessage(ref)));
  if (action === "migrate") return respond(reply, await migrate(deps, vm, v));
  const lastNode = vm.status?.lastNode ?? "";
  if (lastNode === "")
    return respond(reply, fail(`ERROR: VM ${q(vm.metadata.name)} has not been previously migrated.`));
  return respond(
    reply,
    await unmigrate(deps, vm, `Unmigrating VM ${q(vm.metadata.name)} back to node ${q(lastNode)}.`),
  );
};
