/**
 * The simulated libvirt of one hollow node: which domains run "here", with the memory and vCPUs
 * the domain XML gave them. It is the ground truth a real node daemon gets from libvirt
 * (`listAllDomains`, `dom.info()`), kept apart from `runningdomains`, which the daemon maintains
 * itself and may briefly disagree with (exactly as in PVC).
 */
import type { DomainResources } from "./domain-xml.ts";

export class SimHypervisor {
  readonly node: string;
  readonly #domains = new Map<string, DomainResources>();
  readonly #onChange: (uuid: string) => void;

  /** `onChange` hears every domain that appears or disappears here (to wake migration receivers). */
  constructor(node: string, onChange: (uuid: string) => void) {
    this.node = node;
    this.#onChange = onChange;
  }

  has(uuid: string): boolean {
    return this.#domains.has(uuid);
  }

  get(uuid: string): DomainResources | undefined {
    return this.#domains.get(uuid);
  }

  /** UUIDs of the running domains, in start order. */
  uuids(): string[] {
    return [...this.#domains.keys()];
  }

  /** createXML, or the arrival of a live migration. */
  run(uuid: string, resources: DomainResources): void {
    this.#domains.set(uuid, { ...resources });
    this.#onChange(uuid);
  }

  /** destroy / shutdown completed / migrated away. Returns what ran, if anything did. */
  remove(uuid: string): DomainResources | undefined {
    const had = this.#domains.get(uuid);
    if (had) {
      this.#domains.delete(uuid);
      this.#onChange(uuid);
    }
    return had;
  }
}
