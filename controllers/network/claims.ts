/**
 * Who claims which vni and description, kept current from the informer's events so that a
 * reconcile answers "is this vni taken?" without walking every network (O(1), not O(n): at a
 * thousand networks the walk dominated the controller's time).
 */
import type { Network } from "../../src/resources/specs.ts";
import { type Indexer, indexInformer } from "../../src/store/indexer.ts";
import type { Informer } from "../../src/store/informer.ts";

/** The vnis a network claims: the one its spec wants, and the one whose keys it owns now (status.vni, while moving). */
export function claimedVnis(net: Network): number[] {
  const wanted = net.spec.vni;
  const owned = net.status?.vni;
  return owned !== undefined && owned !== wanted ? [wanted, owned] : [wanted];
}

export class NetworkClaims {
  readonly #byVni: Indexer<Network, number>;
  readonly #byDescription: Indexer<Network, string>;

  /** Create it before the controller watches the informer (see indexInformer). */
  constructor(informer: Informer<Network>) {
    this.#byVni = indexInformer(informer, claimedVnis);
    this.#byDescription = indexInformer(informer, (n) => [n.spec.description]);
  }

  /** Names of the networks that want or own `vni`. */
  byVni(vni: number): string[] {
    return this.#byVni.get(vni);
  }

  byDescription(description: string): string[] {
    return this.#byDescription.get(description);
  }

  /**
   * The other networks that may be waiting for what `net` claims (its vnis and description): when
   * `net` lets go of a claim (moves, renames, is deleted), they must look again.
   */
  rivalsOf(net: Network): string[] {
    const names = new Set([
      ...claimedVnis(net).flatMap((vni) => this.byVni(vni)),
      ...this.byDescription(net.spec.description),
    ]);
    names.delete(net.metadata.name);
    return [...names];
  }
}

/** Whether an update changed what a network claims (or whether it is being deleted). */
export function claimsChanged(next: Network, prev: Network): boolean {
  return (
    next.spec.vni !== prev.spec.vni ||
    next.status?.vni !== prev.status?.vni ||
    next.spec.description !== prev.spec.description ||
    next.metadata.deletionTimestamp !== prev.metadata.deletionTimestamp
  );
}
