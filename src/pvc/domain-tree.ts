/**
 * The PVC keys a VirtualMachine stands for under `/domains/<uuid>`, as PVC's define_vm writes them
 * (docs/pvc-zookeeper-layout.md), and who writes which:
 *
 * - owned (the definition; written by us and put back when changed behind our back): the root's
 *   value (the VM name), `xml`, `rbdlist` (derived from the XML), `node_limit`, `node_selector`,
 *   `profile`;
 * - node-written (observed, never repaired): `state`, `node`, `lastnode`, `failedreason`,
 *   `consolelog`. We write `state`, `node` and `lastnode` only to carry out a change the spec asks
 *   for (start, migrate…), as PVC's client does, never to undo what a node did (a flush moves VMs);
 * - `node_autostart`: written when the spec changes it; PVC's node daemon clears it after use, and
 *   that is not undone either.
 *
 * Define writes every key, with `state=stop` (PVC's define leaves the VM stopped).
 */
import type { RunState, VirtualMachineSpec } from "../resources/specs.ts";
import type { DomainChildKey, PvcKeys } from "./keys.ts";

/** The definition of one domain: what the owned keys hold. */
export interface DomainDefinition {
  uuid: string;
  name: string;
  xml: string;
  /** `pool/volume` of each RBD disk. */
  rbdList: readonly string[];
  nodeLimit: readonly string[];
  /** Unset: the cluster default. */
  nodeSelector?: string;
  /** Provisioner profile name; unset for a VM defined from XML. */
  profile?: string;
}

/** The child keys we own, beside the root's value. */
export const OWNED_DOMAIN_KEYS = ["node_limit", "node_selector", "rbdlist", "profile", "xml"] as const;

/** The child keys the node daemons write (and clients, to ask for a change). */
export const NODE_WRITTEN_DOMAIN_KEYS = ["state", "node", "lastnode", "failedreason", "consolelog"] as const;

/** PVC's values of `state`. */
export const DOMAIN_STATES = [
  "start",
  "restart",
  "shutdown",
  "stop",
  "migrate",
  "unmigrate",
  "disable",
  "fail",
  "delete",
] as const;

export const flag = (on: boolean) => (on ? "True" : "False");

/** The XML a VM is defined with: its spec's, or for a VM from a profile the one its provisioning built. */
export function definedXml(vm: {
  spec: Pick<VirtualMachineSpec, "xml">;
  status?: { provisioning?: { xml?: string } };
}): string | undefined {
  return vm.spec.xml ?? vm.status?.provisioning?.xml;
}

/**
 * A VirtualMachine's definition: its name, its spec's XML and placement limits, and what the XML
 * says (`info`: its uuid and RBD disks). The controller writes it; the status page compares it.
 */
export function vmDomainDefinition(
  name: string,
  spec: VirtualMachineSpec,
  xml: string,
  info: { uuid: string; rbdVolumes: readonly string[] },
): DomainDefinition {
  return {
    uuid: info.uuid,
    name,
    xml,
    rbdList: info.rbdVolumes,
    nodeLimit: spec.nodeLimit,
    nodeSelector: spec.nodeSelector,
    profile: spec.profile,
  };
}

/** The owned keys' paths and values (the root included). */
export function ownedDomainKeys(keys: PvcKeys, def: DomainDefinition): Map<string, string> {
  return new Map([
    [keys.domain(def.uuid), def.name],
    [keys.domainKey(def.uuid, "node_limit"), def.nodeLimit.join(",")],
    [keys.domainKey(def.uuid, "node_selector"), def.nodeSelector ?? ""],
    [keys.domainKey(def.uuid, "rbdlist"), def.rbdList.join(",")],
    [keys.domainKey(def.uuid, "profile"), def.profile ?? ""],
    [keys.domainKey(def.uuid, "xml"), def.xml],
  ]);
}

/**
 * Whether an observed owned value already says what `desired` says. PVC v0.6's API wrote Python's
 * `None` for a selector or profile it was not given, and its readers take `None` and "" alike (the
 * cluster default, no profile): a domain PVC defined so is not rewritten for it.
 */
export function ownedValueHolds(key: DomainChildKey | "", observed: string, desired: string): boolean {
  if (observed === desired) return true;
  if (key !== "node_selector" && key !== "profile") return false;
  const none = (v: string) => v === "" || v === "None";
  return none(observed) && none(desired);
}

/** Every key define_vm writes, in its order, with `state=stop`. */
export function defineDomainTree(
  keys: PvcKeys,
  def: DomainDefinition,
  placement: { node: string; autostart: boolean },
): Map<string, string> {
  const k = (key: DomainChildKey) => keys.domainKey(def.uuid, key);
  return new Map([
    [keys.domain(def.uuid), def.name],
    [k("state"), "stop"],
    [k("node"), placement.node],
    [k("lastnode"), ""],
    [k("node_limit"), def.nodeLimit.join(",")],
    [k("node_selector"), def.nodeSelector ?? ""],
    [k("node_autostart"), flag(placement.autostart)],
    [k("failedreason"), ""],
    [k("consolelog"), ""],
    [k("rbdlist"), def.rbdList.join(",")],
    [k("profile"), def.profile ?? ""],
    [k("xml"), def.xml],
  ]);
}

/**
 * The PVC `state` a domain settles in once a run state is carried out (the inverse, for a VM that
 * got there, of runStateOfPvcState): a restart ends running, a shutdown ends stopped.
 */
export function settledPvcState(runState: RunState): string {
  switch (runState) {
    case "start":
    case "restart":
      return "start";
    case "disable":
      return "disable";
    default:
      return "stop";
  }
}

/**
 * The run state a domain's PVC `state` stands for, for a VM we adopt (and for `pvcctl import`,
 * which writes it as spec.runState so that the adoption writes nothing): a VM on its way somewhere
 * (migrate, restart) is running; a failed one is not.
 */
export function runStateOfPvcState(state: string): RunState {
  switch (state) {
    case "start":
    case "migrate":
    case "unmigrate":
    case "restart":
      return "start";
    case "shutdown":
      return "shutdown";
    case "disable":
      return "disable";
    default:
      return "stop";
  }
}
