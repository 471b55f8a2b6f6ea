/**
 * The provisioning job of one VM: phases resolve → volumes → attach → install → detach → xml, run
 * off the controller's reconcile loop (a script may run for an hour; the VM controller's other
 * work must not wait for it), each reported into status.provisioning as it begins. When the job
 * ends, the VM is queued again and the reconcile defines and starts it from the XML (define and
 * start phases, controller.ts).
 *
 * Resuming (the server was killed mid-phase; the status says which): resolve and volumes are
 * idempotent and run again; a run that died in attach or install is cleaned up from the workDir
 * it recorded before attaching and done again from the attach; one that died in detach is
 * cleaned up and goes on; an XML once built is kept. The job is the only writer of the status
 * while it runs; it stops at its next step when the VM is deleted or the controller stops.
 */
import { randomInt as cryptoRandomInt } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { attachMethod, releaseStale } from "../../../src/provisioner/host-disks.ts";
import { UUID_PATTERN } from "../../../src/resources/domain-xml.ts";
import type { CephMonitor } from "../../../src/resources/libvirt-xml.ts";
import type { VirtualMachine } from "../../../src/resources/specs.ts";
import type {
  ProvisionPhase,
  VirtualMachineStatus,
  VmProvisioning,
} from "../../../src/resources/statuses.ts";
import { type ConditionPatch, ready, reconciling, stalled } from "../../../src/runtime/conditions.ts";
import { nextStatus } from "../../../src/runtime/status.ts";
import { readyViews, type VmParts } from "../parts.ts";
import { attachInstallDetach } from "./host.ts";
import { before, ProvisionFailure, pendingTask, progress, tail } from "./phases.ts";
import { type Resolved, resolveProfile } from "./resolve.ts";
import {
  createVolumes,
  type PlannedVolume,
  plannedVolumes,
  VOLUMES_READY_MS,
  volumesWaiting,
} from "./volumes.ts";
import { provisionedXml, vmIdOf } from "./xml.ts";

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects (one asked early may not be awaited if a phase fails first). */
function settled<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** What the host phases of one run start from. */
interface HostRun {
  last: VmProvisioning | undefined;
  resolved: Resolved;
  planned: readonly PlannedVolume[];
  resumedFrom: ProvisionPhase | undefined;
  signal: AbortSignal;
}

/** The job stops: the VM went (or is being deleted), or the controller stopped. */
class Cancelled extends Error {}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The conditions a task's state gives. */
export function taskConditions(p: VmProvisioning, generation?: number): ConditionPatch {
  if (p.state === "FAILURE")
    return stalled(
      "ProvisioningFailed",
      `provisioning failed in phase ${p.phase}: ${p.error ?? p.message}`,
      generation,
    );
  if (p.state === "SUCCESS") return ready("Provisioned", p.message, generation);
  return reconciling("Provisioning", `${p.current}/${p.total} ${p.phase}: ${p.message}`, generation);
}

export class ProvisionJobs {
  readonly #parts: VmParts;
  readonly #running = new Map<string, AbortController>();
  /** The task as each job last wrote it, by VM uid (the informer may not have shown it yet). */
  readonly #written = new Map<string, VmProvisioning>();
  #active = true;
  /** Queues a reconcile of the VM (set by the controller). */
  wake: (name: string) => void = () => undefined;

  constructor(parts: VmParts) {
    this.#parts = parts;
  }

  running(name: string): boolean {
    return this.#running.has(name);
  }

