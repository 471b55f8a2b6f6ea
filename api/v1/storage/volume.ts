/**
 * /storage/ceph/volume: volumes as PVC's `/ceph/volumes` keys show them (stats from `rbd info`,
 * written by the CephVolume mirror); add, resize and remove are CephVolume writes waited on until
 * Ready and Mirrored (v0.6 answered only after its `rbd info` and ZooKeeper write, so a GET right
 * after shows the stats). Rename is volume-rename.ts.
 */
import { validatePoolName, validateVolumeName } from "../../../src/ceph/names.ts";
import { parseSize } from "../../../src/ceph/size.ts";
import type { CephVolume } from "../../../src/resources/specs.ts";
import { MIRRORED } from "../../../src/resources/statuses.ts";
import { API_GROUP_VERSION } from "../../../src/resources/types.ts";
import { lookUp } from "../../../src/store/indexer.ts";
import { refused, waitForConvergence, waitForDeletion } from "../converge.ts";
import type { FacadeDeps, FacadeHandler } from "../facade.ts";
import { attempt, fail, notFound, respond } from "../facade.ts";
import { limitFilter } from "../limit.ts";
import { getValue, readValues, type Values } from "../values.ts";
import { badNames, nameProblem, poolNameProblem, q, rollback, snapshotVolume } from "./common.ts";
import { renameVolume } from "./volume-rename.ts";

type ByVolume = { pool: string; volume: string };

/** PVC's format_bytes_tohuman, quirks included (the smallest unit that keeps ≤ 4 digits). */
export function formatBytesToHuman(bytes: number): string {
  const units: Array<[string, number]> = [
    ["P", 1024 ** 5],
    ["T", 1024 ** 4],
    ["G", 1024 ** 3],
    ["M", 1024 ** 2],
    ["K", 1024],
    ["B", 1],
  ];
  let human = "";
  for (const [unit, size] of units) {
    const n = Math.ceil(bytes / size);
    if (n > 9999) continue;
    human = `${n}${unit}`;
  }
  return human;
}

export function getVolumeObject(deps: FacadeDeps, pool: string, volume: string): CephVolume | undefined {
  return deps.informer("CephVolume").get(`${pool}.${volume}`);
}

function noVolume(pool: string, volume: string): string {
  return `ERROR: No volume with name ${q(volume)} is present in pool ${pool}.`;
}

/** A size as bytes, or v0.6's message. */
function bytesOf(text: string): number | string {
  try {
    return Number(parseSize(text));
  } catch (err) {
    return `ERROR: ${(err as Error).message}.`;
  }
}

async function volumeInfo(deps: FacadeDeps, pool: string, volume: string) {
  const stats = await deps.pvc.volumeStats(pool, volume);
  if (typeof stats.size === "number") stats.size = formatBytesToHuman(stats.size);
  return { name: volume, pool, stats };
}

async function listVolumes(deps: FacadeDeps, pool: string | undefined, match: (n: string) => boolean) {
  const inPools = pool !== undefined ? [pool] : await deps.pvc.poolNames();
  const out = [];
  for (const p of inPools) {
    for (const volume of await deps.pvc.volumeNames(p)) {
      if (match(volume)) out.push(await volumeInfo(deps, p, volume));
    }
  }
  return out;
}

export const getVolumes: FacadeHandler = async (deps, request, reply) => {
  const v = readValues(request);
  const pool = getValue(v, "pool");
  const bad = badNames(reply, [[validatePoolName, pool]]);
  if (bad) return bad;
  if (pool !== undefined && !(await deps.pvc.poolExists(pool)))
    return notFound(reply, `ERROR: No pool with name ${q(pool)} is present in the cluster.`);
  const list = await listVolumes(deps, pool, limitFilter(getValue(v, "limit")));
  return list.length === 0 ? notFound(reply, "Volume not found.") : list;
};

export const getVolume: FacadeHandler<ByVolume> = async (deps, request, reply) => {
  const { pool, volume } = request.params;
  const bad = badNames(reply, [
    [validatePoolName, pool],
    [validateVolumeName, volume],
  ]);
  if (bad) return bad;
  if (!(await deps.pvc.volumeExists(pool, volume))) return notFound(reply, "Volume not found.");
  return [await volumeInfo(deps, pool, volume)];
};

/** POST's values: a new volume of a size, or a clone of `source`; or v0.6's message. */
function createValues(v: Values) {
  const volume = getValue(v, "volume");
  const pool = getValue(v, "pool");
  const source = getValue(v, "source_volume");
  const sizeText = getValue(v, "size");
  if (volume === undefined) return "ERROR: A volume name must be specified.";
  if (pool === undefined) return "ERROR: A pool name must be spcified.";
  if (sizeText === undefined && source === undefined)
    return "ERROR: A volume size in bytes (or with an M/G/T suffix) must be specified.";
  const badName =
    poolNameProblem(pool) ??
    nameProblem(validateVolumeName, volume) ??
    (source !== undefined ? nameProblem(validateVolumeName, source) : undefined);
  if (badName) return badName;
  if (source !== undefined) return { pool, volume, source, spec: { pool, source: { pool, volume: source } } };
  const size = bytesOf(sizeText as string);
  if (typeof size === "string") return size;
  return { pool, volume, sizeText, spec: { pool, size } };
}

