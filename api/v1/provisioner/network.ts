/**
 * /provisioner/template/network: NetworkTemplate objects and their `net` elements (VNIs, in
 * order: the first is the VM's first interface). A VNI is a whole number and listed once; v0.6
 * crashed on a non-numeric one.
 */
import type { FastifyReply } from "fastify";
import type { FacadeDeps, FacadeHandler } from "../facade.ts";
import { notFound } from "../facade.ts";
import { getValue, readValues } from "../values.ts";
import { editSpec, nameOf, objectOf, q, refusal, refuse, wholeNumber, writeAnswer } from "./common.ts";
import { type ByTemplate, deleteHandler, getHandler, type KindWords, listHandler } from "./listing.ts";
import { idsOf, networksOf, networkTemplateOf } from "./shape.ts";

export const NETWORK: KindWords<"NetworkTemplate"> = {
  kind: "NetworkTemplate",
  one: "network template",
  none: "No network templates found",
  show: networkTemplateOf,
};

type ByNet = ByTemplate & { vni: string };

export const createNetworkTemplate: FacadeHandler<Partial<ByTemplate>> = async (deps, request, reply) => {
  const v = readValues(request);
  const name = request.params.template ?? nameOf(v);
  if (!name) return refuse(reply, "ERROR: A name must be specified.");
  if (deps.informer("NetworkTemplate").get(name))
    return refuse(reply, `ERROR: The network template ${q(name)} already exists.`);
  const mac = getValue(v, "mac_template");
  return writeAnswer(
    reply,
    () => deps.store.create(objectOf("NetworkTemplate", name, mac ? { macTemplate: mac } : {})),
    `Added new network template ${q(name)}`,
  );
};

function missing(reply: FastifyReply, name: string): FastifyReply {
  return refuse(reply, `ERROR: The network template ${q(name)} does not exist.`);
}

/** The nets of a template, all or the one VNI. */
function nets(deps: FacadeDeps, name: string, vni?: string) {
  const all = deps.informer("NetworkTemplate").list();
  const t = all.find((o) => o.metadata.name === name);
  if (!t) return [];
  return networksOf(t, idsOf(all).get(name) ?? 0).filter((n) => vni === undefined || String(n.vni) === vni);
}

export const listNets: FacadeHandler<ByTemplate> = async (deps, request, reply) => {
  const out = nets(deps, request.params.template);
  return out.length === 0 ? notFound(reply, "No network template networks found") : out;
};

export const getNet: FacadeHandler<ByNet> = async (deps, request, reply) => {
  const out = nets(deps, request.params.template, request.params.vni);
  return out.length === 0 ? notFound(reply, "No network template networks found") : out;
};

export const addNet: FacadeHandler<ByTemplate & Partial<ByNet>> = async (deps, request, reply) => {
  const name = request.params.template;
  const v = readValues(request);
  const vni =
    request.params.vni !== undefined
      ? wholeNumber({ vni: request.params.vni }, "vni", "The VNI")
      : wholeNumber(v, "vni", "The VNI");
  if (vni === undefined) return refuse(reply, "ERROR: A vni value must be specified.");
  if (typeof vni === "string") return refuse(reply, vni);
  if (!(await deps.store.tryGet("NetworkTemplate", name))) return missing(reply, name);
  return writeAnswer(
    reply,
    () =>
      editSpec(deps, "NetworkTemplate", name, (spec) => {
        if (spec.networks.some((n) => n.vni === vni))
          throw refusal(`The VNI ${q(vni)} in network template ${q(name)} already exists.`);
        return { ...spec, networks: [...spec.networks, { vni }] };
      }),
    `Added new network ${q(vni)} to network template ${q(name)}`,
  );
};

export const removeNet: FacadeHandler<ByNet> = async (deps, request, reply) => {
  const { template: name, vni } = request.params;
  if (!(await deps.store.tryGet("NetworkTemplate", name))) return missing(reply, name);
  return writeAnswer(
    reply,
    () =>
      editSpec(deps, "NetworkTemplate", name, (spec) => {
        if (!spec.networks.some((n) => String(n.vni) === vni))
          throw refusal(`The VNI ${q(vni)} in network template ${q(name)} does not exist.`);
        return { ...spec, networks: spec.networks.filter((n) => String(n.vni) !== vni) };
      }),
    `Removed network ${q(vni)} from network template ${q(name)}`,
  );
};

const byTemplate = (p: Record<string, string>) => p.template;
export const listNetworkTemplates = listHandler(NETWORK);
export const getNetworkTemplate = getHandler(NETWORK, byTemplate);
export const deleteNetworkTemplate = deleteHandler(NETWORK, byTemplate);
