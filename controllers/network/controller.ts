/**
 * The Network controller: converges `/networks/<vni>` to each Network resource.
 *
 * The story of one reconcile: observe (the resource from the informer, PVC's keys from a mirror of
 * `/networks` kept by one persistent recursive watch) → check claims (one vni, one description,
 * one owner) → compare the desired tree with the observed one → commit the difference as one
 * multi → report Ready/Stalled with the vni, the dynamic leases dnsmasq wrote, and what PVC
 * ignores on bridged networks. Any out-of-band change under `/networks/<vni>` wakes the owner at
 * once through the mirror, so drift is repaired in milliseconds; leases are observed, never
 * touched. Deletion (behind a finalizer) removes the subtree.
 */
import { plural } from "../../src/plural.ts";
import type { PvcKeys } from "../../src/pvc/keys.ts";
import { planTreeSync } from "../../src/pvc/tree-sync.ts";
import type { NetworkSpec } from "../../src/resources/specs.ts";
import type { Resource, ResourceStatus } from "../../src/resources/types.ts";
import { ready, stalled, statusEqual } from "../../src/runtime/conditions.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import { specOrMetadataChanged } from "../../src/runtime/predicates.ts";
import { nextStatus as nextStatusOf, writeStatusIfChanged } from "../../src/runtime/status.ts";
import { Indexer } from "../../src/store/indexer.ts";
import { TreeCache } from "../../src/zk/tree-cache.ts";
import { kindController } from "../build.ts";
import type { ControllerContext, KindController } from "../types.ts";
import { NetworkClaims } from "./claims.ts";
import { desiredNetworkTree, ignoredOnBridged } from "./desired.ts";

export const NETWORK_FINALIZER = "pvc.parallelvirtualcluster.org/network";

type Network = Resource<NetworkSpec>;

export interface NetworkLease {
  mac: string;
  ip: string;
  hostname: string;
  expiry: string;
  clientId: string;
}

export interface NetworkStatus extends ResourceStatus {
  /** The vni whose keys this resource owns now (it differs from spec.vni while moving). */
  vni?: number;
  dhcpLeases?: NetworkLease[];
  /** Spec fields PVC ignores on a bridged network. */
  ignoredFields?: string[];
}

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
  const segment = path.slice(prefix.length).split("/")[0];
  const vni = Number(segment);
  return Number.isInteger(vni) ? vni : undefined;
}

/** Who holds a claim among several resources: the oldest, then the first by name. */
function holder(a: Network, b: Network): Network {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? a : b;
  return a.metadata.name < b.metadata.name ? a : b;
}

