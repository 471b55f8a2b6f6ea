/**
 * Who claims which vni and description, kept current from the informer's events so that a
 * reconcile answers "is this vni taken?" without walking every network (O(1), not O(n): at a
 * thousand networks the walk dominated the controller's time).
 */
import type { NetworkSpec } from "../../src/resources/specs.ts";
import type { Resource } from "../../src/resources/types.ts";

type Network = Resource<NetworkSpec>;

function add<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function remove<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  set?.delete(value);
  if (set && set.size === 0) map.delete(key);
}

export class NetworkClaims {
  /** spec.vni and status.vni (the keys it owns now) → names. */
  readonly #byVni = new Map<number, Set<string>>();
  readonly #byDescription = new Map<string, Set<string>>();
  readonly #indexed = new Map<string, { vnis: number[]; description: string }>();

  /** Re-indexes one object (undefined: it is gone). */
  set(name: string, net: Network | undefined): void {
    const old = this.#indexed.get(name);
    if (old) {
      for (const v of old.vnis) remove(this.#byVni, v, name);
      remove(this.#byDescription, old.description, name);
      this.#indexed.delete(name);
    }
    if (!net) return;
    const vnis = [net.spec.vni];
    const owned = (net.status as { vni?: number } | undefined)?.vni;
    if (owned !== undefined && owned !== net.spec.vni) vnis.push(owned);
    for (const v of vnis) add(this.#byVni, v, name);
    add(this.#byDescription, net.spec.description, name);
    this.#indexed.set(name, { vnis, description: net.spec.description });
  }

  /** Names of the networks that want or own `vni`. */
  byVni(vni: number): string[] {
    return [...(this.#byVni.get(vni) ?? [])];
  }

  byDescription(description: string): string[] {
    return [...(this.#byDescription.get(description) ?? [])];
  }
}

/**
 * The descriptions of the PVC networks under /networks (vni → description), and the vnis that
 * carry each description: "is this description taken by a PVC network no resource declares?"
 * looks at those vnis only, not at every network (that walk made a thousand creates quadratic).
 */
export class PvcDescriptions {
  readonly #byVni = new Map<number, string>();
  readonly #vnis = new Map<string, Set<number>>();

  /** Records `/networks/<vni>`'s description (undefined: the znode is gone); returns the previous one. */
  set(vni: number, description: string | undefined): string | undefined {
    const old = this.#byVni.get(vni);
    if (old === description) return old;
    if (old !== undefined) {
      remove(this.#vnis, old, vni);
      this.#byVni.delete(vni);
    }
    if (description !== undefined) {
      this.#byVni.set(vni, description);
      add(this.#vnis, description, vni);
    }
    return old;
  }

  /** The vnis whose PVC network carries `description`. */
  vnisOf(description: string): number[] {
    return [...(this.#vnis.get(description) ?? [])];
  }
}
