/**
 * /api/v1/storage: PVC v0.6's Ceph endpoints. Reads come from PVC's own `/ceph` keys (deps.pvc:
 * the mirror the Ceph controllers and the CephCluster loop keep), shaped as v0.6's
 * client-common/ceph.py returns them. Pool, volume and snapshot writes are writes of
 * CephPool/CephVolume/CephSnapshot resources, waited on until Ready or Stalled ("Ceph endpoints
 * wait until the command completes"); OSD state, OSD add/remove and cluster flags are the
 * operations of deps.cephOps (there is no OSD kind), after which the OSD mirror is refreshed.
 * Messages are v0.6's (its `"` turned into `'`); where v0.6 crashed (pool add, volume list by pool,
 * volume GET, snapshot add) or answered 400, this follows the manual (510 for every failed write).
 * A GET naming a pool, volume or snapshot that no name rule allows is a 400 naming the value. A
 * create its controller refuses is rolled back; one still converging when the wait ends is stored
 * and stays (converge.ts `refused`). The handlers live in storage/; this file only maps paths.
 */
import type { FacadePlugin } from "./facade.ts";
import { bind } from "./routes.ts";
import { cephStatus, cephUtilization, clusterOption, storageRoot } from "./storage/cluster.ts";
import { addOsd, getOsd, getOsdState, listOsds, removeOsd, setOsdState } from "./storage/osd.ts";
import { createPool, deletePool, getPool, getPools } from "./storage/pool.ts";
import { createSnapshot, deleteSnapshot, getSnapshot, getSnapshots } from "./storage/snapshot.ts";
import { createVolume, deleteVolume, getVolume, getVolumes, updateVolume } from "./storage/volume.ts";

type ById = { Params: { osd: string } };
type ByPool = { Params: { pool: string } };
type ByVolume = { Params: { pool: string; volume: string } };
type BySnapshot = { Params: { pool: string; volume: string; snapshot: string } };

export const storageFacade: FacadePlugin = async (app, { deps }) => {
  app.get("/storage", bind(deps, storageRoot));
  app.get("/storage/ceph", bind(deps, cephStatus));
  app.get("/storage/ceph/status", bind(deps, cephStatus));
  app.get("/storage/ceph/df", bind(deps, cephUtilization));
  app.post("/storage/ceph/cluster-option", bind(deps, clusterOption));

  app.get("/storage/ceph/osd", bind(deps, listOsds));
  app.post("/storage/ceph/osd", bind(deps, addOsd));
  app.get<ById>("/storage/ceph/osd/:osd", bind(deps, getOsd));
  app.delete<ById>("/storage/ceph/osd/:osd", bind(deps, removeOsd));
  app.get<ById>("/storage/ceph/osd/:osd/state", bind(deps, getOsdState));
  app.post<ById>("/storage/ceph/osd/:osd/state", bind(deps, setOsdState));

  app.get("/storage/ceph/pool", bind(deps, getPools));
  app.get<ByPool>("/storage/ceph/pool/:pool", bind(deps, getPool));
  app.post("/storage/ceph/pool", bind(deps, createPool));
  app.delete<ByPool>("/storage/ceph/pool/:pool", bind(deps, deletePool));

  app.get("/storage/ceph/volume", bind(deps, getVolumes));
  app.get<ByVolume>("/storage/ceph/volume/:pool/:volume", bind(deps, getVolume));
  app.post("/storage/ceph/volume", bind(deps, createVolume));
  app.put<ByVolume>("/storage/ceph/volume/:pool/:volume", bind(deps, updateVolume));
  app.delete<ByVolume>("/storage/ceph/volume/:pool/:volume", bind(deps, deleteVolume));

  app.get("/storage/ceph/volume/snapshot", bind(deps, getSnapshots));
  app.get<BySnapshot>("/storage/ceph/volume/snapshot/:pool/:volume/:snapshot", bind(deps, getSnapshot));
  app.post("/storage/ceph/volume/snapshot", bind(deps, createSnapshot));
  app.delete<BySnapshot>("/storage/ceph/volume/snapshot/:pool/:volume/:snapshot", bind(deps, deleteSnapshot));
};
