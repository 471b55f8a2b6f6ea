/**
 * /storage/ceph/volume/snapshot: snapshots as PVC's `/ceph/snapshots` keys show them
 * (`<pool>/<volume>@<snapshot>`); add and remove are CephSnapshot writes waited on until the
 * controller's verdict.
 */
import { validatePoolName, validateSnapshotName, validateVolumeName } from "../../../src/ceph/names.ts";
import { API_GROUP_VERSION } from "../../../src/resources/types.ts";
import { refused, waitForConvergence, waitForDeletion } from "../converge.ts";
import type { FacadeDeps, FacadeHandler } from "../facade.ts";
import { attempt, fail, notFound, respond } from "../facade.ts";
import { limitFilter } from "../limit.ts";
import { getValue, readValues, type Values } from "../values.ts";
import { badNames, nameProblem, poolNameProblem, q, rollback } from "./common.ts";
import { getVolumeObject } from "./volume.ts";

type BySnapshot = { pool: string; volume: string; snapshot: string };

async function listSnapshots(
  deps: FacadeDeps,
  pool: string | undefined,
  volume: string | undefined,
  match: (n: string) => boolean,
): Promise<string[]> {
  const out: string[] = [];
  const inPools = pool !== undefined ? [pool] : await deps.pvc.poolNames();
  for (const p of inPools) {
    const vols = volume !== undefined ? [volume] : await deps.pvc.snapshotVolumes(p);
    for (const vol of vols) {
      for (const snap of await deps.pvc.snapshotNames(p, vol)) {
        if (match(snap)) out.push(`${p}/${vol}@${snap}`);
      }
    }
  }
  return out;
}

export const getSnapshots: FacadeHandler = async (deps, request, reply) => {
  const v = readValues(request);
  const bad = badNames(reply, [
    [validatePoolName, getValue(v, "pool")],
    [validateVolumeName, getValue(v, "volume")],
  ]);
  if (bad) return bad;
  const list = await listSnapshots(
    deps,
    getValue(v, "pool"),
    getValue(v, "volume"),
    limitFilter(getValue(v, "limit")),
  );
  return list.length === 0 ? notFound(reply, "Volume snapshot not found.") : list;
};

export const getSnapshot: FacadeHandler<BySnapshot> = async (deps, request, reply) => {
  const { pool, volume, snapshot } = request.params;
  const bad = badNames(reply, [
    [validatePoolName, pool],
    [validateVolumeName, volume],
    [validateSnapshotName, snapshot],
  ]);
  if (bad) return bad;
  const list = await listSnapshots(deps, pool, volume, (n) => n === snapshot);
  return list.length === 0 ? notFound(reply, "Volume snapshot not found.") : list;
};

/** POST's snapshot, volume and pool, or v0.6's message for the first that is missing or wrong. */
function createValues(v: Values): BySnapshot | string {
  const snapshot = getValue(v, "snapshot");
  const volume = getValue(v, "volume");
  const pool = getValue(v, "pool");
  if (snapshot === undefined) return "ERROR: A snapshot name must be specified.";
  if (volume === undefined) return "ERROR: A volume name must be specified.";
  if (pool === undefined) return "ERROR: A pool name must be spcified.";
  return (
    poolNameProblem(pool) ??
    nameProblem(validateVolumeName, volume) ??
    nameProblem(validateSnapshotName, snapshot) ?? { pool, volume, snapshot }
  );
}

function snapshotObject(deps: FacadeDeps, { pool, volume, snapshot }: BySnapshot) {
  return deps.informer("CephSnapshot").get(`${pool}.${volume}@${snapshot}`);
}

export const createSnapshot: FacadeHandler = async (deps, request, reply) => {
  const values = createValues(readValues(request));
  if (typeof values === "string") return respond(reply, fail(values));
  const { pool, volume, snapshot } = values;
  if (!getVolumeObject(deps, pool, volume))
    return respond(reply, fail(`ERROR: No volume with name ${q(volume)} is present in pool ${pool}.`));
  if (snapshotObject(deps, values)) {
    return respond(
      reply,
      fail(
        `ERROR: A snapshot named ${q(snapshot)} of volume ${q(volume)} already exists on pool ${q(pool)}.`,
      ),
    );
  }
  const name = `${pool}.${volume}@${snapshot}`;
  const verdict = await attempt(async () => {
    const written = await deps.store.create({
      apiVersion: API_GROUP_VERSION,
      kind: "CephSnapshot",
      metadata: { name },
      spec: { pool, volume },
    });
    const result = await waitForConvergence(deps, written, {
      success: `Created new RBD snapshot ${q(snapshot)} of volume ${q(volume)} on pool ${q(pool)}.`,
    });
    if (refused(result)) await rollback(deps, "CephSnapshot", name);
    return result;
  });
  return respond(reply, verdict);
};

export const deleteSnapshot: FacadeHandler<BySnapshot> = async (deps, request, reply) => {
  const { pool, volume, snapshot } = request.params;
  const snap = snapshotObject(deps, request.params);
  if (!snap) {
    return respond(
      reply,
      fail(`ERROR: No snapshot with name ${q(snapshot)} is present of volume ${volume} on pool ${pool}.`),
    );
  }
  const verdict = await attempt(async () => {
    const deleted = await deps.store.delete("CephSnapshot", snap.metadata.name);
    return waitForDeletion(deps, deleted, {
      success: `Removed RBD snapshot ${q(snapshot)} of volume ${q(volume)} in pool ${q(pool)}.`,
    });
  });
  return respond(reply, verdict);
};
