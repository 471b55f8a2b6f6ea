/**
 * What a VirtualMachine's status says: the domain as the nodes report it (state, node, lastnode,
 * failedreason, node_autostart, whether its node lists it as running) and the Running condition
 * that `pvcctl wait vm NAME --for=condition=Running` waits on. Pure.
 */
import type { PvcKeys } from "../../src/pvc/keys.ts";
import { RUNNING, type VirtualMachineStatus } from "../../src/resources/statuses.ts";
import type { ConditionInput } from "../../src/runtime/conditions.ts";
import { type KeyView, observeDomain, runningOn } from "./observe.ts";

/** The status fields the domain's keys (and its node's runningdomains) give; none when it is not defined. */
export function observedFields(
  domains: KeyView,
  nodes: KeyView,
  keys: PvcKeys,
  uuid: string,
): Partial<VirtualMachineStatus> {
  const d = observeDomain(domains, keys, uuid);
  if (!d) return { uuid: undefined, state: undefined, node: undefined, lastNode: undefined, running: false };
  const rbd = d.values.get("rbdlist") ?? "";
  return {
    uuid,
    state: d.state,
    node: d.node,
    lastNode: d.lastnode,
    failedReason: d.values.get("failedreason") || undefined,
    autostart: d.values.get("node_autostart") === "True",
    running: d.state === "start" && runningOn(nodes, keys, d.node).includes(uuid),
    rbdList: rbd === "" ? [] : rbd.split(","),
  };
}

const NOT_RUNNING: Record<string, [reason: string, what: string]> = {
  start: ["Starting", "starting"],
  migrate: ["Migrating", "migrating"],
  unmigrate: ["Migrating", "migrating back"],
  restart: ["Restarting", "restarting"],
  shutdown: ["ShuttingDown", "shutting down"],
  stop: ["Stopped", "stopped"],
  disable: ["Disabled", "disabled"],
  fail: ["Failed", "failed"],
  delete: ["Deleting", "being undefined"],
};

/** Running=True while the VM's node runs it; otherwise False with what it is doing instead. */
export function runningCondition(s: Partial<VirtualMachineStatus>, generation?: number): ConditionInput {
  const base = { type: RUNNING, observedGeneration: generation };
  if (s.state === undefined)
    return { ...base, status: "False", reason: "NotDefined", message: "not defined in PVC" };
  if (s.running) return { ...base, status: "True", reason: "Running", message: `running on ${s.node}` };
  const [reason, what] = NOT_RUNNING[s.state] ?? ["Unknown", `in state ${JSON.stringify(s.state)}`];
  const why = s.state === "fail" && s.failedReason ? `: ${s.failedReason}` : "";
  return { ...base, status: "False", reason, message: `${what} on ${s.node || "no node"}${why}` };
}
