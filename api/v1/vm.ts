/**
 * /api/v1/vm: PVC v0.6's VM endpoints over VirtualMachine resources. A read comes from the informer
 * (the spec, and the status the controller mirrors from `/domains/<uuid>`); a write is a change of
 * the resource waited on until its controller says Ready (200) or Stalled (510 with why), and one
 * the controller refuses is taken back. `<vm>` is a name or a uuid. The handlers live in vm/:
 * vms.ts (list, define, show, undefine), update.ts (metadata, XML), state.ts, node.ts, locks.ts;
 * this file only maps paths to them.
 */
import type { FacadePlugin } from "./facade.ts";
import { bind } from "./routes.ts";
import { flushVmLocks, getVmLocks } from "./vm/locks.ts";
import { getVmNode, setVmNode } from "./vm/node.ts";
import { getVmState, setVmState } from "./vm/state.ts";
import { replaceVmXml, updateVmMetadata } from "./vm/update.ts";
import { defineVm, deleteVm, getVm, listVms } from "./vm/vms.ts";

type ByRef = { Params: { vm: string } };

export const vmFacade: FacadePlugin = async (app, { deps }) => {
  app.get("/vm", bind(deps, listVms));
  app.post("/vm", bind(deps, defineVm));
  app.get<ByRef>("/vm/:vm", bind(deps, getVm));
  app.post<ByRef>("/vm/:vm", bind(deps, updateVmMetadata));
  app.put<ByRef>("/vm/:vm", bind(deps, replaceVmXml));
  app.delete<ByRef>("/vm/:vm", bind(deps, deleteVm));
  app.get<ByRef>("/vm/:vm/state", bind(deps, getVmState));
  app.post<ByRef>("/vm/:vm/state", bind(deps, setVmState));
  app.get<ByRef>("/vm/:vm/node", bind(deps, getVmNode));
  app.post<ByRef>("/vm/:vm/node", bind(deps, setVmNode));
  app.get<ByRef>("/vm/:vm/locks", bind(deps, getVmLocks));
  app.post<ByRef>("/vm/:vm/locks", bind(deps, flushVmLocks));
};
