/**
 * Authentication over real HTTP: every registered /api/v1 route (and the declarative API and
 * /metrics) × every kind of credential. Only a valid X-Api-Key or a valid session gets past the
 * gate; wrong, partial (a prefix of the valid token: PVC v0.6's substring test let it in) and empty
 * tokens do not, nor does an empty token configured on purpose. Then the login/logout flows,
 * throttling of failed credentials per client (429), logout ending a copied cookie on this replica
 * and on a second one sharing the store root, the disabled-auth answers, and no secret in any log
 * line.
 *
 * Failed credentials are counted per client address: requests that must not share a count are
 * sent from their own loopback address (127.0.0.0/8 is all local on Linux).
 */
import assert from "node:assert/strict";
import { type IncomingHttpHeaders, request } from "node:http";
import { before, describe, test } from "node:test";
import type { RouteInfo } from "../../api/server.ts";
import { GROUP_PATH, startTestApp, testConfig, until, useTestApp } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

const TOKEN = "7c1e2d1a-9b3f-4a51-8d2e-5f6a7b8c9d0e";
const SECRET = "a-long-and-secret-session-signing-key";

/** A concrete path for a route pattern (`:name` → `x`, `*` → `x`). */
function concrete(url: string): string {
  return url.replace(/:[^/]+/g, "x").replace(/\*/g, "x");
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request sent from the local address `from` (fetch cannot choose it). */
function callFrom(
  from: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; headersOnly?: boolean } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers, localAddress: from },
      (res) => {
        if (options.headersOnly) {
          // The status is all the caller wants, and a stream (/ui/stream) would never end.
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "" });
          res.destroy();
          return;
        }
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

function loginFrom(from: string, base: string, token: string): Promise<Answer> {
  return callFrom(from, `${base}/api/v1/auth/login`, {
    method: "POST",
    headers: FORM,
    body: new URLSearchParams({ token }).toString(),
  });
}

