/**
 * /provisioner/template/userdata and /provisioner/script: objects holding one text (`data`), as
 * v0.6 kept its userdata and script rows. POST creates, PUT replaces the text. A script's text is
 * compiled by the store's check (python3 -m py_compile) before it is stored.
 */
import type { FastifyReply } from "fastify";
import type { FacadeDeps, FacadeHandler, FacadeRequest } from "../facade.ts";
import { getValue, readValues } from "../values.ts";
import { editSpec, nameOf, objectOf, q, refuse, writeAnswer } from "./common.ts";
import { deleteHandler, getHandler, type KindWords, listHandler } from "./listing.ts";
import { scriptOf, userdataOf } from "./shape.ts";

type TextKind = "UserdataTemplate" | "ProvisionerScript";

export const USERDATA: KindWords<"UserdataTemplate"> = {
  kind: "UserdataTemplate",
  one: "userdata document",
  none: "No userdata documents found",
  show: userdataOf,
};

export const SCRIPT: KindWords<"ProvisionerScript"> = {
  kind: "ProvisionerScript",
  one: "provisioning script",
  none: "No scripts found",
  show: scriptOf,
};

type Named = Partial<Record<string, string>>;

function nameAndData(request: FacadeRequest<Named>, param: string) {
  const v = readValues(request);
  return { name: request.params[param] ?? nameOf(v), data: getValue(v, "data") };
}

async function createText(
  deps: FacadeDeps,
  words: { kind: TextKind; one: string },
  request: FacadeRequest<Named>,
  reply: FastifyReply,
  param: string,
) {
  const { name, data } = nameAndData(request, param);
  if (!name) return refuse(reply, "ERROR: A name must be specified.");
  if (data === undefined) return refuse(reply, "ERROR: A data value must be specified.");
  if (await deps.store.tryGet(words.kind, name))
    return refuse(reply, `ERROR: The ${words.one} ${q(name)} already exists.`);
  return writeAnswer(
    reply,
    () => deps.store.create(objectOf(words.kind, name, { data })),
    `Created ${words.one} ${q(name)}`,
  );
}

async function updateText(
  deps: FacadeDeps,
  words: { kind: TextKind; one: string },
  request: FacadeRequest<Named>,
  reply: FastifyReply,
  param: string,
) {
  const { name, data } = nameAndData(request, param);
  if (!name || !(await deps.store.tryGet(words.kind, name)))
    return refuse(reply, `ERROR: The ${words.one} ${q(name ?? "")} does not exist.`);
  if (data === undefined) return refuse(reply, "ERROR: A data value must be specified.");
  return writeAnswer(
    reply,
    () => editSpec(deps, words.kind, name, (spec) => ({ ...spec, data })),
    `Updated ${words.one} ${q(name)}`,
  );
}

const param = (key: string) => (p: Record<string, string>) => p[key];

export const listUserdata = listHandler(USERDATA);
export const getUserdata = getHandler(USERDATA, param("template"));
export const deleteUserdata = deleteHandler(USERDATA, param("template"));
export const createUserdata: FacadeHandler<Named> = (deps, request, reply) =>
  createText(deps, USERDATA, request, reply, "template");
export const updateUserdata: FacadeHandler<Named> = (deps, request, reply) =>
  updateText(deps, USERDATA, request, reply, "template");

export const listScripts = listHandler(SCRIPT);
export const getScript = getHandler(SCRIPT, param("script"));
export const deleteScript = deleteHandler(SCRIPT, param("script"));
export const createScript: FacadeHandler<Named> = (deps, request, reply) =>
  createText(deps, SCRIPT, request, reply, "script");
export const updateScript: FacadeHandler<Named> = (deps, request, reply) =>
  updateText(deps, SCRIPT, request, reply, "script");
