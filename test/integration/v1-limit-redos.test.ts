/**
 * Issue 12, items 3 and 7: the /api/v1 `limit` over real HTTP on the real app. A pattern that makes
 * a backtracking engine take exponential time (`(a+)+$` against 31 `a` and a `!`: 18 s, the whole
 * process blocked) is answered at once and correctly; a 200 KB limit (sent in a form body, as a
 * URL that long never reaches the app) is a 400 naming the length bound, not a 500.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { before, describe, test } from "node:test";
import { expectV1, GROUP_PATH, testConfig, until, useTestApp, v1Call } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

const EVIL_DESCRIPTION = `${"a".repeat(31)}!`;

/** A GET with an urlencoded body (PVC's clients may send values so; fetch cannot). */
function getWithForm(url: string, form: URLSearchParams): Promise<{ status: number; body: unknown }> {
  const payload = form.toString();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "GET",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

describe("/api/v1 limit: linear-time matching and bounded patterns", () => {
  const root = uniqueRoot("v1limit");
  const t = useTestApp(root, () => testConfig(`${root}/store`));

  before(async () => {
    const res = await fetch(`${t.app.url}${GROUP_PATH}/networks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        apiVersion: "pvc.parallelvirtualcluster.org/v1",
        kind: "Network",
        metadata: { name: "redos" },
        // An explicit domain: the defaulted one (<description>.local) is not a DNS name here.
        spec: { vni: 557, type: "bridged", description: EVIL_DESCRIPTION, domain: "redos.local" },
      }),
    });
    assert.equal(res.status, 201, await res.text());
    await until(
      "the facade to see the network",
      async () => (await v1Call(t.app.url, "GET", "/network", { limit: "^557$" })).status === 200,
    );
  });

  test("GET /network?limit=(a+)+$ against 31 a and a ! answers at once, with PVC's answer", async () => {
    const started = performance.now();
    // Python's re.match('.*(a+)+$', name) is false for "aaa…a!" and for "557".
    expectV1(await v1Call(t.app.url, "GET", "/network", { limit: "(a+)+$" }), 404, "Network not found.");
    const elapsed = performance.now() - started;
    // A generous bound: the backtracking engine took 18 s here; RE2 takes milliseconds.
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);

    const hit = await v1Call(t.app.url, "GET", "/network", { limit: "(a+)+!$" });
    assert.equal(hit.status, 200, JSON.stringify(hit.body));
    assert.deepEqual(
      (hit.body as Array<{ vni: string; description: string }>).map((n) => [n.vni, n.description]),
      [["557", EVIL_DESCRIPTION]],
    );
    // The server was never blocked: it still answers its health check.
    assert.equal((await fetch(`${t.app.url}/healthz`)).status, 200);
  });

  test("a 200 KB limit is a 400 naming the bound, not a 500, and is not echoed back", async () => {
    const huge = "a".repeat(200 * 1024);
    const r = await getWithForm(`${t.app.url}/api/v1/network`, new URLSearchParams({ limit: huge }));
    expectV1(r, 400, `Regex Error: limit is ${huge.length} characters long; at most 512 are accepted`);
  });

  test("syntax RE2 cannot run in linear time is a 400 saying so", async () => {
    expectV1(
      await v1Call(t.app.url, "GET", "/network", { limit: "(a)\\1" }),
      400,
      /^Regex Error: limit "\(a\)\\\\1" uses syntax this server does not support .*no backreferences or lookaround/,
    );
  });
});
