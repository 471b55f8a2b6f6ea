/**
 * What the /api/v1/storage route modules share: v0.6's quoting and confirmation message, name
 * checks as PVC-style lines, taking back a create its controller refused, and the keys of the
 * informer indexes the lookups use (src/store/indexer.ts `lookUp`: no scan of every object).
 */
import type { FastifyReply } from "fastify";
import { validatePoolName } from "../../../src/ceph/names.ts";
import { badRequest, type FacadeDeps } from "../facade.ts";

/** Index key: the pool of a volume or a snapshot. */
export const inPool = (o: { spec: { pool: string } }) => [o.spec.pool];
/** Index key: `pool/volume` of a snapshot. */
export const snapshotVolume = (s: { spec: { pool: string; volume: string } }) => [
  `${s.spec.pool}/${s.spec.volume}`,
];

/** PVC quotes with `"`; v0.6's API turned them into `'` in every message. */
export const q = (value: unknown) => `'${String(value)}'`;

export const CONFIRM =
  "ERROR: This command can have unintended consequences and should not be automated; if you're sure you know what you're doing, resend with the argument 'yes_i_really_mean_it'.";

/** A name rule of src/ceph/names.ts: returns the name, throws naming the value when it is not one. */
export type NameCheck = (value: unknown) => string;

/** A name check as one PVC-style line (our name rules are stricter than Ceph's own). */
export function nameProblem(check: NameCheck, value: string): string | undefined {
  try {
    check(value);
    return undefined;
  } catch (err) {
    return `ERROR: ${(err as Error).message}.`;
  }
}

export function poolNameProblem(pool: string): string | undefined {
  if (pool.includes("."))
    return `ERROR: invalid pool name ${JSON.stringify(pool)}: '.' is not allowed in pool names.`;
  return nameProblem(validatePoolName, pool);
}

/** A GET naming a pool, volume or snapshot that cannot exist: 400 naming the value, before any lookup. */
export function badNames(
  reply: FastifyReply,
  names: Array<[check: NameCheck, value: string | undefined]>,
): FastifyReply | undefined {
  for (const [check, value] of names) {
    const problem = value === undefined ? undefined : nameProblem(check, value);
    if (problem) return badRequest(reply, problem);
  }
  return undefined;
}

/**
 * Deletes a resource we just created and that its controller refused (a refused create leaves
 * nothing). One that is still converging when the wait ends is stored, as the answer says, and
 * stays: see `refused` in converge.ts, which the network group follows too.
 */
export async function rollback(deps: FacadeDeps, kind: string, name: string): Promise<void> {
  await deps.store.delete(kind, name).catch(() => undefined);
}
