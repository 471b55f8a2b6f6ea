/**
 * GET /openapi.json: an OpenAPI 3.1 document of every route the server registered, built by
 * @fastify/swagger from fastify's own route list (so a route cannot be missing from it) with what
 * each route is and takes from:
 * - a route's own `config.openapi` (the status page's routes, this one),
 * - apis-docs.ts (the declarative API, probes, metrics) and v1-docs.ts (PVC's manual),
 * and the kinds' JSON Schemas as components (components.ts). A route found in none of them is still
 * listed, as "not described" (test/integration/openapi.test.ts fails on it).
 *
 * The document is behind the auth gate like everything but the probes and login: it is the route
 * table, which the gate keeps from being probed without credentials (unknown paths answer 401, not
 * 404, for that reason). Editors need no server for the kinds' schemas: `pvcctl schemas` writes
 * them out.
 */
import { readFileSync } from "node:fs";
import swagger from "@fastify/swagger";
import type { FastifyInstance, RouteOptions } from "fastify";
import { apisDocs } from "./apis-docs.ts";
import { componentSchemas } from "./components.ts";
import { type RouteDoc, routeKey } from "./route-doc.ts";
import { v1Docs } from "./v1-docs.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route's OpenAPI description (for routes not in apis-docs.ts or v1-docs.ts). */
    openapi?: RouteDoc;
  }
}

export const OPENAPI_PATH = "/openapi.json";
export const NOT_DESCRIBED = "Not described";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const INFO = {
  title: "pvc-reconciler",
  version,
  description:
    'A declarative control plane for PVC (Parallel Virtual Cluster). Two APIs: the declarative one under /apis (Kubernetes-style resources; errors are Status documents) and PVC v0.6\'s /api/v1 (form values, `{"message"}` answers). With authentication enabled every route but /healthz, /readyz and the login/logout routes needs an X-Api-Key header or the session cookie of /api/v1/auth/login.',
};

function describe(route: RouteOptions, docs: Record<string, RouteDoc>): RouteDoc {
  const method = Array.isArray(route.method) ? route.method[0] : route.method;
  return (
    route.config?.openapi ??
    docs[routeKey(method, route.url)] ?? {
      summary: NOT_DESCRIBED,
      tags: ["not described"],
      response: { default: { description: NOT_DESCRIBED } },
    }
  );
}

/** Registers the generator; call before any route is registered (it collects them as they come). */
export async function addOpenApi(app: FastifyInstance): Promise<void> {
  const docs = { ...apisDocs(), ...v1Docs() };
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: INFO,
      components: {
        schemas: componentSchemas() as Record<string, object>,
        securitySchemes: {
          apiKey: { type: "apiKey", in: "header", name: "X-Api-Key" },
          session: { type: "apiKey", in: "cookie", name: "pvc_session" },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    // Open routes need no credentials: an empty security requirement says so.
    // A prefix's own route (`/api/v1` + `/`) comes as `/api/v1/`: served and listed without the slash.
    transform: ({ route, url }) => ({
      url: url.length > 1 && url.endsWith("/") ? url.slice(0, -1) : url,
      schema: { ...describe(route, docs), ...(route.config?.public ? { security: [] } : {}) } as never,
    }),
  });
  app.get(
    OPENAPI_PATH,
    {
      config: {
        openapi: {
          summary: "This document (OpenAPI 3.1)",
          tags: ["server"],
          response: {
            200: {
              description: "The OpenAPI document",
              content: { "application/json": { schema: { type: "object" } } },
            },
          },
        },
      },
    },
    async () => app.swagger(),
  );
}
