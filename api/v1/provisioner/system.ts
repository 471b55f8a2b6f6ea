/**
 * /provisioner/template/system: SystemTemplate objects. Values as v0.6 took them: vcpus, vram
 * (MB), serial, vnc, vnc_bind, node_limit (comma-separated nodes), node_selector, start_with_node.
 */
import type { FacadeHandler } from "../facade.ts";
import { getValue, readValues, type Values } from "../values.ts";
import { booleanValue, nameOf, objectOf, q, refuse, wholeNumber, writeAnswer } from "./common.ts";
import { type ByTemplate, deleteHandler, getHandler, type KindWords, listHandler } from "./listing.ts";
import { systemTemplateOf } from "./shape.ts";

export const SYSTEM: KindWords<"SystemTemplate"> = {
  kind: "SystemTemplate",
  one: "system template",
  none: "No system templates found",
  show: systemTemplateOf,
};

/** The spec from v0.6's values, or the message naming the first missing or bad one. */
export function systemSpec(v: Values): Record<string, unknown> | string {
  const vcpus = wholeNumber(v, "vcpus", "The vCPU count");
  const vram = wholeNumber(v, "vram", "The vRAM size in MB");
  if (vcpus === undefined) return "ERROR: A vcpus value must be specified.";
  if (vram === undefined) return "ERROR: A vram value must be specified.";
  if (typeof vcpus === "string") return vcpus;
  if (typeof vram === "string") return vram;
  const spec: Record<string, unknown> = { vcpus, vramMiB: vram };
  for (const [key, field] of [
    ["serial", "serial"],
    ["vnc", "vnc"],
    ["start_with_node", "startWithNode"],
  ] as const) {
    const b = booleanValue(v, key);
    if (typeof b === "string") return b;
    if (b !== undefined) spec[field] = b;
  }
  const bind = getValue(v, "vnc_bind");
  if (bind) spec.vncBind = bind;
  const limit = getValue(v, "node_limit");
  if (limit)
    spec.nodeLimit = limit
      .split(",")
      .map((n) => n.trim())
      .filter((n) => n !== "");
  const selector = getValue(v, "node_selector");
  if (selector && selector !== "None") spec.nodeSelector = selector;
  return spec;
}

type MaybeTemplate = Partial<ByTemplate>;

export const createSystemTemplate: FacadeHandler<MaybeTemplate> = async (deps, request, reply) => {
  const v = readValues(request);
  const name = request.params.template ?? nameOf(v);
  if (!name) return refuse(reply, "ERROR: A name must be specified.");
  if (deps.informer("SystemTemplate").get(name))
    return refuse(reply, `ERROR: The system template ${q(name)} already exists.`);
  const spec = systemSpec(v);
  if (typeof spec === "string") return refuse(reply, spec);
  return writeAnswer(
    reply,
    () => deps.store.create(objectOf("SystemTemplate", name, spec)),
    `Added new system template ${q(name)}`,
  );
};

const byTemplate = (p: Record<string, string>) => p.template;
export const listSystemTemplates = listHandler(SYSTEM);
export const getSystemTemplate = getHandler(SYSTEM, byTemplate);
export const deleteSystemTemplate = deleteHandler(SYSTEM, byTemplate);
