/**
 * /api/v1/storage: PVC v0.6's Ceph endpoints. Reads come from PVC's own `/ceph` keys (the mirror
 * the Ceph controllers and the CephCluster loop keep), shaped as v0.6's client-common/ceph.py
 * returns them. Pool, volume and snapshot writes are writes of CephPool/CephVolume/CephSnapshot
 * resources, waited on until Ready or Stalled ("Ceph endpoints wait until the command completes");
 * a volume write also waits for Mirrored (PVC's `stats` key written from `rbd info`), because v0.6
 * answered only after its `rbd info` and ZooKeeper write, so a GET right after shows the stats;
 * OSD state and cluster flags are direct `ceph` commands (there is no OSD kind), after which the
 * OSD mirror is refreshed. Messages are v0.6's (its `"` turned into `'`); where v0.6 crashed
 * (pool add, volume list by pool, volume GET, snapshot add) or answered 400, this follows the
 * manual (510 for every failed write). A pool created without `replcfg` gets the cluster's own
 * pool defaults (PVC's copies=3,mincopies=2 on a stock Ceph; 1/1 on the one-node stack). A GET
 * naming a pool, volume or snapshot that no name rule allows is a 400 naming the value. A create its controller refuses is rolled back; one still
 * converging when the wait ends is stored and stays (converge.ts `refused`).
 *
 * Rename (PUT name=) moves the resource and the image together, so that a crash at any point
 * never loses nor duplicates the image, and a repeated PUT resumes where the last one stopped:
 *   1. the old CephVolume is set to deletionPolicy Retain and onExternalDelete report, and we wait
 *      until its controller has seen that (so nothing of it can remove or recreate the image);
 *   2. a new CephVolume `<pool>.<new>` is created with the annotations rename-from=<old> and
 *      image-id=<id>; its controller records a rename intent and runs `rbd rename` (atomic), or
 *      adopts `<new>` if it already carries that image id (a crash after the rename);
 *   3. the old volume's snapshots get new CephSnapshot objects that adopt the renamed snapshots
 *      (rbd rename keeps them); the old snapshot objects are retained-deleted;
 *   4. the old CephVolume is deleted: Retain, so only its mirror keys go.
 * The image exists under exactly one name at every instant (rbd rename), and no step deletes or
 * copies an image.
 */

import type { FastifyReply } from "fastify";
import { refreshCephCluster } from "../../controllers/ceph/cluster.ts";
import {
  ADOPT_ANNOTATION,
  IMAGE_ID_ANNOTATION,
  MIRRORED,
  RENAME_FROM_ANNOTATION,
} from "../../controllers/ceph/common.ts";
import { CephClient } from "../../src/ceph/client.ts";
import {
  OSD_FLAGS,
  validatePoolName,
  validateSnapshotName,
  validateVolumeName,
} from "../../src/ceph/names.ts";
import { parseSize } from "../../src/ceph/size.ts";
import type { CephPoolSpec, CephSnapshotSpec, CephVolumeSpec } from "../../src/resources/specs.ts";
import { API_GROUP_VERSION, type Resource } from "../../src/resources/types.ts";
import { refused, waitForConvergence, waitForDeletion } from "./converge.ts";
import {
  attempt,
  badRequest,
  type FacadePlugin,
  fail,
  notFound,
  ok,
  respond,
  type Verdict,
} from "./facade.ts";
import { limitFilter } from "./limit.ts";
import {
  deviceProblem,
  osdAddCommands,
  osdRemoveCommands,
  parseWeight,
  preflight,
  runCommands,
  show,
} from "./storage-osd.ts";
import { getValue, hasFlag, readValues } from "./values.ts";

type CephPool = Resource<CephPoolSpec>;
type CephVolume = Resource<CephVolumeSpec>;
type CephSnapshot = Resource<CephSnapshotSpec>;

const q = (value: unknown) => `'${String(value)}'`;
/** PVC's replication of a new pool (v0.6's `replcfg` default). */
const PVC_DEFAULT_REPLCFG = "copies=3,mincopies=2";
const CONFIRM =
  "ERROR: This command can have unintended consequences and should not be automated; if you're sure you know what you're doing, resend with the argument 'yes_i_really_mean_it'.";

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

