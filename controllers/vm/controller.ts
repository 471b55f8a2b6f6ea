/**
 * The VirtualMachine controller: converges `/domains/<uuid>` to each VirtualMachine resource.
 *
 * The story of one reconcile: observe (the resource; PVC's keys from the mirrors of `/domains`,
 * `/nodes`, `/ceph` and `/networks`) → check claims (one uuid, one name, one owner) → define the
 * domain if it is not there (its volumes and networks must exist; its node is spec.node or the
 * selector's choice), exactly as PVC's define_vm writes it, in one multi → plan the owned keys
 * (the definition: name, xml, rbdlist, node_limit, node_selector, profile; drift is repaired, or
 * reported with driftPolicy Report) and the intent (home node, migration, run state, autostart:
 * intent.ts, carried out once per change, never undoing what the nodes did) → commit them with
 * the status that reports them, in one multi → report (Ready, Running, events).
 *
 * A domain that exists already under the XML's uuid and the VM's name is adopted: nothing is
 * written unless the spec differs from it (so an applied `pvcctl import` changes nothing). What the
 * nodes write (state, node, lastnode, failedreason, consolelog) reaches the status through the
 * `/domains` mirror at once; deletion is finalize.ts.
 */
import { plural } from "../../src/plural.ts";
import {
  type DomainDefinition,
  defineDomainTree,
  ownedDomainKeys,
  ownedValueHolds,
  vmDomainDefinition,
} from "../../src/pvc/domain-tree.ts";
import type { DomainChildKey } from "../../src/pvc/keys.ts";
import { type ParsedDomain, tryParsedDomain } from "../../src/resources/domain-cache.ts";
import type { VirtualMachine } from "../../src/resources/specs.ts";
import type { VirtualMachineStatus, VmIntent } from "../../src/resources/statuses.ts";
import {
  type ConditionPatch,
  convergedFingerprint,
  ready,
  stalled,
  statusEqual,
} from "../../src/runtime/conditions.ts";
import type { Controller, ReconcileResult } from "../../src/runtime/controller.ts";
import {
  convergedBefore,
  drifted,
  listSome,
  notDrifted,
  reportsDrift,
  withConditions,
} from "../../src/runtime/drift.ts";
import { specOrMetadataChanged } from "../../src/runtime/predicates.ts";
import { nextStatus, writeStatusIfChanged } from "../../src/runtime/status.ts";
import type { ZkOp } from "../../src/zk/client.ts";
import { kindController } from "../build.ts";
import type { ControllerContext, KindController } from "../types.ts";
import { VmClaims } from "./claims.ts";
import { missingReferences, type Problem, placeNew, selectNode } from "./define.ts";
import { VmFinalizer } from "./finalize.ts";
import { intentOfDomain, planIntent } from "./intent.ts";
import { nodeExists, type ObservedDomain, observeDomain, overlay } from "./observe.ts";
import { isLive, readyViews, timingsOf, VM_FINALIZER, type VmParts, type VmViews } from "./parts.ts";
import { afterDefine, intentSpec, VmProvisioner } from "./provision/step.ts";
import { observedFields, runningCondition } from "./report.ts";
import { VmWakes } from "./wake.ts";

export { VM_FINALIZER } from "./parts.ts";

/** What one reconcile found and would write besides the intent. */
interface OwnedPlan {
  /** Path → value of the owned keys that differ (and of missing keys, with define's values). */
  writes: Map<string, string>;
  changed: string[];
  xmlChanged: boolean;
}

/** One VirtualMachine controller's state and steps; every method is one step of the story above. */
class VmReconciler {
  readonly parts: VmParts;
  readonly #finalizer: VmFinalizer;
  readonly wakes: VmWakes;
  readonly provisioner: VmProvisioner;
  onDriftRepaired: (name: string, what: string) => void = () => undefined;

  constructor(ctx: ControllerContext) {
    const informer = ctx.informer("VirtualMachine");
    // Each is shared by the indexes, the GC, the facades, these wakes and the provisioning jobs'
    // waits: more than Node's default 10 listeners is their normal state, not a leak.
    for (const i of [informer, ctx.informer("CephVolume")])
      i.setMaxListeners(Math.max(i.getMaxListeners(), 64));
    const onError = (what: string) => (err: unknown) =>
      ctx.logger.warn({ err }, `${what} mirror: a read failed; reloading`);
    this.parts = {
      ctx,
      informer,
      // Before the controller watches the informer: the indexes are current when it hears of a change.
      claims: new VmClaims(informer),
      mirrors: {
        domains: ctx.mirrors.of(ctx.pvc.domains(), { onError: onError("domain") }),
        nodes: ctx.mirrors.of(ctx.pvc.nodes(), { onError: onError("node") }),
        ceph: ctx.mirrors.of(ctx.pvc.ceph(), { onError: onError("ceph") }),
        networks: ctx.mirrors.of(ctx.pvc.networks(), { onError: onError("network") }),
      },
      timings: timingsOf(ctx),
    };
    this.#finalizer = new VmFinalizer(this.parts);
    this.wakes = new VmWakes(this.parts);
    this.provisioner = new VmProvisioner(this.parts);
  }

