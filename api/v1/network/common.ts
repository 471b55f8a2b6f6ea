/**
 * What the /api/v1/network route modules share: finding a network as PVC names it, the quoting of
 * v0.6's messages, and a spec change waited on until the controller's verdict.
 */
import type { Network } from "../../../src/resources/specs.ts";
import { waitForConvergence } from "../converge.ts";
import { attempt, type FacadeDeps, type Verdict } from "../facade.ts";

/** PVC quotes with `"`; v0.6's API turned them into `'` in every message. */
export const q = (value: unknown) => `'${String(value)}'`;

export function networks(deps: FacadeDeps): Network[] {
  return deps.informer("Network").list();
}

/** `<network>` is a vni or a description, matched exactly. */
export function findNetwork(deps: FacadeDeps, ref: string): Network | undefined {
  return networks(deps).find((n) => String(n.spec.vni) === ref || n.spec.description === ref);
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
