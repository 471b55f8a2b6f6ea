/**
 * The /api/v1 facade: PVC v0.6's imperative API over our resources. This scope parses form bodies
 * (urlencoded and multipart: PVC's clients post HTML forms), answers errors the manual's way, serves
 * `GET /api/v1` and the login/logout routes, and registers every facade group of groups.ts.
 */
import type { FastifyPluginAsync } from "fastify";
import { type AuthGate, authRoutes } from "../auth.ts";
import { facadeErrorHandler } from "./errors.ts";
import type { FacadeDeps, FacadePlugin } from "./facade.ts";
import { addFormBodies } from "./form-body.ts";
import * as groups from "./groups.ts";

export const V1_PREFIX = "/api/v1";

export interface V1Options {
  deps: FacadeDeps;
  gate: AuthGate;
  /** Groups served besides those of groups.ts (tests plug a group in this way). */
  extraGroups?: Record<string, FacadePlugin>;
}

export const v1Api: FastifyPluginAsync<V1Options> = async (app, { deps, gate, extraGroups }) => {
  await addFormBodies(app);
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
