/**
 * What the /api/v1/vm route modules share: finding a VM by name or uuid (the manual: "either a name
 * or a uuid"), v0.6's quoting and messages, node names as the manual takes them, and a spec change
 * waited on until the controller's verdict — taken back when the controller refuses it, and
 * answered with PVC's message for the refusals PVC knew (by the Stalled condition's reason code).
 */
import type { NodeSelector, VirtualMachine } from "../../../src/resources/specs.ts";
import { ConditionTypes, getCondition } from "../../../src/runtime/conditions.ts";
import { refused, type WaitVerdict, waitForConvergence } from "../converge.ts";
import { attempt, type FacadeDeps, type Verdict } from "../facade.ts";
import { uuidOf } from "./shape.ts";

/** PVC quotes with `"`; v0.6's API turned them into `'` in every message. */
export const q = (value: unknown) => `'${String(value)}'`;

export const KIND = "VirtualMachine";

export const SELECTORS: readonly NodeSelector[] = ["mem", "vcpus", "load", "vms"];

export function vms(deps: FacadeDeps): VirtualMachine[] {
  return deps.informer(KIND).list();
}

/** `<vm>` is a name or a uuid, matched exactly. */
export function findVm(deps: FacadeDeps, ref: string): VirtualMachine | undefined {
  const byName = deps.informer(KIND).get(ref);
  if (byName) return byName;
  if (!/^[0-9a-f-]{36}$/.test(ref)) return undefined;
  return vms(deps).find((vm) => uuidOf(vm) === ref);
}

export function notFoundMessage(ref: string): string {
  return `ERROR: Could not find VM ${q(ref)} in the cluster!`;
}

/** A selector value, or v0.6-style message naming what is wrong with it. */
export function selectorProblem(selector: string | undefined): string | undefined {
  if (selector === undefined || (SELECTORS as readonly string[]).includes(selector)) return undefined;
  return `ERROR: Selector ${q(selector)} is not valid: use one of ${SELECTORS.join(", ")}.`;
}

/** The manual's `limit`: comma-separated node names; names that are no node are ignored. */
export async function nodeLimit(deps: FacadeDeps, text: string): Promise<string[]> {
  const names = [...new Set(text.split(",").map((n) => n.trim()))].filter((n) => n !== "");
  const exists = await Promise.all(names.map((n) => deps.pvc.nodeExists(n)));
  return names.filter((_, i) => exists[i]);
}

/** PVC's messages for the controller's refusals that v0.6 refused too, by reason code. */
function pvcRefusal(vm: VirtualMachine, reason: string): string | undefined {
  const name = vm.metadata.name;
  switch (reason) {
    case "NameInUse":
    case "UuidInUse":
      return `ERROR: Specified VM ${q(name)} or UUID ${q(uuidOf(vm))} matches an existing VM on the cluster`;
    case "NoMigrationTarget":
    case "NoNodeAvailable":
      return `ERROR: Could not find a valid migration target for VM ${q(name)}.`;
    default:
      return undefined;
  }
}

/** The verdict's message, or PVC's own when the controller refused for a reason PVC knew. */
function pvcVerdict(deps: FacadeDeps, name: string, verdict: WaitVerdict): WaitVerdict {
  if (verdict.ok || verdict.converging) return verdict;
  const now = deps.informer(KIND).get(name);
  const stalled = now ? getCondition(now.status?.conditions, ConditionTypes.Stalled) : undefined;
  const message = now && stalled?.status === "True" ? pvcRefusal(now, stalled.reason) : undefined;
  return message ? { ...verdict, message } : verdict;
}

/**
 * Changes a VM's spec (a merge patch; `null` removes a field) and waits for the verdict. A change
 * the controller refuses is taken back (the fields patched get their previous values), so that
 * nothing is half-applied; one still converging when the wait ends stays (converge.ts `refused`).
 */
export async function patchAndWait(
  deps: FacadeDeps,
  vm: VirtualMachine,
  spec: Record<string, unknown>,
  success: string,
): Promise<Verdict> {
  return attempt(async () => {
    const name = vm.metadata.name;
    const written = await deps.store.patch(KIND, name, { spec });
    const verdict = pvcVerdict(deps, name, await waitForConvergence(deps, written, { success }));
    if (refused(verdict)) {
      const before: Record<string, unknown> = { ...vm.spec };
      const back = Object.fromEntries(Object.keys(spec).map((k) => [k, before[k] ?? null]));
      await deps.store.patch(KIND, name, { spec: back }).catch(() => undefined);
    }
    return verdict;
  });
}

/** Creates a VM and waits for the verdict; a create the controller refuses is deleted again. */
export async function createAndWait(
  deps: FacadeDeps,
  doc: Record<string, unknown>,
  success: string,
): Promise<Verdict> {
  return attempt(async () => {
    const written = await deps.store.create(doc);
    const name = written.metadata.name;
    const verdict = pvcVerdict(deps, name, await waitForConvergence(deps, written, { success }));
    if (refused(verdict)) await deps.store.delete(KIND, name).catch(() => undefined);
    return verdict;
  });
}