export const createVolume: FacadeHandler = async (deps, request, reply) => {
  const values = createValues(readValues(request));
  if (typeof values === "string") return respond(reply, fail(values));
  const { pool, volume, source } = values;
  if (!deps.informer("CephPool").get(pool))
    return respond(reply, fail(`ERROR: No pool with name ${q(pool)} is present in the cluster.`));
  if (source !== undefined && !getVolumeObject(deps, pool, source))
    return respond(reply, fail(noVolume(pool, source)));
  if (getVolumeObject(deps, pool, volume) || (await deps.pvc.volumeExists(pool, volume)))
    return respond(reply, fail(`ERROR: A volume named ${q(volume)} already exists in pool ${q(pool)}.`));
  const name = `${pool}.${volume}`;
  const verdict = await attempt(async () => {
    const written = await deps.store.create({
      apiVersion: API_GROUP_VERSION,
      kind: "CephVolume",
      metadata: { name },
      spec: values.spec,
    });
    const result = await waitForConvergence(deps, written, {
      success:
        source !== undefined
          ? `Cloned RBD volume ${q(source)} to ${q(volume)} on pool ${q(pool)}.`
          : `Created new RBD volume ${q(volume)} of size ${q(values.sizeText)} on pool ${q(pool)}.`,
      alsoTrue: [MIRRORED],
    });
    if (refused(result)) await rollback(deps, "CephVolume", name);
    return result;
  });
  return respond(reply, verdict);
};

/** PUT size=: a CephVolume spec change; a refused resize puts the spec back to the image's size. */
async function resize(deps: FacadeDeps, vol: CephVolume, asked: ByVolume & { size: string; bytes: number }) {
  const { pool, volume, size, bytes } = asked;
  const before = vol.spec.size;
  return attempt(async () => {
    const patched = await deps.store.patch("CephVolume", vol.metadata.name, { spec: { size: bytes } });
    const result = await waitForConvergence(deps, patched, {
      success: `Resized RBD volume ${q(volume)} to size ${q(size)} on pool ${q(pool)}.`,
      alsoTrue: [MIRRORED],
    });
    if (refused(result) && before !== undefined) {
      // A refused resize changes nothing: the spec goes back to the size the image has.
      await deps.store
        .patch("CephVolume", vol.metadata.name, { spec: { size: before } })
        .catch(() => undefined);
    }
    return result;
  });
}

export const updateVolume: FacadeHandler<ByVolume> = async (deps, request, reply) => {
  const { pool, volume } = request.params;
  const v = readValues(request);
  const size = getValue(v, "size");
  const to = getValue(v, "name");
  if ((size === undefined) === (to === undefined))
    return respond(
      reply,
      fail("ERROR: No name or size specified, or both specified; not changing anything."),
    );
  const vol = getVolumeObject(deps, pool, volume);
  if (!vol) return respond(reply, fail(noVolume(pool, volume)));
  if (to !== undefined) {
    const bad = nameProblem(validateVolumeName, to);
    if (bad) return respond(reply, fail(bad));
    return respond(reply, await attempt(() => renameVolume(deps, vol, to)));
  }
  const bytes = bytesOf(size as string);
  if (typeof bytes === "string") return respond(reply, fail(bytes));
  return respond(reply, await resize(deps, vol, { pool, volume, size: size as string, bytes }));
};

export const deleteVolume: FacadeHandler<ByVolume> = async (deps, request, reply) => {
  const { pool, volume } = request.params;
  const vol = getVolumeObject(deps, pool, volume);
  if (!vol) return respond(reply, fail(noVolume(pool, volume)));
  // rbd refuses to remove an image with snapshots: refuse before marking anything for deletion.
  const snaps = lookUp(deps.informer("CephSnapshot"), snapshotVolume, `${pool}/${volume}`).map(
    (x) => x.spec.name,
  );
  if (snaps.length > 0) {
    return respond(
      reply,
      fail(
        `ERROR: Failed to remove volume ${q(volume)} in pool ${q(pool)}: it still has snapshots: ${snaps.join(", ")}.`,
      ),
    );
  }
  const verdict = await attempt(async () => {
    const deleted = await deps.store.delete("CephVolume", vol.metadata.name);
    return waitForDeletion(deps, deleted, { success: `Removed RBD volume ${q(volume)} in pool ${q(pool)}.` });
  });
  return respond(reply, verdict);
};
