/** /network and /network/<network>: list, add, show, modify, remove (PVC v0.6's messages). */
import { API_GROUP_VERSION } from "../../../src/resources/types.ts";
import { refused, waitForConvergence, waitForDeletion } from "../converge.ts";
import { attempt, type FacadeHandler, fail, notFound, ok, respond } from "../facade.ts";
import { limitFilter } from "../limit.ts";
import { getValue, readValues } from "../values.ts";
import { findNetwork, networks, networksDescribed, notFoundMessage, patchAndWait, q } from "./common.ts";
import { toPvc } from "./shape.ts";
import { createSpec, createValues, updateSpec } from "./spec.ts";

type ByRef = { network: string };

/** A description that can be an object name is the resource's name; otherwise `vni-<vni>`. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

export const listNetworks: FacadeHandler = async (deps, request, reply) => {
  const match = limitFilter(getValue(readValues(request), "limit"));
  const list = networks(deps)
    .filter((n) => match(String(n.spec.vni)) || match(n.spec.description))
    .sort((a, b) => a.spec.vni - b.spec.vni)
    .map(toPvc);
  if (list.length === 0) return notFound(reply, "Network not found.");
  return list;
};

export const createNetwork: FacadeHandler = async (deps, request, reply) => {
  const v = readValues(request);
  const required = createValues(v);
  if (typeof required === "string") return respond(reply, fail(required));
  const { vni, vniText, description } = required;
  if (findNetwork(deps, vniText)?.spec.vni === vni || (await deps.pvc.networkExists(vni))) {
    return respond(reply, fail(`ERROR: A network with VNI ${q(vni)} already exists!`));
  }
  if (networksDescribed(deps, description).length > 0) {
    return respond(reply, fail(`ERROR: A network with description ${q(description)} already exists!`));
  }
  const spec = createSpec(v, required);
  if (typeof spec === "string") return respond(reply, fail(spec));
  const name = NAME.test(description) ? description : `vni-${vni}`;
  const doc = { apiVersion: API_GROUP_VERSION, kind: "Network", metadata: { name }, spec };
  const verdict = await attempt(async () => {
    const written = await deps.store.create(doc);
    const outcome = await waitForConvergence(deps, written, {
      success: `Network ${q(description)} added successfully!`,
    });
    if (refused(outcome)) {
      // Refused by the controller: take the resource back, so nothing is half-applied.
      await deps.store.delete("Network", name).catch(() => undefined);
    }
    return outcome;
  });
  return respond(reply, verdict);
};

export const getNetwork: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const n = findNetwork(deps, request.params.network);
  if (!n) return notFound(reply, "Network not found.");
  return [toPvc(n)];
};

export const updateNetwork: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const ref = request.params.network;
  const n = findNetwork(deps, ref);
  if (!n) return respond(reply, fail(notFoundMessage(ref)));
  const v = readValues(request);
  const description = getValue(v, "description");
  if (description && networksDescribed(deps, description).some((o) => o !== n)) {
    return respond(reply, fail(`ERROR: A network with description ${q(description)} already exists!`));
  }
  const spec = updateSpec(v, n.spec);
  if (typeof spec === "string") return respond(reply, fail(spec));
  const success = `Network ${q(n.spec.vni)} modified successfully!`;
  if (Object.keys(spec).length === 0) return respond(reply, ok(success));
  return respond(reply, await patchAndWait(deps, n, spec, success));
};

export const deleteNetwork: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const ref = request.params.network;
  const n = findNetwork(deps, ref);
  if (!n) return respond(reply, fail(notFoundMessage(ref)));
  const deleted = await deps.store.delete("Network", n.metadata.name);
  return respond(
    reply,
    await waitForDeletion(deps, deleted, {
      success: `Network ${q(n.spec.description)} removed successfully!`,
    }),
  );
};
