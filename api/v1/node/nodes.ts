/** /node, /node/<node> and the state GETs: read from the Node objects' status (PVC v0.6's shapes). */
import type { PvcNode } from "../../../src/resources/specs.ts";
import type { FacadeDeps, FacadeHandler } from "../facade.ts";
import { notFound } from "../facade.ts";
import { limitFilter } from "../limit.ts";
import { getValue, readValues } from "../values.ts";
import { stateOf, toPvc } from "./shape.ts";

type ByNode = { node: string };

/** v0.6's answer to a GET of a node that is not there. */
export const NODE_NOT_FOUND = "Node not found.";

export function findNode(deps: FacadeDeps, name: string): PvcNode | undefined {
  return deps.informer("Node").get(name);
}

export const listNodes: FacadeHandler = async (deps, request, reply) => {
  const match = limitFilter(getValue(readValues(request), "limit"));
  const list = deps
    .informer("Node")
    .list()
    .filter((n) => match(n.metadata.name))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((n) => toPvc(n, deps.heartbeats.of(n.metadata.name)));
  if (list.length === 0) return notFound(reply, NODE_NOT_FOUND);
  return list;
};

export const getNode: FacadeHandler<ByNode> = async (deps, request, reply) => {
  const n = findNode(deps, request.params.node);
  if (!n) return notFound(reply, NODE_NOT_FOUND);
  return [toPvc(n, deps.heartbeats.of(n.metadata.name))];
};

function stateHandler(which: Parameters<typeof stateOf>[1]): FacadeHandler<ByNode> {
  return async (deps, request, reply) => {
    const n = findNode(deps, request.params.node);
    if (!n) return notFound(reply, NODE_NOT_FOUND);
    return stateOf(n, which);
  };
}

export const getDaemonState = stateHandler("daemon_state");
export const getCoordinatorState = stateHandler("coordinator_state");
export const getDomainState = stateHandler("domain_state");
