/**
 * Deleting a VirtualMachine (behind its finalizer), as PVC's undefine_vm and remove_vm do it:
 * 1. `state=stop` (unless stopped already), then wait — event-driven, bounded by
 *    `stopConfirmMs` — until no node lists the domain in its runningdomains (PVC slept 2 s);
 * 2. `state=delete`, then the subtree `/domains/<uuid>` goes;
 * 3. with spec.deleteDisks: the RBD locks of its volumes are flushed (a stale lock makes `rbd rm`
 *    hang) and the CephVolume objects of its volumes are deleted; the VM is gone once they are
 *    (their controller removes the images; a volume that is no CephVolume object is left in place
 *    and named in a warning event: the controller that would remove it is that object's);
 * 4. the CephVolumes provisioning made for it (owned by it) are deleted with deleteDisks, else
 *    orphaned (their ownerReference to it removed) so that its deletion does not take them along;
 * 5. the finalizer goes.
 * A domain another VM holds (a uuid claim this VM lost) is never touched.
 */
import { flushVolumeLocks } from "../../src/ceph/locks.ts";
import { splitRbdSource } from "../../src/resources/kinds/vm.ts";
import { cephVolumeName } from "../../src/resources/names.ts";
import type { CephVolume, VirtualMachine } from "../../src/resources/specs.ts";
import type { VirtualMachineStatus } from "../../src/resources/statuses.ts";
import { deletionBlocked, getCondition } from "../../src/runtime/conditions.ts";
import type { ReconcileResult } from "../../src/runtime/controller.ts";
import { listSome } from "../../src/runtime/drift.ts";
import { nextStatus, writeStatusIfChanged } from "../../src/runtime/status.ts";
import { lookUp } from "../../src/store/indexer.ts";
import type { ZkOp } from "../../src/zk/client.ts";
import { observeDomain, runningAnywhere } from "./observe.ts";
import { cephOf, VM_FINALIZER, type VmParts, type VmViews } from "./parts.ts";

/** The uids of a CephVolume's owners (the index that finds a VM's provisioned volumes). */
const ownerUids = (v: CephVolume) => (v.metadata.ownerReferences ?? []).map((r) => r.uid);

