/**
 * The Network controller: converges `/networks/<vni>` to each Network resource.
 *
 * The story of one reconcile: observe (the resource from the informer, PVC's keys from the mirror
 * of `/networks`) → check claims (one vni, one description, one owner) → plan the difference
 * between the desired tree and the observed one → commit it as one multi, with the status that
 * reports it → report (Ready with the vni, the dynamic leases dnsmasq wrote, what PVC ignores on
 * bridged networks; an event). Any out-of-band change under `/networks/<vni>` wakes the owner at
 * once through the mirror, so drift is repaired in milliseconds (or, with `driftPolicy: Report`,
 * kept and reported); leases are observed, never touched. Deletion (behind a finalizer) removes
 * the subtree.
 */
import { plural } from "../../src/plural.ts";
import type { PvcKeys } from "../../src/pvc/keys.ts";
import { desiredNetworkTree, ignoredOnBridged } from "../../src/pvc/network-tree.ts";
import { planTreeSync } from "../../src/pvc/tree-sync.ts";
import type { Network } from "../../src/resources/specs.ts";
import type { NetworkLease, NetworkStatus } from "../../src/resources/statuses.ts";
import {
  type ConditionPatch,
  convergedFingerprint,
  ready,
  stalled,
  statusEqual,
} from "../../src/runtime/conditions.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import {
  drifted,
  listSome,
  notDrifted,
  reportsDrift,
  topmost,
  withConditions,
} from "../../src/runtime/drift.ts";
import type { Mirror } from "../../src/runtime/mirror.ts";
import { specOrMetadataChanged } from "../../src/runtime/predicates.ts";
import { nextStatus, writeStatusIfChanged } from "../../src/runtime/status.ts";
import { Indexer } from "../../src/store/indexer.ts";
import type { Informer } from "../../src/store/informer.ts";
import type { ZkOp } from "../../src/zk/client.ts";
import type { TreeCache } from "../../src/zk/tree-cache.ts";
import { kindController } from "../build.ts";
import type { ControllerContext, KindController } from "../types.ts";
import { claimsChanged, NetworkClaims } from "./claims.ts";

export const NETWORK_FINALIZER = "pvc.parallelvirtualcluster.org/network";

export type { NetworkLease, NetworkStatus } from "../../src/resources/statuses.ts";

/** Dynamic leases as dnsmasq wrote them under dhcp4_leases/<mac>. */
export function observedLeases(cache: TreeCache, keys: PvcKeys, vni: number): NetworkLease[] {
  const base = keys.dhcp4Leases(vni);
  return cache.children(base).map((mac) => {
    const value = (k: string) => cache.get(`${base}/${mac}/${k}`)?.data ?? "";
    return {
      mac,
      ip: value("ipaddr"),
      hostname: value("hostname"),
      expiry: value("expiry"),
      clientId: value("clientid"),
    };
  });
}

/** The vni of a path under /networks, or undefined. */
function vniOfPath(keys: PvcKeys, path: string): number | undefined {
  const prefix = `${keys.networks()}/`;
  if (!path.startsWith(prefix)) return undefined;
  const vni = Number(path.slice(prefix.length).split("/")[0]);
  return Number.isInteger(vni) ? vni : undefined;
}

/** Who holds a claim among several resources: the oldest, then the first by name. */
function holder(a: Network, b: Network): Network {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? a : b;
  return a.metadata.name < b.metadata.name ? a : b;
}

const isLive = (n: Network | undefined): n is Network => n !== undefined && !n.metadata.deletionTimestamp;

/** Deletes of a subtree's paths, deepest first. */
function deletesOf(paths: Iterable<string>): ZkOp[] {
  return [...paths]
    .sort((a, b) => b.split("/").length - a.split("/").length)
    .map((path) => ({ op: "delete" as const, path }));
}