  /**
   * What a reconcile of a converged VM plans against: the object and its domain's keys. The rest
   * (nodes, volumes, networks, other VMs' claims) wakes it when it changes (wake.ts).
   */
  fingerprint(name: string): string | undefined {
    const vm = this.parts.informer.get(name);
    const uuid = vm?.status?.uuid;
    const domain =
      uuid === undefined ? undefined : this.parts.mirrors.domains.version(this.parts.ctx.pvc.domain(uuid));
    return convergedFingerprint(vm, domain);
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const views = await readyViews(this.parts);
    this.wakes.index(views);
    let vm = this.parts.informer.get(name);
    if (!vm) return undefined;
    if (vm.metadata.deletionTimestamp) {
      // A provisioning job stops at its next step and always detaches first: wait for it.
      if (this.provisioner.jobs.running(name)) {
        this.provisioner.jobs.cancel(name);
        return { requeueAfter: 500 };
      }
      return this.#finalizer.run(vm, views);
    }
    if (!vm.metadata.finalizers?.includes(VM_FINALIZER)) {
      // Persisted before any PVC key is written, so a delete can never orphan the domain.
      vm = await this.parts.ctx.store.addFinalizer("VirtualMachine", name, VM_FINALIZER);
    }
    let xml = vm.spec.xml;
    if (vm.spec.profile !== undefined) {
      // Provisioned first (provision/): the XML it builds is then defined as a declared one is.
      const step = await this.provisioner.step(vm);
      if ("wait" in step) return undefined;
      ({ vm, xml } = step);
    }
    const parsed = tryParsedDomain(xml);
    // Validation admits no bad XML, and the provisioner's is built by the XML library.
    if (!parsed) return undefined;
    const def = this.#definition(vm, xml ?? "", parsed);
    const claim = this.#claimProblem(vm, def, views);
    if (claim) return this.#stall(vm, claim);
    let domain = observeDomain(views.domains, this.parts.ctx.pvc, def.uuid);
    const definedNow = domain === undefined;
    if (!domain) {
      const defined = await this.#define(vm, def, parsed, views);
      if ("reason" in defined) return this.#stall(vm, defined);
      domain = defined;
    }
    return this.#converge(vm, def, parsed, domain, views, definedNow);
  }