  /**
   * Stops every job (leadership lost: another replica's controller resumes them; a script left
   * running here would write on disks the new run formats). `resume` allows new ones.
   */
  stop(): void {
    this.#active = false;
    for (const abort of this.#running.values()) abort.abort("the controller stopped");
  }

  /** Stops the VM's job (it is being deleted); it detaches before it ends. */
  cancel(name: string): void {
    this.#running.get(name)?.abort("the VM is being deleted");
  }

  resume(): void {
    this.#active = true;
  }

  /** The VM as it stands: re-read when a job wrote a task the informer has not shown yet. */
  async fresh(vm: VirtualMachine): Promise<VirtualMachine> {
    const written = this.#written.get(vm.metadata.uid ?? "");
    if (!written || isDeepStrictEqual(written, vm.status?.provisioning)) {
      if (written) this.#written.delete(vm.metadata.uid ?? "");
      return vm;
    }
    return (await this.#parts.ctx.store.tryGet("VirtualMachine", vm.metadata.name)) ?? vm;
  }

  start(vm: VirtualMachine): void {
    const name = vm.metadata.name;
    if (this.#running.has(name) || !this.#active) return;
    const abort = new AbortController();
    this.#running.set(name, abort);
    void this.#run(vm, abort.signal)
      .catch((err) => this.#parts.ctx.logger.warn({ err, vm: name }, "provisioning job failed to report"))
      .finally(() => {
        this.#running.delete(name);
        this.wake(name);
      });
  }

  async #run(vm: VirtualMachine, signal: AbortSignal): Promise<void> {
    const uid = vm.metadata.uid ?? "";
    const last = vm.status?.provisioning?.taskId === uid ? vm.status.provisioning : undefined;
    const resumedFrom = last?.state === "RUNNING" ? last.phase : undefined;
    let phase: ProvisionPhase = "resolve";
    const write = async (patch: Partial<VmProvisioning>, conditions?: ConditionPatch) => {
      if (patch.phase) phase = patch.phase;
      if (signal.aborted && patch.state !== "FAILURE") throw new Cancelled();
      return this.#write(vm, patch, conditions);
    };
    try {
      await write({ state: "RUNNING", error: undefined, ...progress("resolve") });
      const views = await readyViews(this.#parts);
      const resolved = resolveProfile(this.#parts.ctx, vm, views);
      const planned = plannedVolumes(vm.metadata.name, resolved);
      await write(progress("volumes"));
      await createVolumes(this.#parts.ctx, vm, planned);
      // Asked now, used by the xml phase: the ceph CLI's start-up is not waited for twice.
      const monitors = settled(this.#parts.ctx.ceph.monHosts());
      // Attaching needs the images only; PVC's keys (Mirrored) are awaited before the definition.
      await this.#volumesReady(vm, planned, signal, false);
      let task = last;
      if (!last?.xml && (resumedFrom === undefined || before(resumedFrom, "xml")))
        task = await this.#onHost(vm, { last, resolved, planned, resumedFrom, signal }, write);
      await write(progress("xml"));
      const xml = task?.xml ?? (await this.#xml(vm, resolved, planned, await monitors));
      await this.#volumesReady(vm, planned, signal, true);
      if (vm.spec.provision?.define === false) {
        const done = {
          xml,
          state: "SUCCESS" as const,
          ...progress("done", "VM provisioned; not defined (define_vm false)"),
        };
        await write(done, taskConditions({ ...pendingTask(uid), ...done }, vm.metadata.generation));
      } else {
        await write({ xml, ...progress("define") });
      }
    } catch (err) {
      if (err instanceof Cancelled || signal.aborted) return;
      const error = errorText(err);
      const failed = { state: "FAILURE" as const, ...progress(phase), error };
      await write(failed, taskConditions({ ...pendingTask(uid), ...failed }, vm.metadata.generation)).catch(
        () => undefined,
      );
      void this.#parts.ctx.eventsOf(vm).warning("ProvisioningFailed", `phase ${phase}: ${error}`);
    }
  }

  /** Attach, install, detach; first whatever a dead run left. Returns the task as it stands. */
  async #onHost(
    vm: VirtualMachine,
    run: HostRun,
    write: (patch: Partial<VmProvisioning>) => Promise<VmProvisioning>,
  ): Promise<VmProvisioning> {
    const { last, resolved, planned, resumedFrom, signal } = run;
    const { ctx } = this.#parts;
    const cephConf = ctx.ceph.runner.conf;
    const images = planned.map((v) => `${v.pool}/${v.volume}`);
    if (last?.workDir) {
      await write(progress("detach", "Cleaning up what an interrupted run left attached"));
      const method = last.attachMethod ?? "rbd-fuse";
      const problems = await releaseStale(last.workDir, { cephConf, method, images });
      if (problems.length > 0)
        throw new ProvisionFailure(`cleaning up ${last.workDir} failed: ${problems.join("; ")}`);
      if (resumedFrom === "detach") return write({ workDir: undefined });
    }
    await write(progress("attach"));
    // Only disks with a filesystem are attached: without one, no method is needed (nor said).
    const method = planned.some((v) => v.disk?.filesystem) ? attachMethod() : undefined;
    const workDir = join(tmpdir(), `pvc-provision-${vm.metadata.uid}`);
    // Recorded before anything is attached there: a run that dies is cleaned up from it.
    await write({ attachMethod: method, workDir, output: undefined });
    const out = await attachInstallDetach(
      {
        cephConf,
        method,
        workDir,
        vmName: vm.metadata.name,
        vmId: vmIdOf(vm.metadata.name),
        planned,
        resolved,
        signal,
      },
      async (p) => {
        await write(progress(p));
      },
    );
    const output = tail(out.output);
    const events = ctx.eventsOf(vm);
    if (output !== "") void events.normal("ScriptOutput", tail(output, 1024));
    if (out.failed) {
      await write({ output, phase: out.failed.phase });
      throw new ProvisionFailure(out.failed.error);
    }
    return write({ output, workDir: undefined });
  }

  async #volumesReady(
    vm: VirtualMachine,
    planned: readonly PlannedVolume[],
    signal: AbortSignal,
    mirrored: boolean,
  ): Promise<void> {
    const deadline = Date.now() + VOLUMES_READY_MS;
    for (;;) {
      const waiting = volumesWaiting(this.#parts.ctx, planned, mirrored);
      if (waiting === "") return;
      if (!this.#active || signal.aborted) throw new Cancelled();
      if (Date.now() > deadline)
        throw new ProvisionFailure(`${waiting}: not ready after ${VOLUMES_READY_MS / 1000} s`);
      if (this.#parts.informer.get(vm.metadata.name)?.metadata.deletionTimestamp) throw new Cancelled();
      await this.#volumeChange(signal);
    }
  }

  /** The next change of a CephVolume object (their status says Ready and Mirrored), or 1 s, or the abort. */
  #volumeChange(signal: AbortSignal): Promise<void> {
    const volumes = this.#parts.ctx.informer("CephVolume");
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        volumes.off("update", done);
        volumes.off("add", done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, 1000);
      volumes.on("update", done);
      volumes.on("add", done);
      signal.addEventListener("abort", done);
    });
  }

  async #xml(
    vm: VirtualMachine,
    resolved: Resolved,
    planned: readonly PlannedVolume[],
    asked: Settled<CephMonitor[]>,
  ): Promise<string> {
    const uid = vm.metadata.uid ?? "";
    if (!asked.ok) throw asked.error;
    const monitors = asked.value;
    return provisionedXml({
      name: vm.metadata.name,
      // The task id is the domain's uuid too: one id for the VM everywhere.
      uuid: new RegExp(UUID_PATTERN).test(uid) ? uid : crypto.randomUUID(),
      vmId: vmIdOf(vm.metadata.name),
      resolved,
      planned,
      monitors,
      randomInt: (min, max) => cryptoRandomInt(min, max + 1),
    });
  }

  /** Writes the task (read-modify-write of the VM's status); Cancelled if the VM went or is going. */
  async #write(
    vm: VirtualMachine,
    patch: Partial<VmProvisioning>,
    conditions?: ConditionPatch,
  ): Promise<VmProvisioning> {
    const { store } = this.#parts.ctx;
    const uid = vm.metadata.uid ?? "";
    const fresh = await store.tryGet("VirtualMachine", vm.metadata.name);
    if (!this.#active || !fresh || fresh.metadata.uid !== uid || fresh.metadata.deletionTimestamp) {
      if (patch.state !== "FAILURE" || !fresh || fresh.metadata.uid !== uid) throw new Cancelled();
    }
    const prev = fresh.status?.provisioning?.taskId === uid ? fresh.status.provisioning : pendingTask(uid);
    const next = { ...prev, ...patch } as VmProvisioning;
    for (const key of Object.keys(next) as (keyof VmProvisioning)[])
      if (next[key] === undefined) delete next[key];
    const status = nextStatus<VirtualMachineStatus>(
      fresh,
      { provisioning: next },
      conditions ?? taskConditions(next, fresh.metadata.generation),
    );
    await store.updateStatus("VirtualMachine", vm.metadata.name, status);
    this.#written.set(uid, next);
    if (patch.phase && patch.phase !== prev.phase)
      void this.#parts.ctx
        .eventsOf(vm)
        .normal("Provisioning", `${next.current}/${next.total} ${next.phase}: ${next.message}`);
    return next;
  }
}
