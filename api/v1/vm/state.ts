/**
 * /vm/<vm>/state: the VM's PVC state, and a change of it as spec.runState. The controller carries a
 * run state out when it changes (it never undoes what the nodes did), so asking again for the run
 * state the spec already has — start a VM that stopped on its own, restart once more — first sets
 * a run state that writes nothing for the VM as it is (a stopped VM "stop", a running one "start"),
 * waits for it, then sets the one asked for.
 */
import type { RunState, VirtualMachine } from "../../../src/resources/specs.ts";
import { type FacadeDeps, type FacadeHandler, fail, notFound, ok, respond, type Verdict } from "../facade.ts";
import { getValue, readValues } from "../values.ts";
import { findVm, notFoundMessage, patchAndWait, q } from "./common.ts";

type ByRef = { vm: string };

const STATES = ["start", "shutdown", "stop", "restart"] as const;
type Asked = (typeof STATES)[number];

/** Whether the VM is already where `asked` would take it (then asking again changes nothing). */
function already(vm: VirtualMachine, asked: Asked): boolean {
  const state = vm.status?.state;
  if (asked === "start") return state === "start" || state === "migrate" || state === "unmigrate";
  if (asked === "stop") return state === "stop";
  if (asked === "shutdown") return state === "shutdown" || state === "stop";
  return false; // a restart always restarts
}

/** Sets spec.runState to `runState` so that the controller carries it out, even when the spec has it already. */
export async function setRunState(
  deps: FacadeDeps,
  vm: VirtualMachine,
  runState: RunState,
  success: string,
): Promise<Verdict> {
  if (vm.spec.runState === runState) {
    // A value that writes nothing for the VM as it is now, then the one asked for (see the header).
    const neutral: RunState = vm.status?.state === "start" ? "start" : "stop";
    const step = await patchAndWait(
      deps,
      vm,
      { runState: neutral === runState ? "start" : neutral },
      success,
    );
    if (!step.ok) return step;
    const now = findVm(deps, vm.metadata.name) ?? vm;
    return patchAndWait(deps, now, { runState }, success);
  }
  return patchAndWait(deps, vm, { runState }, success);
}

export const getVmState: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const vm = findVm(deps, request.params.vm);
  if (!vm) return notFound(reply, "VM not found.");
  return { name: vm.metadata.name, state: vm.status?.state ?? "" };
};

const SUCCESS: Record<Asked, string> = {
  start: "Starting VM",
  shutdown: "Shutting down VM",
  stop: "Forcibly stopping VM",
  restart: "Restarting VM",
};

export const setVmState: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const ref = request.params.vm;
  const asked = getValue(readValues(request), "state");
  if (asked === undefined || asked === "") return respond(reply, fail("ERROR: A state must be specified."));
  if (!(STATES as readonly string[]).includes(asked)) {
    return respond(reply, fail(`ERROR: State ${q(asked)} is not valid: use one of ${STATES.join(", ")}.`));
  }
  const vm = findVm(deps, ref);
  if (!vm) return respond(reply, fail(notFoundMessage(ref)));
  const name = vm.metadata.name;
  const state = asked as Asked;
  const success = `${SUCCESS[state]} ${q(name)}.`;
  // PVC's restart_vm and shutdown_vm refuse a VM that is not running.
  if ((state === "restart" || state === "shutdown") && vm.status?.state !== "start") {
    if (state === "shutdown" && already(vm, state)) return respond(reply, ok(success));
    return respond(reply, fail(`ERROR: VM ${q(name)} is not in 'start' state!`));
  }
  if (vm.spec.runState === state && already(vm, state)) return respond(reply, ok(success));
  return respond(reply, await setRunState(deps, vm, state, success));
};