  #definition(vm: VirtualMachine, xml: string, parsed: ParsedDomain): DomainDefinition {
    return vmDomainDefinition(vm.metadata.name, vm.spec, xml, parsed.info);
  }

  /** Why this VM may not hold its uuid or name, or undefined when it may. */
  #claimProblem(vm: VirtualMachine, def: DomainDefinition, views: VmViews): Problem | undefined {
    const { informer, claims, ctx } = this.parts;
    const owned = vm.status?.uuid;
    if (owned !== undefined && owned !== def.uuid && observeDomain(views.domains, ctx.pvc, owned)) {
      return {
        reason: "UuidChanged",
        message: `the XML's uuid ${def.uuid} is not that of the domain this VM defined (${owned}); a VM's uuid cannot change: delete the VM and define it anew`,
      };
    }
    for (const other of claims.byUuid(def.uuid)) {
      const o = informer.get(other);
      if (other === vm.metadata.name || !isLive(o) || tryParsedDomain(o.spec.xml)?.info.uuid !== def.uuid)
        continue;
      if (holder(vm, o) !== vm)
        return {
          reason: "UuidInUse",
          message: `uuid ${def.uuid} is already used by VirtualMachine ${other}`,
        };
    }
    const there = observeDomain(views.domains, ctx.pvc, def.uuid);
    if (there && there.name !== def.name) {
      return { reason: "UuidInUse", message: `uuid ${def.uuid} is already used by PVC domain ${there.name}` };
    }
    for (const uuid of this.wakes.pvcDomainsNamed(def.name)) {
      if (
        uuid === def.uuid ||
        claims.byUuid(uuid).some((n) => n !== vm.metadata.name && isLive(informer.get(n)))
      )
        continue;
      return {
        reason: "NameInUse",
        message: `name ${def.name} is already used by PVC domain ${uuid}, which no resource manages`,
      };
    }
    return undefined;
  }

  /** Defines the domain (one multi, state=stop), or says why it cannot be now. */
  async #define(
    vm: VirtualMachine,
    def: DomainDefinition,
    parsed: ParsedDomain,
    views: VmViews,
  ): Promise<ObservedDomain | Problem> {
    const { ctx } = this.parts;
    const missing = missingReferences(parsed, views, ctx.pvc);
    if (missing) return missing;
    const node = placeNew(views.nodes, ctx.pvc, vm.spec);
    if (typeof node !== "string") return node;
    const tree = defineDomainTree(ctx.pvc, def, { node, autostart: vm.spec.autostart });
    await views.domains.commit([...tree].map(([path, data]) => ({ op: "create", path, data })));
    void ctx.eventsOf(vm).normal("Defined", `Defined ${ctx.pvc.domain(def.uuid)} on node ${node}`);
    return observeDomain(views.domains, ctx.pvc, def.uuid) as ObservedDomain;
  }

  /** Owned keys that differ from the definition; missing keys of a half-written domain get define's values. */
  #planOwned(def: DomainDefinition, domain: ObservedDomain): OwnedPlan {
    const { pvc } = this.parts.ctx;
    const writes = new Map<string, string>();
    const base = defineDomainTree(pvc, def, { node: domain.node, autostart: false });
    const owned = ownedDomainKeys(pvc, def);
    for (const [path, value] of base) {
      const key = (path === pvc.domain(def.uuid) ? "" : path.slice(pvc.domain(def.uuid).length + 1)) as
        | DomainChildKey
        | "";
      const have = key === "" ? domain.name : domain.values.get(key);
      if (have === undefined) writes.set(path, value);
      else if (owned.has(path) && !ownedValueHolds(key, have, owned.get(path) as string))
        writes.set(path, owned.get(path) as string);
    }
    return { writes, changed: [...writes.keys()], xmlChanged: writes.has(pvc.domainKey(def.uuid, "xml")) };
  }

  async #converge(
    vm: VirtualMachine,
    def: DomainDefinition,
    parsed: ParsedDomain,
    domain: ObservedDomain,
    views: VmViews,
    definedNow: boolean,
  ): Promise<ReconcileResult> {
    const { ctx, timings } = this.parts;
    const owned = this.#planOwned(def, domain);
    const generation = vm.metadata.generation;
    const wasConverged = !definedNow && convergedBefore(vm);
    if (owned.changed.length > 0 && wasConverged && reportsDrift(vm))
      return this.#reportDrift(vm, def, views, owned);
    if (owned.xmlChanged) {
      const missing = missingReferences(parsed, views, ctx.pvc);
      if (missing) return this.#stall(vm, missing);
    }
    const applied: VmIntent =
      definedNow || !vm.status?.applied || vm.status.uuid !== def.uuid
        ? intentOfDomain(domainState(domain))
        : vm.status.applied;
    const intent = planIntent({
      spec: intentSpec(vm),
      applied,
      domain: domainState(domain),
      xmlChanged: owned.xmlChanged && !definedNow,
      shutdownSince: vm.status?.shutdownSince,
      shutdownTimeoutMs: timings.shutdownTimeoutMs,
      now: Date.now(),
      selectTarget: (selector, current) => selectNode(views.nodes, ctx.pvc, vm.spec, selector, current),
      nodeExists: (node) => nodeExists(views.nodes, ctx.pvc, node),
    });
    const writes = new Map(owned.writes);
    if (intent.ok)
      for (const [key, value] of intent.writes) writes.set(ctx.pvc.domainKey(def.uuid, key), value);
    const fields: Partial<VirtualMachineStatus> = {
      ...observedFields(overlay(views.domains, writes), views.nodes, ctx.pvc, def.uuid),
      applied: intent.ok ? intent.applied : applied,
      shutdownSince: intent.ok ? intent.shutdownSince : vm.status?.shutdownSince,
      drift: undefined,
    };
    Object.assign(fields, afterDefine(vm, fields.state));
    const conditions = intent.ok
      ? notDrifted(
          ready("Converged", `domain ${def.uuid} on ${fields.node}, state ${fields.state}`, generation),
        )
      : stalled(intent.reason, intent.message, generation);
    await this.#commit(vm, views, writes, fields, withRunning(conditions, fields, generation));
    this.#report(vm, owned, intent.ok ? intent.actions : [], wasConverged);
    return intent.ok && intent.requeueAfter !== undefined ? { requeueAfter: intent.requeueAfter } : undefined;
  }

  /** Writes the keys and the status reporting them as one multi (zero writes when nothing changed). */
  async #commit(
    vm: VirtualMachine,
    views: VmViews,
    writes: ReadonlyMap<string, string>,
    fields: Partial<VirtualMachineStatus>,
    conditions: ConditionPatch,
  ): Promise<void> {
    const { store } = this.parts.ctx;
    const next = nextStatus<VirtualMachineStatus>(vm, fields, conditions);
    if (writes.size === 0) {
      await writeStatusIfChanged(store, vm, next);
      return;
    }
    const ops: ZkOp[] = [...writes].map(([path, data]) =>
      views.domains.has(path) ? { op: "set", path, data } : { op: "create", path, data },
    );
    const unchanged = statusEqual(vm.status ?? {}, next);
    await views.domains.commit([
      ...ops,
      ...(unchanged ? [] : [store.statusWriteOp("VirtualMachine", vm.metadata.name, next)]),
    ]);
  }

  /** driftPolicy Report: keep the owned keys changed behind our back, and say so. */
  async #reportDrift(
    vm: VirtualMachine,
    def: DomainDefinition,
    views: VmViews,
    owned: OwnedPlan,
  ): Promise<ReconcileResult> {
    const generation = vm.metadata.generation;
    const fields = {
      ...observedFields(views.domains, views.nodes, this.parts.ctx.pvc, def.uuid),
      drift: owned.changed,
    };
    const conditions = withConditions(
      ready("Converged", `domain ${def.uuid} defined`, generation),
      drifted(owned.changed, generation),
    );
    await this.#commit(vm, views, new Map(), fields, withRunning(conditions, fields, generation));
    void this.parts.ctx
      .eventsOf(vm)
      .warning(
        "DriftDetected",
        `Changed out of band and kept (driftPolicy Report): ${listSome(owned.changed)}`,
      );
    return undefined;
  }

  async #stall(vm: VirtualMachine, problem: Problem): Promise<ReconcileResult> {
    this.wakes.stalled(vm.metadata.name, problem.reason);
    const next = nextStatus<VirtualMachineStatus>(
      vm,
      {},
      stalled(problem.reason, problem.message, vm.metadata.generation),
    );
    await writeStatusIfChanged(this.parts.ctx.store, vm, next);
    return undefined;
  }

  /** Tells people what the commit did (after it: events never hold up the verdict). */
  #report(vm: VirtualMachine, owned: OwnedPlan, actions: string[], wasConverged: boolean): void {
    this.wakes.stalled(vm.metadata.name, undefined);
    const events = this.parts.ctx.eventsOf(vm);
    if (owned.changed.length > 0 && wasConverged) {
      this.onDriftRepaired(vm.metadata.name, listSome(owned.changed));
      void events.normal("DriftRepaired", `Drift repaired on ${listSome(owned.changed)}`);
    } else if (owned.changed.length > 0) {
      void events.normal(
        "Updated",
        `Updated ${plural(owned.changed.length, "key")}: ${listSome(owned.changed)}`,
      );
    }
    if (actions.length > 0) void events.normal("StateChanged", actions.join("; "));
  }
}