function ownedVolumes(parts: VmParts, vm: VirtualMachine): CephVolume[] {
  const uid = vm.metadata.uid;
  return uid ? lookUp(parts.ctx.informer("CephVolume"), ownerUids, uid) : [];
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class VmFinalizer {
  readonly #parts: VmParts;
  /** VMs whose volumes' locks were flushed already (this term): the flush runs once per delete. */
  readonly #flushed = new Set<string>();

  constructor(parts: VmParts) {
    this.#parts = parts;
  }

  async run(vm: VirtualMachine, views: VmViews): Promise<ReconcileResult> {
    if (!vm.metadata.finalizers?.includes(VM_FINALIZER)) return undefined;
    const uuid = vm.status?.uuid;
    if (uuid !== undefined && this.#holds(vm, uuid, views)) {
      const wait = await this.#undefine(vm, uuid, views);
      if (wait) return wait;
    }
    const owned = ownedVolumes(this.#parts, vm);
    if (vm.spec.deleteDisks && !(await this.#disksGone(vm, owned))) return undefined;
    if (!vm.spec.deleteDisks && owned.length > 0) {
      // Not until this replica's informer shows them orphaned: the garbage collector reads the
      // informer when the VM goes, and would delete a volume it still saw owned by it.
      await this.#orphan(vm, owned);
      return { requeueAfter: 200 };
    }
    this.#flushed.delete(vm.metadata.uid ?? "");
    await this.#parts.ctx.store.removeFinalizer("VirtualMachine", vm.metadata.name, VM_FINALIZER);
    return undefined;
  }

  /** The domain is this VM's: defined (or adopted) by it, and still named after it. */
  #holds(vm: VirtualMachine, uuid: string, views: VmViews): boolean {
    const d = observeDomain(views.domains, this.#parts.ctx.pvc, uuid);
    return d === undefined || d.name === vm.metadata.name;
  }

  /** Steps 1 and 2; a result while waiting for the node, undefined once the domain is gone. */
  async #undefine(vm: VirtualMachine, uuid: string, views: VmViews): Promise<ReconcileResult | undefined> {
    const { ctx, timings } = this.#parts;
    const d = observeDomain(views.domains, ctx.pvc, uuid);
    if (!d) return undefined;
    const now = Date.now();
    let since = vm.status?.stopSince;
    if (since === undefined) {
      // Asked once, with the time, so that the bound holds across reconciles and restarts.
      since = new Date(now).toISOString();
      const stop = d.state !== "stop" && d.state !== "delete";
      const status = nextStatus<VirtualMachineStatus>(vm, { stopSince: since }, { set: [] });
      const ops: ZkOp[] = stop ? [{ op: "set", path: ctx.pvc.domainKey(uuid, "state"), data: "stop" }] : [];
      await views.domains.commit([
        ...ops,
        ctx.store.statusWriteOp("VirtualMachine", vm.metadata.name, status),
      ]);
    }
    const left = Date.parse(since) + timings.stopConfirmMs - now;
    // Woken when a node's runningdomains changes; the bound covers a node that never answers.
    if (runningAnywhere(views.nodes, ctx.pvc, uuid) && left > 0) return { requeueAfter: left };
    const tree = [...views.domains.subtree(ctx.pvc.domain(uuid)).keys()];
    const deletes: ZkOp[] = tree.reverse().map((path) => ({ op: "delete", path }));
    try {
      if (d.state !== "delete")
        await views.domains.commit([{ op: "set", path: ctx.pvc.domainKey(uuid, "state"), data: "delete" }]);
      await views.domains.commit(deletes);
    } catch {
      // The mirror lagged (a key appeared meanwhile): remove whatever is there now.
      await ctx.zk.deleteRecursive(ctx.pvc.domain(uuid));
    }
    await ctx.eventsOf(vm).normal("Undefined", `Undefined ${ctx.pvc.domain(uuid)}`);
    return undefined;
  }

  /** Step 3; true once the VM's CephVolume objects are gone. */
  async #disksGone(vm: VirtualMachine, owned: readonly CephVolume[]): Promise<boolean> {
    const { ctx } = this.#parts;
    const sources = vm.status?.rbdList ?? [];
    const volumes = ctx.informer("CephVolume");
    const managed: string[] = [];
    const unmanaged: string[] = [];
    for (const source of sources) {
      const split = splitRbdSource(source);
      const name = split ? cephVolumeName(split.pool, split.volume) : undefined;
      if (name !== undefined && volumes.get(name)) managed.push(name);
      else unmanaged.push(source);
    }
    for (const v of owned) if (!managed.includes(v.metadata.name)) managed.push(v.metadata.name);
    if (managed.length === 0) {
      if (unmanaged.length > 0) {
        await ctx
          .eventsOf(vm)
          .warning("DisksLeft", `Not CephVolume objects, left in place: ${listSome(unmanaged)}`);
      }
      return true;
    }
    await this.#flushLocks(vm, sources);
    for (const name of managed) {
      if (!volumes.get(name)?.metadata.deletionTimestamp)
        await ctx.store.delete("CephVolume", name).catch(() => undefined);
    }
    const blocked = managed
      .map((name) => volumes.get(name))
      .map((v) => (v ? getCondition(v.status?.conditions, "DeletionBlocked") : undefined))
      .find((c) => c?.status === "True");
    const message = `waiting for the CephVolume ${managed.length === 1 ? "object" : "objects"} ${listSome(managed)} to be gone${blocked ? `: ${blocked.message}` : ""}`;
    const status = nextStatus<VirtualMachineStatus>(
      vm,
      {},
      deletionBlocked("DisksDeleting", message, vm.metadata.generation),
    );
    if (blocked) await writeStatusIfChanged(ctx.store, vm, status);
    return false;
  }

  /** Removes this VM from its volumes' owners: PVC keeps a VM's disks unless told to delete them. */
  async #orphan(vm: VirtualMachine, owned: readonly CephVolume[]): Promise<void> {
    for (const v of owned) {
      const refs = (v.metadata.ownerReferences ?? []).filter((r) => r.uid !== vm.metadata.uid);
      await this.#parts.ctx.store.patch("CephVolume", v.metadata.name, {
        metadata: { ownerReferences: refs },
      });
    }
  }

  async #flushLocks(vm: VirtualMachine, sources: readonly string[]): Promise<void> {
    const key = vm.metadata.uid ?? vm.metadata.name;
    const ceph = cephOf(this.#parts.ctx);
    if (!ceph || this.#flushed.has(key)) return;
    this.#flushed.add(key);
    try {
      await flushVolumeLocks(ceph, sources);
    } catch (err) {
      // Not fatal: an image without locks to flush can still be removed; rbd rm says otherwise.
      await this.#parts.ctx
        .eventsOf(vm)
        .warning("LockFlushFailed", `Flushing RBD locks failed: ${errorText(err)}`);
    }
  }
}
