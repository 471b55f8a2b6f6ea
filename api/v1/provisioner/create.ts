/**
 * /provisioner/create and /provisioner/status/<task-id>: PVC v0.6 queued a Celery task; here
 * create makes a VirtualMachine with spec.profile, whose controller provisions it, and the task id
 * is the VM's metadata.uid. Status reads the VM's status.provisioning (found by uid through the
 * informer's shared index, not a scan) in v0.6's shape {state, current, total, status}; an unknown
 * id is 404 (v0.6 said PENDING for any id). Values: name, profile, define_vm, start_vm (true unless
 * false) and repeated `arg=name=value` for the script over the profile's arguments.
 */
import type { VirtualMachine } from "../../../src/resources/specs.ts";
import { lookUp } from "../../../src/store/indexer.ts";
import type { Informer } from "../../../src/store/informer.ts";
import { badRequest, type FacadeHandler, notFound, validationMessage } from "../facade.ts";
import { getValue, readValues } from "../values.ts";
import { booleanValue, nameOf, objectOf, q } from "./common.ts";
import { argumentsOf } from "./profile.ts";

/** The task id of a VM provisioned from a profile: its uid (declared once: the index is shared). */
const taskIds = (vm: VirtualMachine) =>
  vm.spec.profile !== undefined && vm.metadata.uid ? [vm.metadata.uid] : [];

/** Waits (briefly, bounded) until this replica's informer has the new VM, so that a status asked
 * right after the 202 finds it. */
async function seen(informer: Informer<VirtualMachine>, name: string, uid: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (informer.get(name)?.metadata.uid !== uid && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
}

export const STATUS_PATH = "/api/v1/provisioner/status";

export const createVm: FacadeHandler = async (deps, request, reply) => {
  const v = readValues(request);
  const name = getValue(v, "name");
  if (!name) return badRequest(reply, "A VM name must be specified.");
  const profile = nameOf(v, "profile");
  if (!profile) return badRequest(reply, "A VM profile must be specified.");
  const define = booleanValue(v, "define_vm");
  const start = booleanValue(v, "start_vm");
  const args = argumentsOf(v);
  for (const bad of [define, start, args]) if (typeof bad === "string") return badRequest(reply, bad);
  if (
    !deps.informer("ProvisionerProfile").get(profile) &&
    !(await deps.store.tryGet("ProvisionerProfile", profile))
  )
    return badRequest(reply, `The profile ${q(profile)} does not exist.`);
  if (await deps.store.tryGet("VirtualMachine", name))
    return badRequest(reply, `A VM with the name ${q(name)} already exists in the cluster.`);
  const provision: Record<string, unknown> = {};
  if (define === false) provision.define = false;
  if (start === false) provision.start = false;
  if (typeof args !== "string" && Object.keys(args).length > 0) provision.arguments = args;
  let id: string;
  try {
    const spec = { profile, ...(Object.keys(provision).length > 0 ? { provision } : {}) };
    id = (await deps.store.create(objectOf("VirtualMachine", name, spec))).metadata.uid ?? "";
  } catch (err) {
    const message = validationMessage(err);
    if (message) return badRequest(reply, message);
    throw err;
  }
  await seen(deps.informer("VirtualMachine"), name, id);
  return reply.code(202).header("Location", `${STATUS_PATH}/${id}`).send({ task_id: id });
};

/** PVC's words for a finished task (its create_vm's return value). */
function successText(vm: VirtualMachine): string {
  const what =
    vm.spec.provision?.define === false
      ? "provisioned"
      : vm.spec.provision?.start === false
        ? "provisioned and defined"
        : "provisioned and started";
  return `VM ${q(vm.metadata.name)} with profile ${q(vm.spec.profile)} has been ${what} successfully`;
}

export const taskStatus: FacadeHandler<{ task: string }> = async (deps, request, reply) => {
  const id = request.params.task;
  const informer = deps.informer("VirtualMachine");
  const vm = lookUp(informer, taskIds, id)[0];
  if (!vm) return notFound(reply, `No provisioning task with ID ${q(id)}.`);
  const p = vm.status?.provisioning;
  if (!p || p.taskId !== id || p.state === "PENDING")
    return reply.send({ state: "PENDING", current: 0, total: 1, status: "Pending..." });
  if (p.state === "FAILURE")
    return reply.send({
      state: "FAILURE",
      current: 1,
      total: 1,
      status: `${p.phase}: ${p.error ?? p.message}`,
    });
  if (p.state === "SUCCESS")
    return reply.send({ state: "SUCCESS", current: p.total, total: p.total, status: successText(vm) });
  return reply.send({ state: "RUNNING", current: p.current, total: p.total, status: p.message });
};
