/**
 * /api/v1/node: PVC v0.6's node endpoints over Node resources. Reads come from the informer (the
 * Node status mirrors each node's keys); a POST of coordinator-state or domain-state is a change of
 * the Node's spec (a request its controller carries out), waited on until the node gets there
 * (200) or refused with v0.6's message (510). Nodes are never created or deleted here: node
 * daemons register them. The handlers live in node/; this file only maps paths to them.
 */
import type { FacadePlugin } from "./facade.ts";
import { getCoordinatorState, getDaemonState, getDomainState, getNode, listNodes } from "./node/nodes.ts";
import { setCoordinatorState, setDomainState } from "./node/states.ts";
import { bind } from "./routes.ts";

type ByNode = { Params: { node: string } };

export const nodeFacade: FacadePlugin = async (app, { deps }) => {
  app.get("/node", bind(deps, listNodes));
  app.get<ByNode>("/node/:node", bind(deps, getNode));
  app.get<ByNode>("/node/:node/daemon-state", bind(deps, getDaemonState));
  app.get<ByNode>("/node/:node/coordinator-state", bind(deps, getCoordinatorState));
  app.post<ByNode>("/node/:node/coordinator-state", bind(deps, setCoordinatorState));
  app.get<ByNode>("/node/:node/domain-state", bind(deps, getDomainState));
  app.post<ByNode>("/node/:node/domain-state", bind(deps, setDomainState));
};
