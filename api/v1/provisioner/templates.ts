/**
 * GET /provisioner/template (v0.6's `template_list`: the system, network and storage templates
 * matching `limit`) and the manual's `GET /provisioner/template/<name>`, which names no type:
 * every template of that name, under its type's key.
 */
import type { FacadeHandler } from "../facade.ts";
import { notFound } from "../facade.ts";
import { readValues } from "../values.ts";
import { nameOf } from "./common.ts";
import { type ByTemplate, shown } from "./listing.ts";
import { NETWORK } from "./network.ts";
import { STORAGE } from "./storage.ts";
import { SYSTEM } from "./system.ts";

export const listTemplates: FacadeHandler = async (deps, request) => {
  const limit = nameOf(readValues(request), "limit");
  return {
    system_templates: shown(deps, SYSTEM, { limit }),
    network_templates: shown(deps, NETWORK, { limit }),
    storage_templates: shown(deps, STORAGE, { limit }),
  };
};

export const anyTemplate: FacadeHandler<ByTemplate> = async (deps, request, reply) => {
  const name = request.params.template;
  const found = {
    system_templates: shown(deps, SYSTEM, { name }),
    network_templates: shown(deps, NETWORK, { name }),
    storage_templates: shown(deps, STORAGE, { name }),
  };
  const any = Object.values(found).some((l) => l.length > 0);
  return any ? found : notFound(reply, `No template named '${name}' found`);
};
