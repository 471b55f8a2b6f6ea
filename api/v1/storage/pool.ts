/**
 * /storage/ceph/pool: pools as PVC's `/ceph/pools` keys show them; add and remove are CephPool
 * writes waited on until the controller's verdict. A pool created without `replcfg` gets the
 * cluster's own pool defaults (PVC's copies=3,mincopies=2 on a stock Ceph; 1/1 on the one-node stack).
 */
import { API_GROUP_VERSION } from "../../../src/resources/types.ts";
import { lookUp } from "../../../src/store/indexer.ts";
import { refused, waitForConvergence, waitForDeletion } from "../converge.ts";
import type { FacadeDeps, FacadeHandler, Verdict } from "../facade.ts";
import { attempt, fail, notFound, respond } from "../facade.ts";
import { limitFilter } from "../limit.ts";
import { getValue, hasFlag, readValues, type Values } from "../values.ts";
import { CONFIRM, inPool, poolNameProblem, q, rollback } from "./common.ts";

type ByPool = { pool: string };

/** PVC's replication of a new pool (v0.6's `replcfg` default). */
const PVC_DEFAULT_REPLCFG = "copies=3,mincopies=2";

/** `copies=3,mincopies=2` (PVC's replcfg) → replication, or an error message. */
export function parseReplcfg(text: string): { copies: number; minCopies: number } | string {
  const out: Record<string, number> = {};
  for (const part of text.split(",")) {
    const m = /^(copies|mincopies)=(\d+)$/.exec(part.trim());
    if (!m) return `ERROR: Replication configuration ${q(text)} is not valid: expected copies=N,mincopies=M.`;
    out[m[1]] = Number(m[2]);
  }
  if (out.copies === undefined || out.mincopies === undefined)
    return `ERROR: Replication configuration ${q(text)} must give both copies and mincopies.`;
  return { copies: out.copies, minCopies: out.mincopies };
}

/**
 * The replication of a pool created without `replcfg`: the cluster's own pool defaults, as its
 * mon runs with them (`osd pool default size` / `min size`). On a cluster that keeps Ceph's
 * defaults that is PVC's copies=3,mincopies=2; the one-node stack's ceph.conf sets 1 and 1, so
 * the manual's call works there as on any one-node cluster. When they cannot be read, PVC's.
 */
async function defaultReplcfg(deps: FacadeDeps): Promise<string> {
  const d = await deps.cephOps.poolDefaults();
  return d ? `copies=${d.size},mincopies=${d.minSize}` : PVC_DEFAULT_REPLCFG;
}

async function listPools(deps: FacadeDeps, match: (n: string) => boolean) {
  const names = (await deps.pvc.poolNames()).filter(match);
  return Promise.all(names.map(async (name) => ({ name, stats: await deps.pvc.poolStats(name) })));
}

export const getPools: FacadeHandler = async (deps, request, reply) => {
  const list = await listPools(deps, limitFilter(getValue(readValues(request), "limit")));
  return list.length === 0 ? notFound(reply, "Pool not found.") : list;
};

export const getPool: FacadeHandler<ByPool> = async (deps, request, reply) => {
  const list = await listPools(deps, (n) => n === request.params.pool);
  return list.length === 0 ? notFound(reply, "Pool not found.") : list;
};

/** POST's pool, PG count and replication, or v0.6's message for the first that is missing or wrong. */
async function createValues(deps: FacadeDeps, v: Values) {
  const pool = getValue(v, "pool");
  const pgsText = getValue(v, "pgs");
  if (pool === undefined) return "ERROR: A pool name must be specified.";
  if (pgsText === undefined) return "ERROR: A placement group count (pgs) must be specified.";
  const badName = poolNameProblem(pool);
  if (badName) return badName;
  const pgs = Number(pgsText);
  if (!/^\d+$/.test(pgsText) || pgs < 1 || pgs > 65536)
    return `ERROR: PG count ${q(pgsText)} is not valid: give a whole number from 1 to 65536.`;
  const replcfg = getValue(v, "replcfg") ?? (await defaultReplcfg(deps));
  const replication = parseReplcfg(replcfg);
  if (typeof replication === "string") return replication;
  return { pool, pgs, replcfg, replication };
}

export const createPool: FacadeHandler = async (deps, request, reply) => {
  const values = await createValues(deps, readValues(request));
  if (typeof values === "string") return respond(reply, fail(values));
  const { pool, pgs, replcfg, replication } = values;
  if (deps.informer("CephPool").get(pool) || (await deps.pvc.poolExists(pool)))
    return respond(reply, fail(`ERROR: A pool named ${q(pool)} already exists in the cluster.`));
  const verdict = await attempt(async () => {
    const written = await deps.store.create({
      apiVersion: API_GROUP_VERSION,
      kind: "CephPool",
      metadata: { name: pool },
      spec: { pgs, replication },
    });
    const result = await waitForConvergence(deps, written, {
      success: `Created new RBD pool ${q(pool)} with ${q(pgs)} PGs and replication configuration ${replcfg}.`,
    });
    if (refused(result)) await rollback(deps, "CephPool", pool);
    return result;
  });
  return respond(reply, verdict);
};

/** Deletes the pool's volume and snapshot objects: their images went with the pool. */
async function deleteDependents(deps: FacadeDeps, pool: string): Promise<void> {
  const dependents = [
    ...lookUp(deps.informer("CephSnapshot"), inPool, pool).map(
      (s) => ["CephSnapshot", s.metadata.name] as const,
    ),
    ...lookUp(deps.informer("CephVolume"), inPool, pool).map((x) => ["CephVolume", x.metadata.name] as const),
  ];
  for (const [kind, name] of dependents) {
    const d = await deps.store.delete(kind, name).catch(() => undefined);
    if (d) await waitForDeletion(deps, d, { success: "" });
  }
}

export const deletePool: FacadeHandler<ByPool> = async (deps, request, reply) => {
  const pool = request.params.pool;
  if (!hasFlag(readValues(request), "yes_i_really_mean_it")) return respond(reply, fail(CONFIRM));
  if (!deps.informer("CephPool").get(pool))
    return respond(reply, fail(`ERROR: No pool with name ${q(pool)} is present in the cluster.`));
  const verdict = await attempt(async (): Promise<Verdict> => {
    // The declarative yes_i_really_mean_it: the pool goes with its volumes.
    await deps.store.patch("CephPool", pool, { spec: { confirmDeleteWithVolumes: pool } });
    const deleted = await deps.store.delete("CephPool", pool);
    const gone = await waitForDeletion(deps, deleted, {
      success: `Removed RBD pool ${q(pool)} and all volumes.`,
    });
    if (!gone.ok) return gone;
    // The objects' finalizers only clean up.
    await deleteDependents(deps, pool);
    return gone;
  });
  return respond(reply, verdict);
};
