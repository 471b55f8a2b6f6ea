/**
 * The VM controller's side of provisioning (a VM with spec.profile): start or resume the job
 * (job.ts) while the task has not reached `define`, leave it alone while it runs or after it
 * failed (a change of the spec tries again), and otherwise hand the reconcile the XML the job
 * built, which then defines and starts the VM as it would one declared with spec.xml. After the
 * definition's commit, `afterDefine` moves the task to start and done.
 */
import type { VirtualMachine, VirtualMachineSpec } from "../../../src/resources/specs.ts";
import type { VmProvisioning } from "../../../src/resources/statuses.ts";
import { nextStatus, writeStatusIfChanged } from "../../../src/runtime/status.ts";
import type { VmParts } from "../parts.ts";
import { ProvisionJobs, taskConditions } from "./job.ts";
import { before, pendingTask, progress } from "./phases.ts";
import { resolveProfile } from "./resolve.ts";

export type ProvisionStep = { vm: VirtualMachine; xml: string } | { wait: true };

export class VmProvisioner {
  readonly jobs: ProvisionJobs;
  readonly #parts: VmParts;

  constructor(parts: VmParts) {
    this.#parts = parts;
    this.jobs = new ProvisionJobs(parts);
  }

  /** What the reconcile of a VM with a profile does now. */
  async step(informed: VirtualMachine): Promise<ProvisionStep> {
    const name = informed.metadata.name;
    if (this.jobs.running(name)) return { wait: true };
    const vm = await this.jobs.fresh(informed);
    const uid = vm.metadata.uid ?? "";
    const p = vm.status?.provisioning?.taskId === uid ? vm.status.provisioning : undefined;
    if (!p) {
      // PENDING is said at once (the create facade answers with it), then the job starts.
      const task = pendingTask(uid);
      const status = nextStatus(vm, { provisioning: task }, taskConditions(task, vm.metadata.generation));
      await writeStatusIfChanged(this.#parts.ctx.store, vm, status);
    }
    const retry =
      p?.state === "FAILURE" &&
      (vm.status?.observedGeneration !== vm.metadata.generation || (await this.#resolvesNow(vm, p)));
    if (
      !p ||
      p.state === "PENDING" ||
      retry ||
      (p.state === "RUNNING" && before(p.phase, "define")) ||
      !p.xml
    ) {
      if (p?.state !== "FAILURE" || retry) this.jobs.start(vm);
      return { wait: true };
    }
    if (p.state === "FAILURE" || (p.state === "SUCCESS" && vm.spec.provision?.define === false))
      return { wait: true };
    return { vm: withTemplatePlacement(this.#parts, vm), xml: p.xml };
  }

  /**
   * A task that failed to resolve (its profile, a template, a network or a pool missing: an apply
   * may create them after the VM) is tried again once that piece is there; the VM is woken by its
   * profile's changes (wake.ts) and by the resync.
   */
  async #resolvesNow(vm: VirtualMachine, p: VmProvisioning): Promise<boolean> {
    if (p.phase !== "resolve") return false;
    const { mirrors } = this.#parts;
    const [networks, domains] = await Promise.all([mirrors.networks.ready(), mirrors.domains.ready()]);
    try {
      resolveProfile(this.#parts.ctx, vm, { networks, domains });
      return true;
    } catch (err) {
      // Another piece missing now: run again, so the status names what is missing now.
      return err instanceof Error && err.message !== p.error;
    }
  }
}

/**
 * The VM as it is defined: where its spec says nothing, the system template's node_limit,
 * node_selector and start_with_node (PVC's define_vm got them from there). A limit naming no
 * node of the cluster is no limit (placement.ts), as v0.6 placed a provisioned VM on any node.
 */
function withTemplatePlacement(parts: VmParts, vm: VirtualMachine): VirtualMachine {
  const { ctx } = parts;
  const profile = ctx.informer("ProvisionerProfile").get(vm.spec.profile ?? "");
  const system = profile && ctx.informer("SystemTemplate").get(profile.spec.systemTemplate)?.spec;
  if (!system) return vm;
  const spec = {
    ...vm.spec,
    nodeLimit: vm.spec.nodeLimit.length > 0 ? vm.spec.nodeLimit : system.nodeLimit,
    nodeSelector: vm.spec.nodeSelector ?? system.nodeSelector,
    autostart: vm.spec.autostart || system.startWithNode,
  };
  return { ...vm, spec };
}

/** The spec the intent follows: start false keeps a provisioned VM stopped (the manual's start_vm). */
export function intentSpec(vm: VirtualMachine): VirtualMachineSpec {
  if (vm.spec.profile !== undefined && vm.spec.provision?.start === false)
    return { ...vm.spec, runState: "stop" };
  return vm.spec;
}

/** The task once the definition is committed: start (while the VM is not started yet), then done. */
export function afterDefine(
  vm: VirtualMachine,
  state: string | undefined,
): { provisioning?: VmProvisioning } {
  const p = vm.status?.provisioning;
  if (vm.spec.profile === undefined || !p || p.state !== "RUNNING") return {};
  if (vm.spec.provision?.start !== false && state !== "start")
    return { provisioning: { ...p, ...progress("start") } };
  return { provisioning: { ...p, state: "SUCCESS", ...progress("done") } };
}