/** What one reconcile found and would write. */
interface NetworkPlan {
  /** Ops that bring PVC's keys to the spec (the old vni's deletes first, when moving). */
  ops: ZkOp[];
  /** The paths that differ (for events and the drift report). */
  changed: string[];
  /** How many keys the vni had before (0: the network is being created). */
  observedKeys: number;
  /** The status fields this reconcile observed. */
  fields: Partial<NetworkStatus>;
  /** The Ready condition's message. */
  message: string;
}

/**
 * One Network controller's state and steps. Built by `networkController.create`; every method is
 * one step of the story in the header.
 */
class NetworkReconciler {
  readonly #ctx: ControllerContext;
  readonly #informer: Informer<Network>;
  readonly mirror: Mirror;
  readonly #claims: NetworkClaims;
  /**
   * The description of each PVC network in the mirror (vni → description, and the vnis that carry
   * a description), kept from change events: "is this description taken by a PVC network no
   * resource declares?" looks at those vnis only, not at every network.
   */
  readonly #pvcDescriptions = new Indexer<string, string, number>((description) => [description]);
  /** Counts a repair (set once the Controller exists). */
  onDriftRepaired: (name: string, what: string) => void = () => undefined;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#informer = ctx.informer("Network");
    this.mirror = ctx.mirrors.of(ctx.pvc.networks(), {
      onError: (err) => ctx.logger.warn({ err }, "network mirror: a read failed; reloading"),
    });
    // Before the controller watches the informer: the index is current when it hears of a change.
    this.#claims = new NetworkClaims(this.#informer);
  }

  get informer(): Informer<Network> {
    return this.#informer;
  }

  /** The networks that may wait for what `net` claims. */
  rivalsOf(net: Network): string[] {
    return this.#claims.rivalsOf(net);
  }

  /**
   * What a reconcile of a converged network plans against: the object (spec and status), the keys
   * under its vni and, while it moves, under the old one. Claims are not in it: a rival's change
   * wakes it.
   */
  fingerprint(name: string): string | undefined {
    const net = this.#informer.get(name);
    if (!net) return undefined;
    const { pvc } = this.#ctx;
    const from = net.status?.vni;
    return convergedFingerprint(
      net,
      this.mirror.version(pvc.network(net.spec.vni)),
      from !== undefined && from !== net.spec.vni ? this.mirror.version(pvc.network(from)) : "",
    );
  }

  async reconcile(name: string): Promise<undefined> {
    const cache = await this.mirror.ready();
    let net = this.#informer.get(name);
    if (!net) return undefined;
    if (net.metadata.deletionTimestamp) {
      if (net.metadata.finalizers?.includes(NETWORK_FINALIZER)) await this.#finalize(cache, net);
      return undefined;
    }
    if (!net.metadata.finalizers?.includes(NETWORK_FINALIZER)) {
      // Persisted before any PVC key is written, so a delete can never orphan the keys.
      net = await this.#ctx.store.addFinalizer("Network", name, NETWORK_FINALIZER);
    }
    const problem = this.#claimProblem(net);
    if (problem) {
      const generation = net.metadata.generation;
      const next = nextStatus<NetworkStatus>(net, {}, stalled(problem.reason, problem.message, generation));
      await writeStatusIfChanged(this.#ctx.store, net, next);
      return undefined;
    }
    const p = this.#plan(cache, net);
    if (p.ops.length > 0 && reportsDrift(net)) {
      await this.#reportDrift(cache, net, p);
      return undefined;
    }
    const wasConverged = net.status?.observedGeneration === net.metadata.generation && p.observedKeys > 0;
    const converged = notDrifted(ready("Converged", p.message, net.metadata.generation));
    await this.#commit(cache, net, { ...p, fields: { ...p.fields, drift: undefined } }, converged);
    this.#report(net, p, wasConverged);
    return undefined;
  }

  /** Live networks, other than `self`, whose spec asks for `vni`. */
  #othersWantingVni(vni: number, self?: string): Network[] {
    return this.#claims
      .byVni(vni)
      .filter((n) => n !== self)
      .map((n) => this.#informer.get(n))
      .filter((n): n is Network => isLive(n) && n.spec.vni === vni);
  }

  /** Why this network may not take its vni or description, or undefined when it may. */
  #claimProblem(net: Network): { reason: string; message: string } | undefined {
    const spec = net.spec;
    for (const other of this.#othersWantingVni(spec.vni, net.metadata.name)) {
      if (holder(net, other) !== net) {
        return {
          reason: "VniInUse",
          message: `vni ${spec.vni} is already used by Network ${other.metadata.name}`,
        };
      }
    }
    for (const name of this.#claims.byDescription(spec.description)) {
      const other = this.#informer.get(name);
      if (name === net.metadata.name || !isLive(other) || other.spec.description !== spec.description)
        continue;
      if (holder(net, other) !== net) {
        return {
          reason: "DescriptionInUse",
          message: `description ${spec.description} is already used by Network ${other.metadata.name} (vni ${other.spec.vni})`,
        };
      }
    }
    // A PVC network that no resource declares, with our description under another vni.
    for (const vni of this.#pvcDescriptions.get(spec.description)) {
      if (vni === spec.vni || vni === net.status?.vni) continue;
      if (this.#claims.byVni(vni).some((n) => isLive(this.#informer.get(n)))) continue;
      return {
        reason: "DescriptionInUse",
        message: `description ${spec.description} is already used by PVC network ${vni}, which no resource manages`,
      };
    }
    return undefined;
  }

  /** Removes the keys this network owns (unless another now claims them), then the finalizer. */
  async #finalize(cache: TreeCache, net: Network): Promise<void> {
    const { pvc, zk, store } = this.#ctx;
    const owned = net.status?.vni;
    if (owned !== undefined && this.#othersWantingVni(owned, net.metadata.name).length === 0) {
      const ops = deletesOf(cache.subtree(pvc.network(owned)).keys());
      if (ops.length > 0) {
        try {
          await cache.commit(ops);
        } catch {
          // The mirror lagged (e.g. a new lease appeared): remove whatever is there now.
          await zk.deleteRecursive(pvc.network(owned));
        }
        await this.#ctx.eventsOf(net).normal("Deleted", `Removed ${pvc.network(owned)}`);
      }
    }
    await store.removeFinalizer("Network", net.metadata.name, NETWORK_FINALIZER);
  }

  /** Compares the spec's tree with the mirror's (keeping dynamic leases) and says what to write. */
  #plan(cache: TreeCache, net: Network): NetworkPlan {
    const { pvc } = this.#ctx;
    const spec = net.spec;
    const leases = pvc.dhcp4Leases(spec.vni);
    const observed = cache.subtree(pvc.network(spec.vni));
    const sync = planTreeSync(desiredNetworkTree(pvc, spec), observed, (p) => p.startsWith(`${leases}/`));
    // Moving to another vni: the old keys go in the same transaction as the new ones come.
    const from = net.status?.vni;
    const moving =
      from !== undefined && from !== spec.vni && this.#othersWantingVni(from, net.metadata.name).length === 0;
    const oldTree = moving ? [...cache.subtree(pvc.network(from)).keys()] : [];
    const ignored = ignoredOnBridged(spec);
    return {
      ops: [...deletesOf(oldTree), ...sync.ops],
      changed: [...oldTree, ...sync.changed],
      observedKeys: observed.size,
      fields: {
        vni: spec.vni,
        dhcpLeases: observedLeases(cache, pvc, spec.vni),
        ignoredFields: ignored.length > 0 ? ignored : undefined,
      },
      message:
        `network vni ${spec.vni} converged` +
        (ignored.length > 0
          ? `; PVC ignores ${ignored.join(", ")} on bridged networks, so they were not written`
          : ""),
    };
  }

  /**
   * Writes the plan's keys and the status that reports them as one transaction: Ready is never
   * claimed for keys that were not written, and converging costs one write, not two.
   */
  async #commit(cache: TreeCache, net: Network, p: NetworkPlan, conditions: ConditionPatch): Promise<void> {
    const { store } = this.#ctx;
    const next = nextStatus<NetworkStatus>(net, p.fields, conditions);
    if (p.ops.length === 0) {
      await writeStatusIfChanged(store, net, next);
      return;
    }
    const unchanged = statusEqual(net.status ?? {}, next);
    await cache.commit([
      ...p.ops,
      ...(unchanged ? [] : [store.statusWriteOp("Network", net.metadata.name, next)]),
    ]);
  }

  /** driftPolicy Report: keep what was changed behind our back, and say so (status, condition, event). */
  async #reportDrift(cache: TreeCache, net: Network, p: NetworkPlan): Promise<void> {
    const drift = topmost(p.changed);
    const generation = net.metadata.generation;
    const conditions = withConditions(ready("Converged", p.message, generation), drifted(drift, generation));
    await this.#commit(cache, net, { ...p, ops: [], fields: { ...p.fields, drift } }, conditions);
    const text = `Changed out of band and kept (driftPolicy Report): ${listSome(drift)}`;
    void this.#ctx.eventsOf(net).warning("DriftDetected", text);
  }

  /** Tells people what the commit did (after it: events never hold up the verdict). */
  #report(net: Network, p: NetworkPlan, wasConverged: boolean): void {
    const { pvc } = this.#ctx;
    const events = this.#ctx.eventsOf(net);
    if (p.ops.length === 0) return;
    if (wasConverged) {
      this.onDriftRepaired(net.metadata.name, listSome(p.changed));
      void events.normal("DriftRepaired", `Drift repaired on ${listSome(p.changed)}`);
    } else if (p.observedKeys === 0) {
      void events.normal("Created", `Created ${pvc.network(net.spec.vni)}`);
    } else {
      void events.normal(
        "Updated",
        `Updated ${plural(p.changed.length, "key")} under ${pvc.network(net.spec.vni)}`,
      );
    }
  }

  /** A change under /networks/<vni> wakes the resources that own or want that vni. */
  wokenBy(path: string, own: boolean): string[] {
    const { pvc } = this.#ctx;
    const vni = vniOfPath(pvc, path);
    if (vni === undefined) return [];
    const woken = new Set<string>();
    if (path === pvc.network(vni)) {
      const now = this.mirror.peek(path);
      const was = this.#pvcDescriptions.keysOf(vni)[0];
      this.#pvcDescriptions.set(vni, now);
      // A PVC network renamed or removed behind our back may free a description a resource is
      // Stalled on (DescriptionInUse), or take one: those resources look again.
      if (!own && was !== now)
        for (const d of [was, now])
          if (d !== undefined) for (const n of this.#claims.byDescription(d)) woken.add(n);
    }
    // Our own commits come back through the mirror too: when the vni has a single claimant, it
    // made them, in a reconcile that already saw to them. Changes from elsewhere (drift, leases)
    // wake every claimant, and so do ours when others wait for that vni.
    const claimants = this.#claims.byVni(vni);
    if (!own || claimants.length > 1) for (const n of claimants) woken.add(n);
    return [...woken];
  }
}

export const networkController: KindController = {
  kind: "Network",
  finalizers: [NETWORK_FINALIZER],
  create(ctx: ControllerContext): Controller {
    const r = new NetworkReconciler(ctx);
    const controller = kindController(ctx, "Network", (key) => r.reconcile(key), {
      fingerprint: (key) => r.fingerprint(key),
    });
    r.onDriftRepaired = (name, what) => controller.driftRepaired(name, what);
    // Our status writes come back as status-only updates: nothing to do for them.
    controller.watchInformer(r.informer, { updateIf: specOrMetadataChanged });
    // A network that lets go of a vni or description (moves, renames, goes) wakes those waiting for
    // it: they are Stalled on VniInUse/DescriptionInUse and nothing of theirs changed. (Both the old
    // and the new object of an update are mapped, so the old claims are covered.)
    controller.watchInformer(r.informer, { updateIf: claimsChanged, keysFor: (n) => r.rivalsOf(n) });
    controller.useMirror(r.mirror, (path, own) => r.wokenBy(path, own));
    controller.resync(() => r.informer.names());
    return controller;
  },
};
