/** /vm and /vm/<vm>: list, define, show, undefine (PVC v0.6's shapes and messages). */
import type { FastifyReply } from "fastify";
import { API_GROUP_VERSION } from "../../../src/resources/types.ts";
import { waitForDeletion } from "../converge.ts";
import { attempt, type FacadeDeps, type FacadeHandler, fail, notFound, respond } from "../facade.ts";
import { sendKeptJson } from "../kept-body.ts";
import { limitFilter } from "../limit.ts";
import { getValue, hasFlag, readValues, type Values } from "../values.ts";
import {
  createAndWait,
  findVm,
  KIND,
  nodeLimit,
  notFoundMessage,
  q,
  selectorProblem,
  vms,
} from "./common.ts";
import { allVmsJson, listJson, uuidOf } from "./shape.ts";
import { domainXml } from "./xml.ts";

type ByRef = { vm: string };

/** JSON text or bytes, as they are (made in shape.ts, where they are kept). */
function sendJson(reply: FastifyReply, body: string | Buffer): FastifyReply {
  return reply.type("application/json; charset=utf-8").send(body);
}

/** GET /vm: every VM; `limit` matches the name or the uuid (v0.6 tried both); `node`, `state` filter exactly. */
export const listVms: FacadeHandler = async (deps, request, reply) => {
  const v = readValues(request);
  const limit = getValue(v, "limit");
  const node = getValue(v, "node");
  const state = getValue(v, "state");
  if (!limit && node === undefined && state === undefined && deps.informer(KIND).size > 0) {
    return sendKeptJson(request, reply, allVmsJson(deps.informer(KIND)));
  }
  const match = limitFilter(limit);
  const list = vms(deps).filter(
    (vm) =>
      (match(vm.metadata.name) || match(uuidOf(vm))) &&
      (node === undefined || vm.status?.node === node) &&
      (state === undefined || vm.status?.state === state),
  );
  if (list.length === 0) return notFound(reply, "VM not found.");
  return sendJson(reply, listJson(list));
};

export const getVm: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const vm = findVm(deps, request.params.vm);
  if (!vm) return notFound(reply, "VM not found.");
  return sendJson(reply, listJson([vm]));
};

/** POST /vm's values as a spec (the VM stays stopped, as v0.6's define left it), or v0.6's message. */
async function defineSpec(deps: FacadeDeps, v: Values) {
  const parsed = domainXml(getValue(v, "xml"));
  if (typeof parsed === "string") return parsed;
  const selector = getValue(v, "selector");
  const bad = selectorProblem(selector);
  if (bad) return bad;
  const limit = await nodeLimit(deps, getValue(v, "limit") ?? "");
  const node = getValue(v, "node");
  // The manual: a node that is not valid (no node, or outside the limit) means "choose one".
  const valid =
    node !== undefined && (await deps.pvc.nodeExists(node)) && (limit.length === 0 || limit.includes(node));
  return {
    ...parsed,
    spec: {
      xml: parsed.xml,
      ...(valid ? { node } : {}),
      nodeLimit: limit,
      ...(selector ? { nodeSelector: selector } : {}),
      autostart: hasFlag(v, "autostart"),
      runState: "stop",
    },
  };
}

export const defineVm: FacadeHandler = async (deps, request, reply) => {
  const asked = await defineSpec(deps, readValues(request));
  if (typeof asked === "string") return respond(reply, fail(asked));
  const { name, uuid } = asked;
  const taken = `ERROR: Specified VM ${q(name)} or UUID ${q(uuid)} matches an existing VM on the cluster`;
  if (findVm(deps, name) || findVm(deps, uuid) || (await deps.pvc.domainExists(uuid))) {
    return respond(reply, fail(taken));
  }
  const doc = { apiVersion: API_GROUP_VERSION, kind: KIND, metadata: { name }, spec: asked.spec };
  const success = `Added new VM with Name ${q(name)} and UUID ${q(uuid)} to database.`;
  return respond(reply, await createAndWait(deps, doc, success));
};

/** DELETE /vm/<vm>: stop, undefine; with `delete_disks`, the VM's volumes go too. */
export const deleteVm: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const ref = request.params.vm;
  const vm = findVm(deps, ref);
  if (!vm) return respond(reply, fail(notFoundMessage(ref)));
  const name = vm.metadata.name;
  const deleteDisks = hasFlag(readValues(request), "delete_disks");
  const verdict = await attempt(async () => {
    // The request decides, whatever the spec said: the finalizer reads spec.deleteDisks.
    if (vm.spec.deleteDisks !== deleteDisks) await deps.store.patch(KIND, name, { spec: { deleteDisks } });
    const deleted = await deps.store.delete(KIND, name);
    return waitForDeletion(deps, deleted, {
      success: deleteDisks
        ? `Removed VM ${q(name)} and disks from the cluster.`
        : `Undefined VM ${q(name)} from the cluster.`,
    });
  });
  return respond(reply, verdict);
};
