/**
 * Which VirtualMachines claim which domain UUID, and which volumes and networks each one's XML
 * names, kept current from the informer's events (Indexers), so that a reconcile or a change of
 * PVC's keys finds the VMs concerned without walking every VM (a thousand VMs made such walks the
 * controller's main cost for networks).
 */
import { tryParsedDomain } from "../../src/resources/domain-cache.ts";
import type { VirtualMachine } from "../../src/resources/specs.ts";
import { type Indexer, indexInformer } from "../../src/store/indexer.ts";
import type { Informer } from "../../src/store/informer.ts";

/** The UUIDs a VM claims: its XML's, and the one it defined (status.uuid) while they differ. */
function claimedUuids(vm: VirtualMachine): string[] {
  const wanted = tryParsedDomain(vm.spec.xml)?.info.uuid;
  const owned = vm.status?.uuid;
  return [...new Set([wanted, owned].filter((u): u is string => u !== undefined))];
}

export class VmClaims {
  readonly #byUuid: Indexer<VirtualMachine, string>;
  readonly #byVolume: Indexer<VirtualMachine, string>;
  readonly #byVni: Indexer<VirtualMachine, number>;

  /** Create it before the controller watches the informer (see indexInformer). */
  constructor(informer: Informer<VirtualMachine>) {
    this.#byUuid = indexInformer(informer, claimedUuids);
    this.#byVolume = indexInformer(informer, (vm) => [
      ...(tryParsedDomain(vm.spec.xml)?.info.rbdVolumes ?? []),
    ]);
    this.#byVni = indexInformer(informer, (vm) => [...(tryParsedDomain(vm.spec.xml)?.vnis ?? [])]);
  }

  /** Names of the VMs that claim `uuid`. */
  byUuid(uuid: string): string[] {
    return this.#byUuid.get(uuid);
  }

  /** Names of the VMs with a disk on `pool/volume`. */
  byVolume(source: string): string[] {
    return this.#byVolume.get(source);
  }

  /** Names of the VMs with an interface on network `vni`. */
  byVni(vni: number): string[] {
    return this.#byVni.get(vni);
  }
}