export const networkController: KindController = {
  kind: "Network",
  finalizers: [NETWORK_FINALIZER],
  create(ctx: ControllerContext): Controller {
    const { store, pvc, events } = ctx;
    const informer = ctx.informer("Network");
    // The mirror of /networks lives while this replica leads (the controller runs): built on the
    // first reconcile after a start, dropped on stop.
    let cache: TreeCache | undefined;
    let cacheReady: Promise<void> | undefined;
    const mirror = async (): Promise<TreeCache> => {
      if (!cache) {
        const fresh = new TreeCache(ctx.zk, pvc.networks());
        cache = fresh;
        // A change to any key under /networks/<vni> wakes the resources that own or want that vni.
        fresh.on("change", (path, own) => {
          const vni = vniOfPath(pvc, path);
          if (vni === undefined) return;
          if (path === pvc.network(vni)) {
            const now = fresh.get(path)?.data;
            const was = pvcDescriptions.keysOf(vni)[0];
            pvcDescriptions.set(vni, now);
            // A PVC network renamed or removed behind our back may free a description a resource
            // is Stalled on (DescriptionInUse), or take one: those resources look again.
            if (!own && was !== now) {
              const affected = [was, now].flatMap((d) => (d === undefined ? [] : claims.byDescription(d)));
              for (const name of affected) void controller.enqueue(name);
            }
          }
          // Our own commits come back through the cache too: when the vni has a single claimant,
          // it made them, in a reconcile that already saw to them. Changes from elsewhere (drift,
          // leases) wake every claimant, and so do ours when others wait for that vni.
          const claimants = claims.byVni(vni);
          if (own && claimants.length <= 1) return;
          for (const owner of claimants) void controller.enqueue(owner);
        });
        fresh.on("error", (err) => ctx.logger.warn({ err }, "network mirror: a read failed; reloading"));
        cacheReady = fresh.start();
      }
      const current = cache;
      await cacheReady;
      return current;
    };

    // The informer holds validated Network documents; this is the one place that says so.
    const get = (name: string) => informer.get(name) as unknown as Network | undefined;
    const claims = new NetworkClaims(informer);

    const isLive = (n: Network | undefined): n is Network => n !== undefined && !n.metadata.deletionTimestamp;
    /** Live networks, other than `self`, whose spec asks for `vni`. */
    const othersWantingVni = (vni: number, self?: string): Network[] =>
      claims
        .byVni(vni)
        .filter((n) => n !== self)
        .map(get)
        .filter((n): n is Network => isLive(n) && n.spec.vni === vni);

    /**
     * The description of each PVC network in the mirror (vni → description, and the vnis that carry
     * a description), kept from change events: "is this description taken by a PVC network no
     * resource declares?" looks at those vnis only, not at every network.
     */
    const pvcDescriptions = new Indexer<string, string, number>((description) => [description]);

    /** Why this network may not take its vni or description, or undefined when it may. */
    function claimProblem(net: Network): { reason: string; message: string } | undefined {
      const spec = net.spec;
      for (const other of othersWantingVni(spec.vni, net.metadata.name)) {
        if (holder(net, other) !== net) {
          return {
            reason: "VniInUse",
            message: `vni ${spec.vni} is already used by Network ${other.metadata.name}`,
          };
        }
      }
      for (const name of claims.byDescription(spec.description)) {
        const other = get(name);
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
      for (const vni of pvcDescriptions.get(spec.description)) {
        if (vni === spec.vni || vni === (net.status as NetworkStatus | undefined)?.vni) continue;
        if (claims.byVni(vni).some((n) => isLive(get(n)))) continue;
        return {
          reason: "DescriptionInUse",
          message: `description ${spec.description} is already used by PVC network ${vni}, which no resource manages`,
        };
      }
      return undefined;
    }

    // A converged object costs zero writes: only a changed status is written.
    const writeStatus = (net: Network, status: NetworkStatus) => writeStatusIfChanged(store, net, status);
    const nextStatus = (net: Network, patch: Partial<NetworkStatus>, condition: ReturnType<typeof ready>) =>
      nextStatusOf<NetworkStatus>(net, patch, condition);

    async function finalize(cache: TreeCache, net: Network): Promise<void> {
      const owned = (net.status as NetworkStatus | undefined)?.vni;
      // Only remove keys we own and nobody else now claims.
      if (owned !== undefined && othersWantingVni(owned, net.metadata.name).length === 0) {
        const ops = [...cache.subtree(pvc.network(owned)).keys()]
          .sort((a, b) => b.split("/").length - a.split("/").length)
          .map((path) => ({ op: "delete" as const, path }));
        if (ops.length > 0) {
          try {
            await cache.commit(ops);
          } catch {
            // The mirror lagged (e.g. a new lease appeared): remove whatever is there now.
            await ctx.zk.deleteRecursive(pvc.network(owned));
          }
          await events.record(
            "networks",
            net.metadata.name,
            "Normal",
            "Deleted",
            `Removed ${pvc.network(owned)}`,
          );
        }
      }
      await store.removeFinalizer("Network", net.metadata.name, NETWORK_FINALIZER);
    }

    async function reconcile(name: string): Promise<{ requeueAfter?: number } | undefined> {
      const cache = await mirror();
      let net = get(name);
      if (!net) return undefined;
      if (net.metadata.deletionTimestamp) {
        if (net.metadata.finalizers?.includes(NETWORK_FINALIZER)) await finalize(cache, net);
        return undefined;
      }
      if (!net.metadata.finalizers?.includes(NETWORK_FINALIZER)) {
        // Persisted before any PVC key is written, so a delete can never orphan the keys.
        net = (await store.addFinalizer("Network", name, NETWORK_FINALIZER)) as unknown as Network;
      }
      const spec = net.spec;
      const problem = claimProblem(net);
      if (problem) {
        await writeStatus(
          net,
          nextStatus(net, {}, stalled(problem.reason, problem.message, net.metadata.generation)),
        );
        return undefined;
      }

      const status = (net.status ?? {}) as NetworkStatus;
      const desired = desiredNetworkTree(pvc, spec);
      const leases = pvc.dhcp4Leases(spec.vni);
      const observed = cache.subtree(pvc.network(spec.vni));
      const plan = planTreeSync(desired, observed, (p) => p.startsWith(`${leases}/`));
      // Moving to another vni: the old keys go in the same transaction as the new ones come.
      const moving =
        status.vni !== undefined &&
        status.vni !== spec.vni &&
        othersWantingVni(status.vni, name).length === 0;
      const oldTree = moving ? [...cache.subtree(pvc.network(status.vni as number)).keys()] : [];
      const ops = [
        ...oldTree
          .sort((a, b) => b.split("/").length - a.split("/").length)
          .map((path) => ({ op: "delete" as const, path })),
        ...plan.ops,
      ];
      const ignored = ignoredOnBridged(spec);
      const message =
        `network vni ${spec.vni} converged` +
        (ignored.length > 0
          ? `; PVC ignores ${ignored.join(", ")} on bridged networks, so they were not written`
          : "");
      const next = nextStatus(
        net,
        {
          vni: spec.vni,
          dhcpLeases: observedLeases(cache, pvc, spec.vni),
          ignoredFields: ignored.length > 0 ? ignored : undefined,
        },
        ready("Converged", message, net.metadata.generation),
      );
      if (ops.length === 0) {
        await writeStatus(net, next);
        return undefined;
      }
      // The keys and the status that reports them are one transaction: Ready is never claimed for
      // keys that were not written, and converging costs one write, not two.
      const statusOp = statusEqual(net.status ?? {}, next)
        ? []
        : [store.statusWriteOp("Network", name, next)];
      await cache.commit([...ops, ...statusOp]);
      const wasConverged = status.observedGeneration === net.metadata.generation && observed.size > 0;
      // Events are a record for people: written after, never holding up the verdict.
      const record = (reason: string, text: string) =>
        void events
          .record("networks", name, "Normal", reason, text)
          .catch((err) => ctx.logger.warn({ err, network: name }, "recording an event failed"));
      if (wasConverged) {
        const what =
          plan.changed.slice(0, 5).join(", ") +
          (plan.changed.length > 5 ? ` (+${plan.changed.length - 5})` : "");
        controller.driftRepaired(name, what);
        record("DriftRepaired", `Drift repaired on ${what}`);
      } else if (observed.size === 0) {
        record("Created", `Created ${pvc.network(spec.vni)}`);
      } else {
        record("Updated", `Updated ${plural(plan.changed.length, "key")} under ${pvc.network(spec.vni)}`);
      }
      return undefined;
    }

    const controller = kindController(ctx, "Network", (key) => reconcile(key));
    // Our status writes come back as status-only updates: nothing to do for them.
    controller.watchInformer(informer, { updateIf: specOrMetadataChanged });
    controller.resync(() => informer.list().map((n) => n.metadata.name));
    // A change to any key under /networks/<vni> wakes the resources that own or want that vni.
    controller.on("stopped", () => {
      cache?.stop();
      cache = undefined;
      cacheReady = undefined;
    });
    return controller;
  },
};
