/** /network/<network>/acl: firewall rules, spec.acls.<direction>; list order is PVC's order. */
import type { AclRule, Network } from "../../../src/resources/specs.ts";
import { type FacadeHandler, fail, notFound, respond } from "../facade.ts";
import { limitFilter } from "../limit.ts";
import { getValue, readValues, type Values } from "../values.ts";
import { findNetwork, notFoundMessage, patchAndWait, q } from "./common.ts";
import { acls } from "./shape.ts";

type ByRef = { network: string };
type ByAcl = { network: string; acl: string };
type Direction = "in" | "out";

/** The direction a write names, or v0.6's message when it names none or another. */
function direction(v: Values): Direction | string {
  const d = getValue(v, "direction");
  if (d === undefined || d === "") return "ERROR: A direction must be specified for the ACL.";
  if (d !== "in" && d !== "out") return "ERROR: Direction must be either 'in' or 'out'.";
  return d;
}

/** `spec.acls` with `direction`'s list replaced (a merge patch replaces the object whole). */
function withList(n: Network, d: Direction, list: AclRule[]): Record<Direction, AclRule[]> {
  return { in: n.spec.acls?.in ?? [], out: n.spec.acls?.out ?? [], [d]: list };
}

export const listAcls: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const v = readValues(request);
  const n = findNetwork(deps, request.params.network);
  if (!n) return notFound(reply, notFoundMessage(request.params.network));
  const d = getValue(v, "direction");
  if (d !== undefined && d !== "in" && d !== "out") {
    return reply.code(400).send({
      message: "ERROR: Direction must be either 'in' or 'out'; for both, do not specify a direction.",
    });
  }
  const match = limitFilter(getValue(v, "limit"));
  const list = acls(n, d).filter((a) => match(String(a.description)));
  if (list.length === 0) return notFound(reply, "ACL not found.");
  return list;
};

/** Where POST puts the new rule in `list`: `order`, or the end (also for an order past it, as PVC). */
function position(v: Values, list: AclRule[]): number | string {
  const orderText = getValue(v, "order");
  if (orderText === undefined || orderText === "") return list.length;
  if (!/^\d+$/.test(orderText))
    return `ERROR: Order ${q(orderText)} is not a valid position: it must be a whole number.`;
  return Math.min(Number(orderText), list.length);
}

export const addAcl: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const v = readValues(request);
  const ref = request.params.network;
  const n = findNetwork(deps, ref);
  if (!n) return respond(reply, fail(notFoundMessage(ref)));
  const description = getValue(v, "description");
  if (!description) return respond(reply, fail("ERROR: A description must be provided."));
  const d = direction(v);
  if (d !== "in" && d !== "out") return respond(reply, fail(d));
  const rule = getValue(v, "rule");
  if (!rule) return respond(reply, fail("ERROR: A valid NFT rule line must be specified for the ACL."));
  if (n.spec.type !== "managed") {
    return respond(
      reply,
      fail(`ERROR: Network ${q(n.spec.vni)} is bridged: PVC applies no ACLs to bridged networks.`),
    );
  }
  const list: AclRule[] = [...(n.spec.acls?.[d] ?? [])];
  if (list.some((a) => a.description === description)) {
    return respond(reply, fail(`ERROR: A rule with description ${q(description)} already exists!`));
  }
  const order = position(v, list);
  if (typeof order === "string") return respond(reply, fail(order));
  list.splice(order, 0, { description, rule });
  return respond(
    reply,
    await patchAndWait(
      deps,
      n,
      { acls: withList(n, d, list) },
      `Firewall rule ${q(description)} added successfully!`,
    ),
  );
};

export const getAcl: FacadeHandler<ByAcl> = async (deps, request, reply) => {
  const n = findNetwork(deps, request.params.network);
  if (!n) return notFound(reply, notFoundMessage(request.params.network));
  // The manual: an unknown ACL is an empty document, not an error.
  return acls(n, undefined).filter((a) => a.description === request.params.acl);
};

export const deleteAcl: FacadeHandler<ByAcl> = async (deps, request, reply) => {
  const ref = request.params.network;
  const n = findNetwork(deps, ref);
  if (!n) return respond(reply, fail(notFoundMessage(ref)));
  const d = direction(readValues(request));
  if (d !== "in" && d !== "out") return respond(reply, fail(d));
  const description = request.params.acl;
  const list = n.spec.acls?.[d] ?? [];
  if (!list.some((a) => a.description === description)) {
    return respond(reply, fail(`ERROR: No firewall rule exists matching description ${q(description)}!`));
  }
  const rest = list.filter((a) => a.description !== description);
  return respond(
    reply,
    await patchAndWait(
      deps,
      n,
      { acls: withList(n, d, rest) },
      `Firewall rule ${q(description)} removed successfully!`,
    ),
  );
};
