/**
 * /api/v1/network: PVC v0.6's network endpoints over Network resources. A read comes from the
 * informer (plus one read of PVC's keys: a vni taken outside our resources); a write is a change
 * of the resource waited on until its controller says Ready (200) or Stalled (510 with why), and a
 * create the controller refuses is taken back (converge.ts `refused`). The handlers live in
 * network/: networks.ts, leases.ts, acls.ts; this file only maps paths to them.
 */
import type { FacadePlugin } from "./facade.ts";
import { addAcl, deleteAcl, getAcl, listAcls } from "./network/acls.ts";
import { addLease, deleteLease, getLease, listLeases } from "./network/leases.ts";
import { createNetwork, deleteNetwork, getNetwork, listNetworks, updateNetwork } from "./network/networks.ts";
import { bind } from "./routes.ts";

type ByRef = { Params: { network: string } };
type ByLease = { Params: { network: string; lease: string } };
type ByAcl = { Params: { network: string; acl: string } };

export const networkFacade: FacadePlugin = async (app, { deps }) => {
  app.get("/network", bind(deps, listNetworks));
  app.post("/network", bind(deps, createNetwork));
  app.get<ByRef>("/network/:network", bind(deps, getNetwork));
  app.put<ByRef>("/network/:network", bind(deps, updateNetwork));
  app.delete<ByRef>("/network/:network", bind(deps, deleteNetwork));

  app.get<ByRef>("/network/:network/lease", bind(deps, listLeases));
  app.post<ByRef>("/network/:network/lease", bind(deps, addLease));
  for (const spelling of ["lease", "dhcp"]) {
    app.get<ByLease>(`/network/:network/${spelling}/:lease`, bind(deps, getLease));
    app.delete<ByLease>(`/network/:network/${spelling}/:lease`, bind(deps, deleteLease));
  }

  app.get<ByRef>("/network/:network/acl", bind(deps, listAcls));
  app.post<ByRef>("/network/:network/acl", bind(deps, addAcl));
  app.get<ByAcl>("/network/:network/acl/:acl", bind(deps, getAcl));
  app.delete<ByAcl>("/network/:network/acl/:acl", bind(deps, deleteAcl));
};
