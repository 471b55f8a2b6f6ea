/**
 * Phase 1, resolve: the profile and everything it names, read from the informers, and checked
 * against the cluster before anything is created (PVC v0.6's "verification" phase: networks
 * present, pools present, a mkfs for every filesystem). A missing piece fails the phase naming it.
 */
import { programOnPath } from "../../../src/provisioner/host-disks.ts";
import type { PvcKeys } from "../../../src/pvc/keys.ts";
import type {
  KindObjects,
  NetworkTemplateSpec,
  StorageTemplateSpec,
  SystemTemplateSpec,
  VirtualMachine,
} from "../../../src/resources/specs.ts";
import type { ControllerContext } from "../../types.ts";
import type { KeyView } from "../observe.ts";
import { ProvisionFailure } from "./phases.ts";

export interface Resolved {
  profile: string;
  system: SystemTemplateSpec;
  network: NetworkTemplateSpec;
  storage: StorageTemplateSpec;
  userdata: string;
  script: string;
  /** The profile's arguments, then the VM's own (spec.provision.arguments) over them. */
  arguments: Record<string, string>;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ProvisionFailure(`${what} does not exist`);
  return value;
}

/** The PVC subtrees the checks read. */
export interface ClusterViews {
  networks: KeyView;
  domains: KeyView;
}

export function resolveProfile(ctx: ControllerContext, vm: VirtualMachine, views: ClusterViews): Resolved {
  const name = vm.spec.profile ?? "";
  const profile = need(ctx.informer("ProvisionerProfile").get(name), `ProvisionerProfile ${name}`).spec;
  const of = `(of ProvisionerProfile ${name})`;
  const get = <K extends keyof KindObjects>(kind: K, ref: string): KindObjects[K]["spec"] =>
    need(ctx.informer(kind).get(ref), `${kind} ${ref} ${of}`).spec;
  const resolved: Resolved = {
    profile: name,
    system: get("SystemTemplate", profile.systemTemplate),
    network: get("NetworkTemplate", profile.networkTemplate),
    storage: get("StorageTemplate", profile.storageTemplate),
    userdata: get("UserdataTemplate", profile.userdataTemplate).data,
    script: get("ProvisionerScript", profile.script).data,
    arguments: { ...profile.arguments, ...(vm.spec.provision?.arguments ?? {}) },
  };
  checkName(ctx.pvc, vm, views.domains);
  checkCluster(ctx, resolved, views.networks);
  return resolved;
}

/** No PVC domain but this VM's own (its uuid is the VM's uid) may have its name (v0.6 checked too). */
function checkName(keys: PvcKeys, vm: VirtualMachine, domains: KeyView): void {
  for (const uuid of domains.children(keys.domains())) {
    if (uuid !== vm.metadata.uid && domains.get(keys.domain(uuid))?.data === vm.metadata.name)
      throw new ProvisionFailure(
        `a VM with the name ${vm.metadata.name} already exists in the cluster (domain ${uuid})`,
      );
  }
}

/** What must exist before anything is created: the networks, the pools, a mkfs per filesystem. */
function checkCluster(ctx: ControllerContext, r: Resolved, networks: KeyView): void {
  const keys: PvcKeys = ctx.pvc;
  for (const { vni } of r.network.networks) {
    if (!networks.get(keys.network(String(vni))))
      throw new ProvisionFailure(`network vni ${vni} is not present on the cluster`);
  }
  const pools = new Set([...r.storage.disks, ...r.storage.images].map((d) => d.pool));
  for (const pool of pools) {
    if (!ctx.informer("CephPool").get(pool)) throw new ProvisionFailure(`pool ${pool} is not a CephPool`);
  }
  for (const fs of new Set(r.storage.disks.flatMap((d) => (d.filesystem ? [d.filesystem] : [])))) {
    if (!programOnPath(`mkfs.${fs}`))
      throw new ProvisionFailure(`mkfs.${fs} is not installed on this host (filesystem ${fs})`);
  }
}
