/**
 * /api/v1/provisioner: PVC v0.6's provisioner endpoints over the template, script and profile
 * kinds (no PostgreSQL: each is a resource). JSON shapes are v0.6's table rows (provisioner/
 * shape.ts); messages are v0.6's with `'` quotes; a failed write is 510 as everywhere in /api/v1.
 * The handlers live in provisioner/; this file only maps paths.
 */
import type { FacadePlugin } from "./facade.ts";
import { createVm, taskStatus } from "./provisioner/create.ts";
import {
  addNet,
  createNetworkTemplate,
  deleteNetworkTemplate,
  getNet,
  getNetworkTemplate,
  listNets,
  listNetworkTemplates,
  removeNet,
} from "./provisioner/network.ts";
import { createProfile, deleteProfile, getProfile, listProfiles } from "./provisioner/profile.ts";
import {
  addDisk,
  createStorageTemplate,
  deleteStorageTemplate,
  getDisk,
  getStorageTemplate,
  listDisks,
  listStorageTemplates,
  removeDisk,
} from "./provisioner/storage.ts";
import {
  createSystemTemplate,
  deleteSystemTemplate,
  getSystemTemplate,
  listSystemTemplates,
} from "./provisioner/system.ts";
import { anyTemplate, listTemplates } from "./provisioner/templates.ts";
import {
  createScript,
  createUserdata,
  deleteScript,
  deleteUserdata,
  getScript,
  getUserdata,
  listScripts,
  listUserdata,
  updateScript,
  updateUserdata,
} from "./provisioner/text.ts";
import { bind } from "./routes.ts";

type T = { Params: { template: string } };
type Net = { Params: { template: string; vni: string } };
type Disk = { Params: { template: string; disk: string } };

export const provisionerFacade: FacadePlugin = async (app, { deps }) => {
  const base = "/provisioner/template";
  app.get(base, bind(deps, listTemplates));
  // The manual's `GET /provisioner/template/net200+net300` (no type in the path).
  app.get<T>(`${base}/:template`, bind(deps, anyTemplate));

  app.get(`${base}/system`, bind(deps, listSystemTemplates));
  app.post(`${base}/system`, bind(deps, createSystemTemplate));
  app.get<T>(`${base}/system/:template`, bind(deps, getSystemTemplate));
  app.post<T>(`${base}/system/:template`, bind(deps, createSystemTemplate));
  app.delete<T>(`${base}/system/:template`, bind(deps, deleteSystemTemplate));

  app.get(`${base}/network`, bind(deps, listNetworkTemplates));
  app.post(`${base}/network`, bind(deps, createNetworkTemplate));
  app.get<T>(`${base}/network/:template`, bind(deps, getNetworkTemplate));
  app.post<T>(`${base}/network/:template`, bind(deps, createNetworkTemplate));
  app.delete<T>(`${base}/network/:template`, bind(deps, deleteNetworkTemplate));
  app.get<T>(`${base}/network/:template/net`, bind(deps, listNets));
  app.post<T>(`${base}/network/:template/net`, bind(deps, addNet));
  app.get<Net>(`${base}/network/:template/net/:vni`, bind(deps, getNet));
  app.post<Net>(`${base}/network/:template/net/:vni`, bind(deps, addNet));
  app.delete<Net>(`${base}/network/:template/net/:vni`, bind(deps, removeNet));

  app.get(`${base}/storage`, bind(deps, listStorageTemplates));
  app.post(`${base}/storage`, bind(deps, createStorageTemplate));
  app.get<T>(`${base}/storage/:template`, bind(deps, getStorageTemplate));
  app.post<T>(`${base}/storage/:template`, bind(deps, createStorageTemplate));
  app.delete<T>(`${base}/storage/:template`, bind(deps, deleteStorageTemplate));
  app.get<T>(`${base}/storage/:template/disk`, bind(deps, listDisks));
  app.post<T>(`${base}/storage/:template/disk`, bind(deps, addDisk));
  app.get<Disk>(`${base}/storage/:template/disk/:disk`, bind(deps, getDisk));
  app.post<Disk>(`${base}/storage/:template/disk/:disk`, bind(deps, addDisk));
  app.delete<Disk>(`${base}/storage/:template/disk/:disk`, bind(deps, removeDisk));

  app.get(`${base}/userdata`, bind(deps, listUserdata));
  app.post(`${base}/userdata`, bind(deps, createUserdata));
  app.get<T>(`${base}/userdata/:template`, bind(deps, getUserdata));
  app.post<T>(`${base}/userdata/:template`, bind(deps, createUserdata));
  app.put<T>(`${base}/userdata/:template`, bind(deps, updateUserdata));
  app.delete<T>(`${base}/userdata/:template`, bind(deps, deleteUserdata));

  type S = { Params: { script: string } };
  app.get("/provisioner/script", bind(deps, listScripts));
  app.post("/provisioner/script", bind(deps, createScript));
  app.get<S>("/provisioner/script/:script", bind(deps, getScript));
  app.post<S>("/provisioner/script/:script", bind(deps, createScript));
  app.put<S>("/provisioner/script/:script", bind(deps, updateScript));
  app.delete<S>("/provisioner/script/:script", bind(deps, deleteScript));

  type P = { Params: { profile: string } };
  app.get("/provisioner/profile", bind(deps, listProfiles));
  app.post("/provisioner/profile", bind(deps, createProfile));
  app.get<P>("/provisioner/profile/:profile", bind(deps, getProfile));
  app.post<P>("/provisioner/profile/:profile", bind(deps, createProfile));
  app.delete<P>("/provisioner/profile/:profile", bind(deps, deleteProfile));

  app.post("/provisioner/create", bind(deps, createVm));
  app.get<{ Params: { task: string } }>("/provisioner/status/:task", bind(deps, taskStatus));
};