/** The domain keys the intent reads. */
function domainState(d: ObservedDomain) {
  return {
    state: d.state,
    node: d.node,
    lastnode: d.lastnode,
    autostart: d.values.get("node_autostart") ?? "False",
  };
}

function withRunning(
  patch: ConditionPatch,
  fields: Partial<VirtualMachineStatus>,
  generation?: number,
): ConditionPatch {
  return withConditions(patch, { set: [runningCondition(fields, generation)] });
}

/** Who holds a uuid among several VMs: the oldest, then the first by name. */
function holder(a: VirtualMachine, b: VirtualMachine): VirtualMachine {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? a : b;
  return a.metadata.name < b.metadata.name ? a : b;
}

export const vmController: KindController = {
  kind: "VirtualMachine",
  finalizers: [VM_FINALIZER],
  create(ctx: ControllerContext): Controller {
    const r = new VmReconciler(ctx);
    const controller = kindController(ctx, "VirtualMachine", (key) => r.reconcile(key), {
      fingerprint: (key) => r.fingerprint(key),
    });
    r.onDriftRepaired = (name, what) => controller.driftRepaired(name, what);
    // Our status writes come back as status-only updates: nothing to do for them.
    controller.watchInformer(r.parts.informer, { updateIf: specOrMetadataChanged });
    r.wakes.attach(controller);
    r.provisioner.jobs.wake = (name) => void controller.enqueue(name);
    controller.on("stopped", () => r.provisioner.jobs.stop());
    controller.on("started", () => r.provisioner.jobs.resume());
    controller.resync(() => r.parts.informer.names());
    return controller;
  },
};
