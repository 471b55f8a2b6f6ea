/**
 * /provisioner/profile: ProvisionerProfile objects. Values: system_template, network_template,
 * storage_template (the manual's `disk_template` too), userdata_template (or `userdata`), script,
 * and repeated `arg=name=value`. Every template and the script must exist (v0.6's messages);
 * a profile without any `arg` is fine (v0.6 crashed on it).
 */
import type { FacadeDeps, FacadeHandler } from "../facade.ts";
import { getValues, readValues, type Values } from "../values.ts";
import { nameOf, objectOf, q, refuse, writeAnswer } from "./common.ts";
import { deleteHandler, getHandler, type KindWords, listHandler } from "./listing.ts";
import { profileOf } from "./shape.ts";

export const PROFILE: KindWords<"ProvisionerProfile"> = {
  kind: "ProvisionerProfile",
  one: "VM profile",
  none: "No profiles found",
  show: profileOf,
};

/** Spec field, the values that may give it (first wins), its kind and v0.6's word for it. */
const PARTS = [
  ["systemTemplate", ["system_template"], "SystemTemplate", "system template"],
  ["networkTemplate", ["network_template"], "NetworkTemplate", "network template"],
  ["storageTemplate", ["storage_template", "disk_template"], "StorageTemplate", "storage template"],
  ["userdataTemplate", ["userdata_template", "userdata"], "UserdataTemplate", "userdata template"],
  ["script", ["script"], "ProvisionerScript", "script"],
] as const;

/** `arg=name=value` values as the profile's arguments, or the message naming a bad one. */
export function argumentsOf(v: Values): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const arg of getValues(v, "arg")) {
    const at = arg.indexOf("=");
    if (at <= 0) return `ERROR: Script argument ${q(arg)} must be given as name=value.`;
    out[arg.slice(0, at)] = arg.slice(at + 1);
  }
  return out;
}

/** The spec from the values, or the message naming the first missing part. */
async function profileSpec(deps: FacadeDeps, v: Values, name: string) {
  const spec: Record<string, unknown> = {};
  for (const [field, keys, kind, words] of PARTS) {
    const given = keys.map((k) => nameOf(v, k)).find((x) => x !== undefined && x !== "");
    if (given === undefined) return `ERROR: A ${keys[0]} value must be specified.`;
    if (!(await deps.store.tryGet(kind, given)))
      return `ERROR: The ${words} ${q(given)} for profile ${q(name)} does not exist.`;
    spec[field] = given;
  }
  const args = argumentsOf(v);
  if (typeof args === "string") return args;
  spec.arguments = args;
  return spec;
}

export const createProfile: FacadeHandler<{ profile?: string }> = async (deps, request, reply) => {
  const v = readValues(request);
  const name = request.params.profile ?? nameOf(v);
  if (!name) return refuse(reply, "ERROR: A name must be specified.");
  if (await deps.store.tryGet("ProvisionerProfile", name))
    return refuse(reply, `ERROR: The profile ${q(name)} already exists.`);
  const spec = await profileSpec(deps, v, name);
  if (typeof spec === "string") return refuse(reply, spec);
  return writeAnswer(
    reply,
    () => deps.store.create(objectOf("ProvisionerProfile", name, spec)),
    `Created VM profile ${q(name)}`,
  );
};

const byProfile = (p: Record<string, string>) => p.profile;
export const listProfiles = listHandler(PROFILE);
export const getProfile = getHandler(PROFILE, byProfile);
export const deleteProfile = deleteHandler(PROFILE, byProfile);
