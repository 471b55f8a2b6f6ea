/**
 * What wakes a VirtualMachine (the kit's one wake-up rule: informers and mirrors, attached while
 * the controller runs), and the indexes of PVC's keys those wake-ups keep:
 * - `/domains/<uuid>…` changed by someone else (a node's state, node, failedreason…): the VMs that
 *   claim that uuid; the root's value (a domain's name) is indexed, for "is this name taken?";
 * - `/nodes/<name>/runningdomains`: the VMs that appeared in it or left it (their Running
 *   condition, a delete waiting for the node to confirm the stop); a node appearing, going, or
 *   changing daemon or domain state: the VMs waiting for a node (no node could take them);
 * - `/ceph/volumes/<pool>/<volume>` appearing or going: the VMs with a disk on it;
 *   `/networks/<vni>` appearing or going: the VMs with an interface on it;
 * - a CephVolume object changing or going: the VMs with a disk on it (a delete with deleteDisks
 *   waits for those objects to be gone).
 * Everything else under those trees (keepalives, memory figures, Ceph stats) wakes nobody.
 */
import type { PvcKeys } from "../../src/pvc/keys.ts";
import type { CephVolume, ProvisionerProfile, VirtualMachine } from "../../src/resources/specs.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import { Indexer, lookUp } from "../../src/store/indexer.ts";
import type { TreeCache } from "../../src/zk/tree-cache.ts";
import type { VmParts, VmViews } from "./parts.ts";

/** Stalled reasons that a change of the nodes may resolve. */
const WAITING_FOR_NODES = new Set(["NoNodeAvailable", "NodeNotFound", "NoMigrationTarget"]);

/** The segments of `path` below `root` (`/domains/u/state` under `/domains` → [u, state]). */
function below(root: string, path: string): string[] | undefined {
  if (!path.startsWith(`${root}/`)) return undefined;
  return path.slice(root.length + 1).split("/");
}

function uuidsOf(value: string | undefined): Set<string> {
  return new Set((value ?? "").split(" ").filter((s) => s !== ""));
}

/** The profile a VM is provisioned from (the index that finds a profile's VMs). */
const vmProfiles = (vm: VirtualMachine) => (vm.spec.profile !== undefined ? [vm.spec.profile] : []);

export class VmWakes {
  readonly #parts: VmParts;
  readonly #keys: PvcKeys;
  /** Domain uuid → its name (the root's value), kept from the `/domains` mirror. */
  readonly #pvcNames = new Indexer<string, string, string>((name) => [name]);
  /** Node → the uuids of its runningdomains as last seen. */
  readonly #running = new Map<string, Set<string>>();
  /** VMs stalled on something a change of the nodes may resolve. */
  readonly #waitingForNodes = new Set<string>();
  #indexedDomains: TreeCache | undefined;
  #indexedNodes: TreeCache | undefined;

  constructor(parts: VmParts) {
    this.#parts = parts;
    this.#keys = parts.ctx.pvc;
  }

  /**
   * Builds the indexes from a mirror's cache the first time it is seen (a mirror shared with
   * another kind may have been loaded before this controller listened); events keep them after.
   */
  index(views: VmViews): void {
    if (this.#indexedDomains !== views.domains) {
      this.#indexedDomains = views.domains;
      for (const uuid of views.domains.children(this.#keys.domains())) {
        this.#pvcNames.set(uuid, views.domains.get(this.#keys.domain(uuid))?.data);
      }
    }
    if (this.#indexedNodes !== views.nodes) {
      this.#indexedNodes = views.nodes;
      this.#running.clear();
      for (const node of views.nodes.children(this.#keys.nodes())) {
        this.#running.set(node, uuidsOf(views.nodes.get(this.#keys.nodeKey(node, "runningdomains"))?.data));
      }
    }
  }

  /** UUIDs of the PVC domains named `name`. */
  pvcDomainsNamed(name: string): string[] {
    return this.#pvcNames.get(name);
  }

  /** A VM stalled for `reason` (undefined: it is not stalled any more). */
  stalled(name: string, reason: string | undefined): void {
    if (reason !== undefined && WAITING_FOR_NODES.has(reason)) this.#waitingForNodes.add(name);
    else this.#waitingForNodes.delete(name);
  }

  attach(controller: Controller): void {
    const { mirrors, ctx, claims, informer } = this.#parts;
    controller.useMirror(mirrors.domains, (path, own) => this.#domainChanged(path, own));
    controller.useMirror(mirrors.nodes, (path) => this.#nodeChanged(path));
    controller.useMirror(mirrors.ceph, (path) => {
      const at = below(this.#keys.cephVolumes(), path);
      return at?.length === 2 ? claims.byVolume(`${at[0]}/${at[1]}`) : undefined;
    });
    controller.useMirror(mirrors.networks, (path) => {
      const at = below(this.#keys.networks(), path);
      return at?.length === 1 && /^[0-9]+$/.test(at[0]) ? claims.byVni(Number(at[0])) : undefined;
    });
    // A profile appearing or changing: the VMs provisioned from it (one that failed to resolve retries).
    controller.watchInformer<ProvisionerProfile>(ctx.informer("ProvisionerProfile"), {
      keysFor: (p) => lookUp(informer, vmProfiles, p.metadata.name).map((vm) => vm.metadata.name),
    });
    controller.watchInformer<CephVolume>(ctx.informer("CephVolume"), {
      // Its owner too: a provisioned VM's volumes before it is defined (a delete waits on them).
      keysFor: (v) => [
        ...claims.byVolume(`${v.spec.pool}/${v.spec.name}`),
        ...(v.metadata.ownerReferences ?? []).filter((r) => r.kind === "VirtualMachine").map((r) => r.name),
      ],
    });
  }

  #domainChanged(path: string, own: boolean): string[] {
    const { claims, informer, mirrors } = this.#parts;
    const at = below(this.#keys.domains(), path);
    if (!at) return [];
    const uuid = at[0];
    const woken = new Set<string>();
    if (at.length === 1) {
      const was = this.#pvcNames.keysOf(uuid)[0];
      const now = mirrors.domains.peek(path);
      this.#pvcNames.set(uuid, now);
      // A domain renamed or removed behind our back may free a name a VM is Stalled on, or take one.
      if (!own && was !== now)
        for (const n of [was, now]) if (n !== undefined && informer.get(n)) woken.add(n);
    }
    // Our own commits come back too: a single claimant made them in a reconcile that saw to them.
    const claimants = claims.byUuid(uuid);
    if (!own || claimants.length > 1) for (const n of claimants) woken.add(n);
    return [...woken];
  }

  #nodeChanged(path: string): string[] {
    const { claims, mirrors } = this.#parts;
    const at = below(this.#keys.nodes(), path);
    if (!at) return [];
    const [node, key] = at;
    if (key === "runningdomains" && at.length === 2) {
      const was = this.#running.get(node) ?? new Set<string>();
      const now = uuidsOf(mirrors.nodes.peek(path));
      this.#running.set(node, now);
      const moved = [...was].filter((u) => !now.has(u)).concat([...now].filter((u) => !was.has(u)));
      return moved.flatMap((uuid) => claims.byUuid(uuid));
    }
    if (key === undefined || ((key === "daemonstate" || key === "domainstate") && at.length === 2)) {
      return [...this.#waitingForNodes];
    }
    return [];
  }
}
