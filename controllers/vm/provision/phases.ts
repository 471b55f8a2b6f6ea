/**
 * The provisioning phases as the status reports them: their order, their number out of the total
 * (PVC v0.6 reported `current`/`total` from its Celery task) and PVC's status text for each.
 */
import {
  PROVISION_PHASES,
  type ProvisionPhase,
  type VmProvisioning,
} from "../../../src/resources/statuses.ts";

/** Phases that do something (done is the end, not a step). */
export const PROVISION_TOTAL = PROVISION_PHASES.length - 1;

const TEXT: Readonly<Record<ProvisionPhase, string>> = {
  resolve: "Collecting configuration",
  volumes: "Creating storage volumes",
  attach: "Mapping, formatting, and mounting storage volumes locally",
  install: "Executing provisioning script",
  detach: "Cleaning up local mounts and devices",
  xml: "Preparing Libvirt XML configuration",
  define: "Defining VM on the cluster",
  start: "Starting VM",
  done: "VM provisioned",
};

export function phaseIndex(phase: ProvisionPhase): number {
  return PROVISION_PHASES.indexOf(phase);
}

/** Whether `phase` comes before `other`. */
export const before = (phase: ProvisionPhase, other: ProvisionPhase) => phaseIndex(phase) < phaseIndex(other);

/** The progress fields of a phase: its number and PVC's text, or `message` instead of the text. */
export function progress(
  phase: ProvisionPhase,
  message?: string,
): Pick<VmProvisioning, "phase" | "current" | "total" | "message"> {
  return {
    phase,
    current: Math.min(phaseIndex(phase) + 1, PROVISION_TOTAL),
    total: PROVISION_TOTAL,
    message: message ?? TEXT[phase],
  };
}

/** The task as a VM with a profile starts it. */
export function pendingTask(taskId: string): VmProvisioning {
  return { taskId, state: "PENDING", ...progress("resolve", "Waiting to start") };
}

/** The last `max` characters of a text (the script's output in status: the end says what failed). */
export function tail(text: string, max = 16 * 1024): string {
  return text.length <= max ? text : text.slice(text.length - max);
}

/** A failure of a phase, with the message the status and the Stalled condition show. */
export class ProvisionFailure extends Error {}
