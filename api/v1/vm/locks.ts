/**
 * /vm/<vm>/locks: the RBD locks of the VM's volumes, listed (the manual: "return the list of RBD
 * locks for the VM") and flushed (PVC's flush_locks, refused while the VM may be using them), through
 * CephClusterOps (src/ceph/locks.ts says why not through PVC's /cmd/domains).
 */
import { FAILURE, type FacadeHandler, fail, notFound, ok, respond } from "../facade.ts";
import { findVm, notFoundMessage, q } from "./common.ts";
import { volumesOf } from "./shape.ts";

type ByRef = { vm: string };

export const getVmLocks: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const vm = findVm(deps, request.params.vm);
  if (!vm) return notFound(reply, "VM not found.");
  const outcome = await deps.cephOps.volumeLocks(volumesOf(vm));
  if (!outcome.ok) {
    return reply
      .code(FAILURE)
      .send({ message: `ERROR: Failed to list the locks of VM ${q(vm.metadata.name)}: ${outcome.why}` });
  }
  return outcome.locks;
};

export const flushVmLocks: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const ref = request.params.vm;
  const vm = findVm(deps, ref);
  if (!vm) return respond(reply, fail(notFoundMessage(ref)));
  const name = vm.metadata.name;
  const state = vm.status?.state;
  if (state !== "stop" && state !== "disable" && state !== "fail") {
    return respond(
      reply,
      fail(`ERROR: VM ${q(name)} is not in stopped state; flushing RBD locks on a running VM is dangerous.`),
    );
  }
  const outcome = await deps.cephOps.flushLocks(volumesOf(vm));
  if (!outcome.ok)
    return respond(reply, fail(`ERROR: Failed to flush locks on VM ${q(name)}: ${outcome.why}`));
  return respond(reply, ok(`Flushed locks on VM ${q(name)}.`));
};
