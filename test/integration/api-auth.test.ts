/**
 * Authentication over real HTTP: every registered /api/v1 route (and the declarative API and
 * /metrics) × every kind of credential. Only a valid X-Api-Key or a valid session gets past the
 * gate; wrong, partial (a prefix of the valid token: PVC v0.6's substring test let it in) and empty
 * tokens do not, nor does an empty token configured on purpose. Then the login/logout flows, the
 * disabled-auth answers, and no token in any log line.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RouteInfo } from "../../api/server.ts";
import { GROUP_PATH, removeRoot, startTestApp, type TestApp, testConfig } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

const TOKEN = "7c1e2d1a-9b3f-4a51-8d2e-5f6a7b8c9d0e";
const SECRET = "a-long-and-secret-session-signing-key";

/** A concrete path for a route pattern (`:name` → `x`, `*` → `x`). */
function concrete(url: string): string {
  return url.replace(/:[^/]+/g, "x").replace(/\*/g, "x");
}

async function sessionCookie(base: string, token: string): Promise<string | undefined> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }).toString(),
    redirect: "manual",
  });
  const cookie = res.headers.get("set-cookie");
  return res.status === 302 && cookie ? cookie.split(";")[0] : undefined;
}

describe("authentication enabled", () => {
  const root = uniqueRoot("api-auth");
  let t: TestApp;
  let base: string;
  let session: string;

  before(async () => {
    t = await startTestApp(
      testConfig(root, (c) => {
        c.api.auth = {
          enabled: true,
          secretKey: SECRET,
          tokens: [
            { description: "empty on purpose: must never match", token: "" },
            { description: "ops", token: TOKEN },
          ],
        };
        c.reconciler.facadeWaitTimeoutMs = 1000; // a valid call to a facade write must not hold the test
      }),
    );
    base = t.app.url;
    const cookie = await sessionCookie(base, TOKEN);
    assert.ok(cookie, "login with the valid token gives a session cookie");
    session = cookie;
  });
  after(async () => {
    await t.app.close();
    await removeRoot(root);
  });

  const credentials: Array<[string, Record<string, string>, boolean]> = [
    ["no credentials", {}, false],
    ["a wrong token", { "x-api-key": "not-the-token" }, false],
    ["a partial token (prefix)", { "x-api-key": TOKEN.slice(0, 8) }, false],
    ["an empty token", { "x-api-key": "" }, false],
    ["a forged session cookie", { cookie: "pvc_session=1.abc.forged" }, false],
    ["the valid token in X-Api-Key", { "x-api-key": TOKEN }, true],
    ["a valid session cookie", {}, true], // cookie filled in at run time
  ];

  test("every route × every credential: only the valid ones pass", async (ctx) => {
    const routes = (t.app.server.routeTable as readonly RouteInfo[]).filter(
      (r) => r.url.startsWith("/api/v1") || r.url.startsWith("/apis") || r.url === "/metrics",
    );
    const v1 = routes.filter((r) => r.url.startsWith("/api/v1"));
    assert.ok(v1.length >= 4, `the /api/v1 routes were found: ${v1.map((r) => r.url).join(" ")}`);
    let checked = 0;
    for (const route of routes) {
      const url = `${base}${concrete(route.url)}`;
      for (const [what, headers, valid] of credentials) {
        const h = what === "a valid session cookie" ? { cookie: session } : headers;
        const res = await fetch(url, { method: route.method, headers: h, redirect: "manual" });
        await res.arrayBuffer();
        const passed = res.status !== 401;
        const expected = valid || route.public;
        assert.equal(passed, expected, `${route.method} ${route.url} with ${what}: HTTP ${res.status}`);
        checked++;
      }
    }
    ctx.diagnostic(
      `auth matrix: ${routes.length} routes × ${credentials.length} credentials = ${checked} requests`,
    );
  });

  test("the 401 answers: PVC's message, a Status document under /apis", async () => {
    const v1 = await fetch(`${base}/api/v1`);
    assert.equal(v1.status, 401);
    assert.deepEqual(await v1.json(), { message: "Authentication required" });
    const apis = await fetch(`${base}${GROUP_PATH}/networks`);
    assert.equal(apis.status, 401);
    const doc = await apis.json();
    assert.equal(doc.kind, "Status");
    assert.equal(doc.code, "AUTH_REQUIRED");
    assert.equal(doc.message, "Authentication required");
    assert.equal((await fetch(`${base}/no/such/path`)).status, 401, "unknown paths are gated too");
  });

  test("probes stay open; metrics need credentials", async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.equal((await fetch(`${base}/metrics`)).status, 401);
    assert.equal((await fetch(`${base}/metrics`, { headers: { "x-api-key": TOKEN } })).status, 200);
  });

  test("login: form, refusals, session, logout", async () => {
    const form = await fetch(`${base}/api/v1/auth/login`);
    assert.equal(form.status, 200);
    assert.match(form.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await form.text(), /<form method="post">[\s\S]*name="token"/);

    const post = (body: string, query = "") =>
      fetch(`${base}/api/v1/auth/login${query}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
        redirect: "manual",
      });
    for (const bad of ["token=", `token=${TOKEN.slice(0, 12)}`, "token=wrong", `token=${TOKEN}extra`]) {
      const res = await post(bad);
      assert.equal(res.status, 401, bad);
      assert.deepEqual(await res.json(), { message: "Authentication failed" });
      assert.equal(res.headers.get("set-cookie"), null);
    }
    assert.equal((await post("")).status, 400, "no token at all");

    const ok = await post("", `?token=${TOKEN}`);
    assert.equal(ok.status, 302, "the token may come as a query value too");
    assert.equal(ok.headers.get("location"), "/api/v1");
    const setCookie = ok.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    assert.ok(!setCookie.includes(TOKEN), "the cookie does not carry the token");
    const cookie = setCookie.split(";")[0];
    const root = await fetch(`${base}/api/v1`, { headers: { cookie } });
    assert.equal(root.status, 209);
    assert.deepEqual(await root.json(), { message: "PVC API version 1" });

    // A signature that does not match is no session.
    const [name, value] = cookie.split("=");
    const tampered = `${name}=${value.slice(0, -2)}${value.endsWith("AA") ? "BB" : "AA"}`;
    assert.equal((await fetch(`${base}/api/v1`, { headers: { cookie: tampered } })).status, 401);

    for (const method of ["GET", "POST"]) {
      const out = await fetch(`${base}/api/v1/auth/logout`, {
        method,
        headers: { cookie },
        redirect: "manual",
      });
      assert.equal(out.status, 302);
      const cleared = out.headers.get("set-cookie") ?? "";
      assert.match(cleared, /pvc_session=;/);
      assert.match(cleared, /Expires=Thu, 01 Jan 1970/i);
    }
  });

  test("no token in any log line", () => {
    const logs = t.logs();
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(TOKEN), "a token was logged");
    assert.ok(!logs.includes(SECRET), "the secret key was logged");
  });
});

describe("authentication disabled", () => {
  const root = uniqueRoot("api-noauth");
  let t: TestApp;

  before(async () => {
    t = await startTestApp(testConfig(root));
  });
  after(async () => {
    await t.app.close();
    await removeRoot(root);
  });

  test("login and logout say so; everything is open", async () => {
    for (const path of ["/api/v1/auth/login", "/api/v1/auth/logout"]) {
      for (const method of ["GET", "POST"]) {
        const res = await fetch(`${t.app.url}${path}`, { method });
        assert.equal(res.status, 200, `${method} ${path}`);
        assert.deepEqual(await res.json(), { message: "Authentication is disabled" });
      }
    }
    assert.equal((await fetch(`${t.app.url}/api/v1`)).status, 209);
    assert.equal((await fetch(`${t.app.url}/metrics`)).status, 200);
  });
});