/** The `name=value` of a Set-Cookie header. */
function cookieOf(answer: Answer): string {
  const set = answer.headers["set-cookie"]?.[0];
  assert.ok(set, `a cookie was set (HTTP ${answer.status})`);
  return set.split(";")[0];
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
  let base: string;
  let session: string;

  const config = () =>
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
    });
  const t = useTestApp(root, config);

  before(async () => {
    base = t.app.url;
    const cookie = await sessionCookie(base, TOKEN);
    assert.ok(cookie, "login with the valid token gives a session cookie");
    session = cookie;
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
      (r) =>
        r.url.startsWith("/api/v1") ||
        r.url.startsWith("/apis") ||
        r.url === "/metrics" ||
        r.url === "/openapi.json" ||
        r.url.startsWith("/ui"),
    );
    const v1 = routes.filter((r) => r.url.startsWith("/api/v1"));
    assert.ok(v1.length >= 4, `the /api/v1 routes were found: ${v1.map((r) => r.url).join(" ")}`);
    assert.ok(routes.length < 250, "one loopback address per route");
    let checked = 0;
    for (const [i, route] of routes.entries()) {
      const url = `${base}${concrete(route.url)}`;
      // Its own client address: the wrong tokens sent to every route would otherwise be throttled.
      const from = `127.0.1.${i + 1}`;
      for (const [what, headers, valid] of credentials) {
        // A logout ends the session it is sent: it gets a session of its own to end.
        const own = route.url.endsWith("/logout") ? await sessionCookie(base, TOKEN) : session;
        const h = what === "a valid session cookie" ? { cookie: own ?? "" } : headers;
        const res = await callFrom(from, url, { method: route.method, headers: h, headersOnly: true });
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

  const WRONG = "wrong-token-that-must-not-be-logged";

  test("failed logins are throttled per client: 429 afterwards, other clients unaffected", async () => {
    const attacker = "127.0.2.1";
    for (let i = 1; i <= 10; i++) {
      const res = await loginFrom(attacker, base, `${WRONG}-${i}`);
      assert.equal(res.status, 401, `wrong login ${i} is refused as such`);
    }
    const refused = await loginFrom(attacker, base, `${WRONG}-11`);
    assert.equal(refused.status, 429, "the 11th wrong login");
    assert.match(
      JSON.parse(refused.body).message,
      /^Too many failed authentication attempts from this client: try again in \d+ s$/,
    );
    const retryAfter = Number(refused.headers["retry-after"]);
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${refused.headers["retry-after"]}`);
    // Even the right token: a 302 here would tell the guess that hit apart from the others.
    const right = await loginFrom(attacker, base, TOKEN);
    assert.equal(right.status, 429, "the right token from the throttled client");
    assert.equal(right.headers["set-cookie"], undefined);
    assert.equal(
      (await callFrom(attacker, `${base}/api/v1`, { headers: { "x-api-key": TOKEN } })).status,
      429,
      "nor through X-Api-Key",
    );

    const other = await loginFrom("127.0.2.2", base, TOKEN);
    assert.equal(other.status, 302, "a correct login from another client still works");
    const cookie = cookieOf(other);
    assert.equal((await callFrom("127.0.2.2", `${base}/api/v1`, { headers: { cookie } })).status, 209);
  });

  test("wrong X-Api-Key tokens are throttled too: 429, a Status document under /apis", async () => {
    const guesser = "127.0.2.3";
    for (let i = 1; i <= 10; i++) {
      const res = await callFrom(guesser, `${base}/api/v1`, { headers: { "x-api-key": `${WRONG}-${i}` } });
      assert.equal(res.status, 401, `wrong key ${i}`);
    }
    const v1 = await callFrom(guesser, `${base}/api/v1`, { headers: { "x-api-key": TOKEN } });
    assert.equal(v1.status, 429);
    assert.match(JSON.parse(v1.body).message, /^Too many failed authentication attempts/);
    const apis = await callFrom(guesser, `${base}${GROUP_PATH}/networks`, {
      headers: { "x-api-key": TOKEN },
    });
    assert.equal(apis.status, 429);
    const doc = JSON.parse(apis.body);
    assert.equal(doc.kind, "Status");
    assert.equal(doc.code, "AUTH_THROTTLED");
    assert.equal(doc.reason, "TooManyRequests");
    // A session cannot be guessed: its holder is still let in from the throttled address.
    assert.equal((await callFrom(guesser, `${base}/api/v1`, { headers: { cookie: session } })).status, 209);
    assert.equal(
      (await callFrom("127.0.2.4", `${base}/api/v1`, { headers: { "x-api-key": TOKEN } })).status,
      209,
      "another client's key still works",
    );
  });

  test("logout ends the session for every holder of the cookie, on every replica", async () => {
    // A second replica of the API on the same store root (only ZooKeeper is shared).
    const b = await startTestApp(config());
    try {
      const login = await loginFrom("127.0.3.1", base, TOKEN);
      assert.equal(login.status, 302);
      const cookie = cookieOf(login); // the copy someone took before the logout
      const other = cookieOf(await loginFrom("127.0.3.1", base, TOKEN));
      for (const url of [base, b.app.url])
        assert.equal((await fetch(`${url}/api/v1`, { headers: { cookie } })).status, 209, `before, ${url}`);

      const out = await fetch(`${base}/api/v1/auth/logout`, { headers: { cookie }, redirect: "manual" });
      assert.equal(out.status, 302);
      assert.match(out.headers.get("set-cookie") ?? "", /pvc_session=;/);

      assert.equal((await fetch(`${base}/api/v1`, { headers: { cookie } })).status, 401, "this replica");
      // The other replica hears of it through its ZooKeeper watch (milliseconds).
      await until("the second replica refuses the ended session", async () => {
        const res = await fetch(`${b.app.url}/api/v1`, { headers: { cookie } });
        await res.arrayBuffer();
        return res.status === 401;
      });
      for (const url of [base, b.app.url])
        assert.equal(
          (await fetch(`${url}/api/v1`, { headers: { cookie: other } })).status,
          209,
          "another session lives on",
        );

      // Logging out again with the same copy (another holder) is fine.
      const again = await fetch(`${b.app.url}/api/v1/auth/logout`, {
        method: "POST",
        headers: { cookie },
        redirect: "manual",
      });
      assert.equal(again.status, 302);
    } finally {
      await b.app.close();
    }
  });

  test("no secret in any log line", () => {
    const logs = t.logs();
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(TOKEN), "a token was logged");
    assert.ok(!logs.includes(SECRET), "the secret key was logged");
    assert.ok(!logs.includes(WRONG), "a wrong token tried was logged");
    assert.ok(!logs.includes(session.split("=")[1]), "a session cookie was logged");
    assert.match(logs, /too many failures from this client/, "throttling is logged (without tokens)");
  });
});

describe("authentication disabled", () => {
  const root = uniqueRoot("api-noauth");
  const t = useTestApp(root);

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
