/**
 * /openapi.json over real HTTP from the real app: it is a valid OpenAPI 3.1 document (checked by a
 * maintained validator, offline), every route fastify registered is in it and described, its kind
 * schemas are the ones in schemas/ (the examples validate against them, a broken one does not), and
 * it needs credentials when authentication is on.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { loadAll } from "js-yaml";
import { NOT_DESCRIBED } from "../../api/openapi/index.ts";
import type { RouteInfo } from "../../api/server.ts";
import { KINDS } from "../../src/resources/kinds.ts";
import { testConfig, useTestApp } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { summary?: string; security?: unknown[] }>>;
  components: { schemas: Record<string, unknown> };
};

/** fastify's `/a/:b` as OpenAPI's `/a/{b}`, without a trailing slash. */
function openapiPath(url: string): string {
  const path = url.replace(/:([A-Za-z0-9_-]+)/g, "{$1}");
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

describe("/openapi.json", () => {
  const root = uniqueRoot("openapi");
  const t = useTestApp(root);
  let doc: Doc;

  before(async () => {
    const res = await fetch(`${t.app.url}/openapi.json`);
    assert.equal(res.status, 200);
    doc = (await res.json()) as Doc;
  });

  test("is a valid OpenAPI 3.1 document whose $refs all resolve", async () => {
    assert.equal(doc.openapi, "3.1.0");
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.ok(result.valid, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
    assert.equal(validator.version, "3.1");
    assert.doesNotThrow(() => validator.resolveRefs(), "every $ref resolves");
  });

  test("the validator is not a rubber stamp: a broken document fails", async () => {
    const broken = structuredClone(doc) as Record<string, unknown>;
    delete broken.info;
    assert.equal((await new Validator().validate(broken)).valid, false);
  });

  test("every route registered in fastify is in it, described", () => {
    const routes = t.app.server.routeTable as readonly RouteInfo[];
    assert.ok(routes.length > 50, `${routes.length} routes`);
    const missing: string[] = [];
    const undescribed: string[] = [];
    for (const route of routes) {
      // HEAD routes are fastify's own companions of GET routes: the GET is the one described.
      const method = route.method === "HEAD" ? "get" : route.method.toLowerCase();
      const op = doc.paths[openapiPath(route.url)]?.[method];
      if (!op) missing.push(`${route.method} ${route.url}`);
      else if (!op.summary || op.summary === NOT_DESCRIBED) undescribed.push(`${route.method} ${route.url}`);
    }
    assert.deepEqual(missing, [], "routes missing from /openapi.json");
    assert.deepEqual(undescribed, [], "routes without a description");
    const documented = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
    const served = new Set(
      routes.filter((r) => r.method !== "HEAD").map((r) => `${r.method} ${openapiPath(r.url)}`),
    );
    assert.equal(documented, served.size, "nothing documented that is not served");
  });

  test("open routes say they need no credentials; the others take the API key or the session", () => {
    for (const route of t.app.server.routeTable as readonly RouteInfo[]) {
      if (route.method === "HEAD") continue;
      const op = doc.paths[openapiPath(route.url)][route.method.toLowerCase()];
      assert.equal(
        Array.isArray(op.security) && op.security.length === 0,
        route.public,
        `${route.method} ${route.url}`,
      );
    }
  });

  test("the kinds' schemas are components, and the examples validate against them", () => {
    for (const info of KINDS) assert.ok(doc.components.schemas[info.kind], `component ${info.kind}`);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: "https://openapi.test/doc.json", components: doc.components });
    const validate = ajv.getSchema("https://openapi.test/doc.json#/components/schemas/Resource");
    assert.ok(validate);
    const dir = new URL("../../manifests/examples/", import.meta.url);
    let checked = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
      for (const example of loadAll(readFileSync(new URL(file, dir), "utf8"))) {
        if (example === null || example === undefined) continue;
        assert.ok(validate(example), `${file}: ${JSON.stringify(validate.errors)}`);
        checked++;
      }
    }
    assert.ok(checked >= 10, `${checked} examples`);
    const bad = {
      apiVersion: "pvc.parallelvirtualcluster.org/v1",
      kind: "Network",
      metadata: { name: "x" },
      spec: { vni: 1, bogus: true },
    };
    assert.equal(validate(bad), false, "an unknown spec field is refused");
  });
});

describe("/openapi.json with authentication on", () => {
  const root = uniqueRoot("openapi-auth");
  const t = useTestApp(root, () =>
    testConfig(root, (c) => {
      c.api.auth = {
        enabled: true,
        secretKey: "openapi-test-secret",
        tokens: [{ description: "t", token: "tok-1234" }],
      };
    }),
  );

  test("needs credentials, like the route table it is", async () => {
    assert.equal((await fetch(`${t.app.url}/openapi.json`)).status, 401);
    const ok = await fetch(`${t.app.url}/openapi.json`, { headers: { "x-api-key": "tok-1234" } });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as Doc).openapi, "3.1.0");
  });
});
