/**
 * The README says exactly which `/api/v1` groups are served (issue 13: it claimed the whole API,
 * "endpoint for endpoint", while only network and storage were). Its line `Served: …` must list
 * the groups the running server routes — no more, no fewer — so adding a group (the VM kind's)
 * without saying so, or saying so without adding it, fails here.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { RouteInfo } from "../../api/server.ts";
import { testConfig, useTestApp } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

const root = uniqueRoot("readmev1");
const t = useTestApp(root, () => testConfig(`${root}/store`));

test("README's `Served:` line names exactly the /api/v1 groups the server routes", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const line = readme.split("\n").find((l) => l.startsWith("Served: "));
  assert.ok(line, "README.md has a line starting `Served: ` in its /api/v1 section");
  const claimed = [...line.matchAll(/`(\/api\/v1(?:\/[a-z0-9-]+)?)`/g)].map((m) => m[1]).sort();
  const routes = t.app.server.routeTable as readonly RouteInfo[];
  const served = [
    ...new Set(
      routes
        .map((r) => /^\/api\/v1(\/[^/:*?]+)?\/?/.exec(r.url))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `/api/v1${m[1] ?? ""}`),
    ),
  ].sort();
  assert.deepEqual(claimed, served);
});