/** A name check as one PVC-style line (our name rules are stricter than Ceph's own). */
function nameProblem(check: (v: unknown) => string, value: string): string | undefined {
  try {
    check(value);
    return undefined;
  } catch (err) {
    return `ERROR: ${(err as Error).message}.`;
  }
}

function poolNameProblem(pool: string): string | undefined {
  if (pool.includes("."))
    return `ERROR: invalid pool name ${JSON.stringify(pool)}: '.' is not allowed in pool names.`;
  return nameProblem(validatePoolName, pool);
}

export const storageFacade: FacadePlugin = async (app, { deps }) => {
  const { pvc } = deps;
  const zk = deps.store.zk;
  let cephClient: CephClient | undefined;
  /** The app's Ceph client (configured ceph.conf, metrics), else one on CEPH_CONF. */
  const ceph = (): CephClient => {
    const given = deps.services.ceph;
    if (given) return given as CephClient;
    cephClient ??= new CephClient();
    return cephClient;
  };

  const children = async (path: string): Promise<string[]> =>
    (await zk.children(path).catch(() => [] as string[])).sort();
  const read = async (path: string): Promise<string | undefined> => (await zk.tryGet(path))?.data;
  const readJson = async (path: string): Promise<Record<string, unknown>> => {
    try {
      return JSON.parse((await read(path)) ?? "{}") as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const volumes = () => deps.informer("CephVolume").list() as unknown as CephVolume[];
  const snapshots = () => deps.informer("CephSnapshot").list() as unknown as CephSnapshot[];
  const getPool = (pool: string) => deps.informer("CephPool").get(pool) as unknown as CephPool | undefined;
  const getVolume = (pool: string, volume: string) =>
    deps.informer("CephVolume").get(`${pool}.${volume}`) as unknown as CephVolume | undefined;
  const getSnapshot = (pool: string, volume: string, snap: string) =>
    deps.informer("CephSnapshot").get(`${pool}.${volume}@${snap}`) as unknown as CephSnapshot | undefined;

  /**
   * Deletes a resource we just created and that its controller refused (a refused create leaves
   * nothing). One that is still converging when the wait ends is stored, as the answer says, and
   * stays: see `refused` in converge.ts, which the network group follows too.
   */
  const rollback = async (kind: string, name: string) => {
    await deps.store.delete(kind, name).catch(() => undefined);
  };

  /**
   * The replication of a pool created without `replcfg`: the cluster's own pool defaults, as its
   * mon runs with them (`osd pool default size` / `min size`). On a cluster that keeps Ceph's
   * defaults that is PVC's copies=3,mincopies=2; the one-node stack's ceph.conf sets 1 and 1, so
   * the manual's call works there as on any one-node cluster. When they cannot be read, PVC's.
   */
  const defaultReplcfg = async (): Promise<string> => {
    const d = await ceph()
      .poolDefaults()
      .catch(() => undefined);
    return d ? `copies=${d.size},mincopies=${d.minSize}` : PVC_DEFAULT_REPLCFG;
  };

  /** A GET naming a pool, volume or snapshot that cannot exist: 400 naming the value, before any lookup. */
  const badNames = (
    reply: FastifyReply,
    names: Array<[check: (v: unknown) => string, value: string | undefined]>,
  ): FastifyReply | undefined => {
    for (const [check, value] of names) {
      const problem = value === undefined ? undefined : nameProblem(check, value);
      if (problem) return badRequest(reply, problem);
    }
    return undefined;
  };

  // --- cluster -------------------------------------------------------------------------------

  app.get("/storage", async () => ({ message: "Manage the storage of the PVC cluster." }));

  const status = async (key: string, type: string) => ({
    type,
    primary_node: (await read(pvc.primaryNode())) ?? "",
    ceph_data: ((await read(key)) ?? "").trimEnd(),
  });
  app.get("/storage/ceph", async () => status(pvc.ceph(), "status"));
  app.get("/storage/ceph/status", async () => status(pvc.ceph(), "status"));
  app.get("/storage/ceph/df", async () => status(pvc.cephRadosdf(), "utilization"));

  const refresh = () => refreshCephCluster({ zk, pvc, ceph: ceph() }).catch(() => []);

  app.post("/storage/ceph/cluster-option", async (request, reply) => {
    const v = readValues(request);
    const action = getValue(v, "action");
    const option = getValue(v, "option");
    if (action === undefined) return respond(reply, fail("ERROR: An action must be specified."));
    if (action !== "set" && action !== "unset")
      return respond(reply, fail("ERROR: Action must be one of: set, unset"));
    if (option === undefined) return respond(reply, fail("ERROR: An option must be specified."));
    if (!(OSD_FLAGS as readonly string[]).includes(option)) {
      return respond(
        reply,
        fail(`ERROR: Option ${q(option)} is not valid; must be one of: ${OSD_FLAGS.join(", ")}.`),
      );
    }
    const flag = option as (typeof OSD_FLAGS)[number];
    try {
      if (action === "set") await ceph().osdSet(flag);
      else await ceph().osdUnset(flag);
    } catch (err) {
      return respond(
        reply,
        fail(`ERROR: Failed to ${action} OSD property ${option}: ${(err as Error).message}`),
      );
    }
    await refresh();
    return respond(
      reply,
      ok(
        action === "set"
          ? `Set OSD property ${option} on the cluster.`
          : `Unset OSD property ${option} on the cluster.`,
      ),
    );
  });

  // --- OSDs ----------------------------------------------------------------------------------

  const osdInfo = async (id: string) => ({ id, stats: await readJson(pvc.cephOsdKey(id, "stats")) });
  const osdIds = async () =>
    (await children(pvc.cephOsds())).sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : 1));

  app.get("/storage/ceph/osd", async (request, reply) => {
    const match = limitFilter(getValue(readValues(request), "limit"));
    const list = await Promise.all((await osdIds()).filter(match).map(osdInfo));
    if (list.length === 0) return notFound(reply, "OSD not found.");
    return list;
  });

  app.post("/storage/ceph/osd", async (request, reply) => {
    const v = readValues(request);
    const node = getValue(v, "node");
    const device = getValue(v, "device");
    const weightText = getValue(v, "weight");
    if (node === undefined) return respond(reply, fail("ERROR: A node must be specified."));
    if (device === undefined) return respond(reply, fail("ERROR: A block device must be specified."));
    if (weightText === undefined) return respond(reply, fail("ERROR: An OSD weight must be specified."));
    const weight = parseWeight(weightText);
    if (weight === undefined)
      return respond(
        reply,
        fail(`ERROR: Weight ${q(weightText)} is not valid: give a positive number such as 1.0.`),
      );
    const bad = deviceProblem(device);
    if (bad) return respond(reply, fail(bad));
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(node) || !(await zk.exists(pvc.node(node)))) {
      return respond(reply, fail(`ERROR: No node named ${q(node)} is present in the cluster.`));
    }
    for (const id of await osdIds()) {
      if (
        (await read(pvc.cephOsdKey(id, "node"))) === node &&
        (await read(pvc.cephOsdKey(id, "device"))) === device
      ) {
        return respond(
          reply,
          fail(`ERROR: Block device ${q(device)} on node ${q(node)} is used by OSD ${q(id)}`),
        );
      }
    }
    const commands = osdAddCommands(node, device, weight);
    const blocked = preflight(node, device, commands);
    if (blocked) {
      return respond(
        reply,
        fail(
          `ERROR: Failed to create new OSD: \`${show(blocked.command)}\` cannot run: ${blocked.why}; nothing was run.`,
        ),
      );
    }
    const result = await runCommands(commands, ceph().runner.conf);
    if (!result.ok) {
      return respond(
        reply,
        fail(`ERROR: Failed to create new OSD: \`${result.command}\` failed: ${result.why}`),
      );
    }
    if (result.id !== undefined) {
      await zk
        .multi([
          { op: "create", path: pvc.cephOsd(result.id), data: "" },
          { op: "create", path: pvc.cephOsdKey(result.id, "node"), data: node },
          { op: "create", path: pvc.cephOsdKey(result.id, "device"), data: device },
          { op: "create", path: pvc.cephOsdKey(result.id, "stats"), data: "{}" },
        ])
        .catch(() => undefined);
    }
    await refresh();
    return respond(reply, ok(`Created new OSD with block device ${q(device)} on node ${q(node)}.`));
  });

  app.get<{ Params: { osd: string } }>("/storage/ceph/osd/:osd", async (request, reply) => {
    const id = request.params.osd;
    if (!(await osdIds()).includes(id)) return notFound(reply, "OSD not found.");
    return [await osdInfo(id)];
  });

  app.delete<{ Params: { osd: string } }>("/storage/ceph/osd/:osd", async (request, reply) => {
    const id = request.params.osd;
    if (!hasFlag(readValues(request), "yes_i_really_mean_it")) return respond(reply, fail(CONFIRM));
    if (!(await osdIds()).includes(id))
      return respond(reply, fail(`ERROR: No OSD with ID ${q(id)} is present in the cluster.`));
    const node = (await read(pvc.cephOsdKey(id, "node"))) ?? "";
    const device = (await read(pvc.cephOsdKey(id, "device"))) ?? "";
    const commands = osdRemoveCommands(Number(id), device);
    const blocked = preflight(node, device, commands);
    if (blocked) {
      return respond(
        reply,
        fail(
          `ERROR: Failed to remove OSD ${id}: \`${show(blocked.command)}\` cannot run: ${blocked.why}; nothing was run.`,
        ),
      );
    }
    const result = await runCommands(commands, ceph().runner.conf);
    if (!result.ok) {
      return respond(
        reply,
        fail(`ERROR: Failed to remove OSD ${id}: \`${result.command}\` failed: ${result.why}`),
      );
    }
    await zk.deleteRecursive(pvc.cephOsd(id)).catch(() => undefined);
    await refresh();
    return respond(reply, ok(`Removed OSD ${q(id)} from the cluster.`));
  });

  app.get<{ Params: { osd: string } }>("/storage/ceph/osd/:osd/state", async (request, reply) => {
    const id = request.params.osd;
    if (!(await osdIds()).includes(id)) return notFound(reply, "OSD not found.");
    const stats = await readJson(pvc.cephOsdKey(id, "stats"));
    return { id, in: stats.in, up: stats.up };
  });

  app.post<{ Params: { osd: string } }>("/storage/ceph/osd/:osd/state", async (request, reply) => {
    const id = request.params.osd;
    const state = getValue(readValues(request), "state");
    if (state === undefined) return respond(reply, fail("ERROR: A state must be specified."));
    if (state !== "in" && state !== "out")
      return respond(reply, fail("ERROR: State must be one of: in, out."));
    if (!(await osdIds()).includes(id))
      return respond(reply, fail(`ERROR: No OSD with ID ${q(id)} is present in the cluster.`));
    try {
      if (state === "in") await ceph().osdIn(Number(id));
      else await ceph().osdOut(Number(id));
    } catch (err) {
      return respond(
        reply,
        fail(`ERROR: Failed to set OSD ${state === "in" ? "online" : "offline"}: ${(err as Error).message}`),
      );
    }
    await refresh();
    return respond(
      reply,
      ok(state === "in" ? `Set OSD ${id} online in the cluster.` : `Set OSD ${id} offline in the cluster.`),
    );
  });

  // --- pools ---------------------------------------------------------------------------------

  const poolInfo = async (name: string) => ({ name, stats: await readJson(pvc.cephPoolKey(name, "stats")) });
  const listPools = async (match: (n: string) => boolean) =>
    Promise.all((await children(pvc.cephPools())).filter(match).map(poolInfo));

  app.get("/storage/ceph/pool", async (request, reply) => {
    const list = await listPools(limitFilter(getValue(readValues(request), "limit")));
    return list.length === 0 ? notFound(reply, "Pool not found.") : list;
  });
  app.get<{ Params: { pool: string } }>("/storage/ceph/pool/:pool", async (request, reply) => {
    const list = await listPools((n) => n === request.params.pool);
    return list.length === 0 ? notFound(reply, "Pool not found.") : list;
  });

  app.post("/storage/ceph/pool", async (request, reply) => {
    const v = readValues(request);
    const pool = getValue(v, "pool");
    const pgsText = getValue(v, "pgs");
    if (pool === undefined) return respond(reply, fail("ERROR: A pool name must be specified."));
    if (pgsText === undefined)
      return respond(reply, fail("ERROR: A placement group count (pgs) must be specified."));
    const badName = poolNameProblem(pool);
    if (badName) return respond(reply, fail(badName));
    const pgs = Number(pgsText);
    if (!/^\d+$/.test(pgsText) || pgs < 1 || pgs > 65536)
      return respond(
        reply,
        fail(`ERROR: PG count ${q(pgsText)} is not valid: give a whole number from 1 to 65536.`),
      );
    const replcfg = getValue(v, "replcfg") ?? (await defaultReplcfg());
    const replication = parseReplcfg(replcfg);
    if (typeof replication === "string") return respond(reply, fail(replication));
    if (getPool(pool) || (await zk.exists(pvc.cephPool(pool))))
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
      if (refused(result)) await rollback("CephPool", pool);
      return result;
    });
    return respond(reply, verdict);
  });

  app.delete<{ Params: { pool: string } }>("/storage/ceph/pool/:pool", async (request, reply) => {
    const pool = request.params.pool;
    if (!hasFlag(readValues(request), "yes_i_really_mean_it")) return respond(reply, fail(CONFIRM));
    const res = getPool(pool);
    if (!res) return respond(reply, fail(`ERROR: No pool with name ${q(pool)} is present in the cluster.`));
    const verdict = await attempt(async () => {
      // The declarative yes_i_really_mean_it: the pool goes with its volumes.
      await deps.store.patch("CephPool", pool, { spec: { confirmDeleteWithVolumes: pool } });
      const deleted = await deps.store.delete("CephPool", pool);
      const gone = await waitForDeletion(deps, deleted, {
        success: `Removed RBD pool ${q(pool)} and all volumes.`,
      });
      if (!gone.ok) return gone;
      // Their images went with the pool: the objects' finalizers only clean up.
      const dependents = [
        ...snapshots()
          .filter((s) => s.spec.pool === pool)
          .map((s) => ["CephSnapshot", s.metadata.name] as const),
        ...volumes()
          .filter((x) => x.spec.pool === pool)
          .map((x) => ["CephVolume", x.metadata.name] as const),
      ];
      for (const [kind, name] of dependents) {
        const d = await deps.store.delete(kind, name).catch(() => undefined);
        if (d) await waitForDeletion(deps, d, { success: "" });
      }
      return gone;
    });
    return respond(reply, verdict);
  });

  // --- volumes -------------------------------------------------------------------------------

  const volumeInfo = async (pool: string, volume: string) => {
    const stats = await readJson(pvc.cephVolumeStats(pool, volume));
    if (typeof stats.size === "number") stats.size = formatBytesToHuman(stats.size);
    return { name: volume, pool, stats };
  };
  const listVolumes = async (pool: string | undefined, match: (n: string) => boolean) => {
    const inPools = pool !== undefined ? [pool] : await children(pvc.cephPools());
    const out = [];
    for (const p of inPools) {
      for (const volume of await children(pvc.cephPoolVolumes(p))) {
        if (match(volume)) out.push(await volumeInfo(p, volume));
      }
    }
    return out;
  };

  app.get("/storage/ceph/volume", async (request, reply) => {
    const v = readValues(request);
    const pool = getValue(v, "pool");
    const bad = badNames(reply, [[validatePoolName, pool]]);
    if (bad) return bad;
    if (pool !== undefined && !(await zk.exists(pvc.cephPool(pool))))
      return notFound(reply, `ERROR: No pool with name ${q(pool)} is present in the cluster.`);
    const list = await listVolumes(pool, limitFilter(getValue(v, "limit")));
    return list.length === 0 ? notFound(reply, "Volume not found.") : list;
  });
  app.get<{ Params: { pool: string; volume: string } }>(
    "/storage/ceph/volume/:pool/:volume",
    async (request, reply) => {
      const { pool, volume } = request.params;
      const bad = badNames(reply, [
        [validatePoolName, pool],
        [validateVolumeName, volume],
      ]);
      if (bad) return bad;
      if (!(await zk.exists(pvc.cephVolume(pool, volume)))) return notFound(reply, "Volume not found.");
      return [await volumeInfo(pool, volume)];
    },
  );

  app.post("/storage/ceph/volume", async (request, reply) => {
    const v = readValues(request);
    const volume = getValue(v, "volume");
    const pool = getValue(v, "pool");
    const source = getValue(v, "source_volume");
    const sizeText = getValue(v, "size");
    if (volume === undefined) return respond(reply, fail("ERROR: A volume name must be specified."));
    if (pool === undefined) return respond(reply, fail("ERROR: A pool name must be spcified."));
    if (sizeText === undefined && source === undefined)
      return respond(
        reply,
        fail("ERROR: A volume size in bytes (or with an M/G/T suffix) must be specified."),
      );
    const badName =
      poolNameProblem(pool) ??
      nameProblem(validateVolumeName, volume) ??
      (source !== undefined ? nameProblem(validateVolumeName, source) : undefined);
    if (badName) return respond(reply, fail(badName));
    let size: number | undefined;
    if (source === undefined) {
      try {
        size = Number(parseSize(sizeText as string));
      } catch (err) {
        return respond(reply, fail(`ERROR: ${(err as Error).message}.`));
      }
    }
    if (!getPool(pool))
      return respond(reply, fail(`ERROR: No pool with name ${q(pool)} is present in the cluster.`));
    if (source !== undefined && !getVolume(pool, source))
      return respond(reply, fail(`ERROR: No volume with name ${q(source)} is present in pool ${pool}.`));
    if (getVolume(pool, volume) || (await zk.exists(pvc.cephVolume(pool, volume))))
      return respond(reply, fail(`ERROR: A volume named ${q(volume)} already exists in pool ${q(pool)}.`));
    const name = `${pool}.${volume}`;
    const verdict = await attempt(async () => {
      const written = await deps.store.create({
        apiVersion: API_GROUP_VERSION,
        kind: "CephVolume",
        metadata: { name },
        spec: source !== undefined ? { pool, source: { pool, volume: source } } : { pool, size },
      });
      const result = await waitForConvergence(deps, written, {
        success:
          source !== undefined
            ? `Cloned RBD volume ${q(source)} to ${q(volume)} on pool ${q(pool)}.`
            : `Created new RBD volume ${q(volume)} of size ${q(sizeText)} on pool ${q(pool)}.`,
        alsoTrue: [MIRRORED],
      });
      if (refused(result)) await rollback("CephVolume", name);
      return result;
    });
    return respond(reply, verdict);
  });

  /** Rename: see the file's header for the steps and why a crash cannot lose or duplicate. */
  async function rename(given: CephVolume, to: string): Promise<Verdict> {
    let old = given;
    if (!old.status?.imageId && old.status?.createdAt) {
      // Created, its id not read yet (the controller's mirror lane reads it): the rename needs it.
      const seen = await waitForConvergence(deps, old as unknown as Resource, {
        success: "",
        alsoTrue: [MIRRORED],
      });
      if (seen.ok) old = getVolume(old.spec.pool, old.spec.name) ?? old;
    }
    const { pool, name: from } = old.spec;
    const imageId = old.status?.imageId as string | undefined;
    const target = `${pool}.${to}`;
    const existing = deps.informer("CephVolume").get(target);
    const resuming = existing?.metadata.annotations?.[RENAME_FROM_ANNOTATION] === from;
    if (existing && !resuming)
      return fail(`ERROR: A volume named ${q(to)} already exists in pool ${q(pool)}.`);
    if (!imageId) return fail(`ERROR: Volume ${q(from)} on pool ${q(pool)} is not ready; not renaming it.`);
    // 1. The old object may no longer remove or recreate the image.
    if (old.spec.deletionPolicy !== "Retain" || old.spec.onExternalDelete !== "report") {
      const patched = await deps.store.patch("CephVolume", old.metadata.name, {
        spec: { deletionPolicy: "Retain", onExternalDelete: "report" },
      });
      const seen = await waitForConvergence(deps, patched, { success: "" });
      if (!seen.ok) return fail(`ERROR: Failed to rename volume ${from} to ${to}: ${seen.message}`);
    }
    // 2. The new object renames (or adopts) the image.
    const created = existing
      ? (existing as unknown as CephVolume)
      : await deps.store.create({
          apiVersion: API_GROUP_VERSION,
          kind: "CephVolume",
          metadata: {
            name: target,
            annotations: { [RENAME_FROM_ANNOTATION]: from, [IMAGE_ID_ANNOTATION]: imageId },
          },
          spec: {
            pool,
            name: to,
            size: old.spec.size ?? old.status?.sizeBytes,
            allowShrink: old.spec.allowShrink,
            onExternalDelete: old.spec.onExternalDelete,
            deletionPolicy: old.spec.deletionPolicy,
          },
        });
    const renamed = await waitForConvergence(deps, created as unknown as Resource, {
      success: "",
      alsoTrue: [MIRRORED],
    });
    if (!renamed.ok)
      return fail(
        `ERROR: Failed to rename volume ${from} to ${to}; check node logs for details. ${renamed.message}`,
      );
    // 3. Snapshots follow the image.
    for (const s of snapshots().filter((x) => x.spec.pool === pool && x.spec.volume === from)) {
      const snapName = `${pool}.${to}@${s.spec.name}`;
      if (!deps.informer("CephSnapshot").get(snapName)) {
        const made = await deps.store.create({
          apiVersion: API_GROUP_VERSION,
          kind: "CephSnapshot",
          metadata: { name: snapName, annotations: { [ADOPT_ANNOTATION]: "true" } },
          spec: { pool, volume: to, name: s.spec.name, deletionPolicy: s.spec.deletionPolicy },
        });
        await waitForConvergence(deps, made, { success: "" });
      }
      await deps.store.patch("CephSnapshot", s.metadata.name, { spec: { deletionPolicy: "Retain" } });
      const d = await deps.store.delete("CephSnapshot", s.metadata.name);
      await waitForDeletion(deps, d, { success: "" });
    }
    // 4. The old object goes; Retain: only its mirror keys.
    const deleted = await deps.store.delete("CephVolume", old.metadata.name);
    const gone = await waitForDeletion(deps, deleted, { success: "" });
    if (!gone.ok) return fail(`ERROR: Renamed, but ${gone.message}`);
    return ok(`Renamed RBD volume ${q(from)} to ${q(to)} on pool ${q(pool)}.`);
  }

  app.put<{ Params: { pool: string; volume: string } }>(
    "/storage/ceph/volume/:pool/:volume",
    async (request, reply) => {
      const { pool, volume } = request.params;
      const v = readValues(request);
      const size = getValue(v, "size");
      const to = getValue(v, "name");
      if ((size === undefined) === (to === undefined)) {
        return respond(
          reply,
          fail("ERROR: No name or size specified, or both specified; not changing anything."),
        );
      }
      const vol = getVolume(pool, volume);
      if (!vol)
        return respond(reply, fail(`ERROR: No volume with name ${q(volume)} is present in pool ${pool}.`));
      if (to !== undefined) {
        const bad = nameProblem(validateVolumeName, to);
        if (bad) return respond(reply, fail(bad));
        return respond(reply, await attempt(() => rename(vol, to)));
      }
      let bytes: number;
      try {
        bytes = Number(parseSize(size as string));
      } catch (err) {
        return respond(reply, fail(`ERROR: ${(err as Error).message}.`));
      }
      const before = vol.spec.size;
      const verdict = await attempt(async () => {
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
      return respond(reply, verdict);
    },
  );

  app.delete<{ Params: { pool: string; volume: string } }>(
    "/storage/ceph/volume/:pool/:volume",
    async (request, reply) => {
      const { pool, volume } = request.params;
      const vol = getVolume(pool, volume);
      if (!vol)
        return respond(reply, fail(`ERROR: No volume with name ${q(volume)} is present in pool ${pool}.`));
      // rbd refuses to remove an image with snapshots: refuse before marking anything for deletion.
      const snaps = snapshots()
        .filter((x) => x.spec.pool === pool && x.spec.volume === volume)
        .map((x) => x.spec.name);
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
        return waitForDeletion(deps, deleted, {
          success: `Removed RBD volume ${q(volume)} in pool ${q(pool)}.`,
        });
      });
      return respond(reply, verdict);
    },
  );

  // --- snapshots -----------------------------------------------------------------------------

  const listSnapshots = async (
    pool: string | undefined,
    volume: string | undefined,
    match: (n: string) => boolean,
  ): Promise<string[]> => {
    const out: string[] = [];
    const inPools = pool !== undefined ? [pool] : await children(pvc.cephPools());
    for (const p of inPools) {
      const vols = volume !== undefined ? [volume] : await children(pvc.cephPoolSnapshots(p));
      for (const vol of vols) {
        for (const snap of await children(pvc.cephVolumeSnapshots(p, vol))) {
          if (match(snap)) out.push(`${p}/${vol}@${snap}`);
        }
      }
    }
    return out;
  };

  app.get("/storage/ceph/volume/snapshot", async (request, reply) => {
    const v = readValues(request);
    const bad = badNames(reply, [
      [validatePoolName, getValue(v, "pool")],
      [validateVolumeName, getValue(v, "volume")],
    ]);
    if (bad) return bad;
    const list = await listSnapshots(
      getValue(v, "pool"),
      getValue(v, "volume"),
      limitFilter(getValue(v, "limit")),
    );
    return list.length === 0 ? notFound(reply, "Volume snapshot not found.") : list;
  });
  app.get<{ Params: { pool: string; volume: string; snapshot: string } }>(
    "/storage/ceph/volume/snapshot/:pool/:volume/:snapshot",
    async (request, reply) => {
      const { pool, volume, snapshot } = request.params;
      const bad = badNames(reply, [
        [validatePoolName, pool],
        [validateVolumeName, volume],
        [validateSnapshotName, snapshot],
      ]);
      if (bad) return bad;
      const list = await listSnapshots(pool, volume, (n) => n === snapshot);
      return list.length === 0 ? notFound(reply, "Volume snapshot not found.") : list;
    },
  );

  app.post("/storage/ceph/volume/snapshot", async (request, reply) => {
    const v = readValues(request);
    const snapshot = getValue(v, "snapshot");
    const volume = getValue(v, "volume");
    const pool = getValue(v, "pool");
    if (snapshot === undefined) return respond(reply, fail("ERROR: A snapshot name must be specified."));
    if (volume === undefined) return respond(reply, fail("ERROR: A volume name must be specified."));
    if (pool === undefined) return respond(reply, fail("ERROR: A pool name must be spcified."));
    const badName =
      poolNameProblem(pool) ??
      nameProblem(validateVolumeName, volume) ??
      nameProblem(validateSnapshotName, snapshot);
    if (badName) return respond(reply, fail(badName));
    if (!getVolume(pool, volume))
      return respond(reply, fail(`ERROR: No volume with name ${q(volume)} is present in pool ${pool}.`));
    if (getSnapshot(pool, volume, snapshot))
      return respond(
        reply,
        fail(
          `ERROR: A snapshot named ${q(snapshot)} of volume ${q(volume)} already exists on pool ${q(pool)}.`,
        ),
      );
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
      if (refused(result)) await rollback("CephSnapshot", name);
      return result;
    });
    return respond(reply, verdict);
  });

  app.delete<{ Params: { pool: string; volume: string; snapshot: string } }>(
    "/storage/ceph/volume/snapshot/:pool/:volume/:snapshot",
    async (request, reply) => {
      const { pool, volume, snapshot } = request.params;
      const snap = getSnapshot(pool, volume, snapshot);
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
    },
  );
};
