/**
 * What the /api/v1/network route modules share: finding a network as PVC names it, the quoting of
 * v0.6's messages, and a spec change waited on until the controller's verdict.
 */
import type { Network } from "../../../src/resources/specs.ts";
import { lookUp } from "../../../src/store/indexer.ts";
import { waitForConvergence } from "../converge.ts";
import { attempt, type FacadeDeps, type Verdict } from "../facade.ts";

/** PVC quotes with `"`; v0.6's API turned them into `'` in every message. */
export const q = (value: unknown) => `'${String(value)}'`;

export function networks(deps: FacadeDeps): Network[] {
  return deps.informer("Network").list();
}

// The informer's indexes the lookups use (a scan of 10,000 networks took ~28 ms a request).
const byVni = (n: Network) => [String(n.spec.vni)];
const byDescription = (n: Network) => [n.spec.description];

/** The networks whose description is `description`, in name order. */
export function networksDescribed(deps: FacadeDeps, description: string): Network[] {
  return lookUp(deps.informer("Network"), byDescription, description);
}

/** `<network>` is a vni or a description, matched exactly (by name order when both match). */
export function findNetwork(deps: FacadeDeps, ref: string): Network | undefined {
  const informer = deps.informer("Network");
  const found = [...lookUp(informer, byVni, ref), ...lookUp(informer, byDescription, ref)];
  return found.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))[0];
}

export function notFoundMessage(ref: string): string {
  return `ERROR: Could not find network ${q(ref)} in the cluster!`;
}

/** Changes a network's spec (merge patch on the resource) and waits for the verdict. */
export async function patchAndWait(
  deps: FacadeDeps,
  n: Network,
  spec: Record<string, unknown>,
  success: string,
): Promise<Verdict> {
  return attempt(async () => {
    const written = await deps.store.patch("Network", n.metadata.name, { spec });
    return waitForConvergence(deps, written, { success });
  });
}
