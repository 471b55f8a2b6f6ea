/**
 * The /api/v1 facade: PVC v0.6's imperative API over our resources. This scope parses form bodies
 * (urlencoded and multipart: PVC's clients post HTML forms), answers errors the manual's way, serves
 * `GET /api/v1` and the login/logout routes, and registers every facade group of groups.ts.
 */
import formbody from "@fastify/formbody";
import multipart from "@fastify/multipart";
import type { FastifyPluginAsync } from "fastify";
import { type AuthGate, authRoutes } from "../auth.ts";
import { facadeErrorHandler } from "./errors.ts";
import type { FacadeDeps, FacadePlugin } from "./facade.ts";
import * as groups from "./groups.ts";

export const V1_PREFIX = "/api/v1";

export interface V1Options {
  deps: FacadeDeps;
  gate: AuthGate;
  /** Groups served besides those of groups.ts (tests plug a group in this way). */
  extraGroups?: Record<string, FacadePlugin>;
}

/** Largest form body or uploaded value we take (a VM's XML, a userdata or a script). */
const FORM_LIMIT_BYTES = 8 * 1024 * 1024;

export const v1Api: FastifyPluginAsync<V1Options> = async (app, { deps, gate, extraGroups }) => {
  await app.register(formbody, { bodyLimit: FORM_LIMIT_BYTES });
  // keyValues: fields and file parts land in request.body as values (a file part as a Buffer).
  await app.register(multipart, {
    attachFieldsToBody: "keyValues",
    limits: { fileSize: FORM_LIMIT_BYTES, fieldSize: FORM_LIMIT_BYTES },
  });
  app.setErrorHandler(facadeErrorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send({ message: `No such endpoint: ${request.method} ${request.url.split("?")[0]}` });
  });

  app.get("/", async (_request, reply) => reply.code(209).send({ message: "PVC API version 1" }));
  await app.register(authRoutes, { gate });

  const all: Record<string, FacadePlugin> = { ...(groups as Record<string, FacadePlugin>), ...extraGroups };
  for (const [name, plugin] of Object.entries(all)) {
    deps.logger.debug({ group: name }, "facade: registering group");
    await app.register(plugin, { deps });
  }
};
