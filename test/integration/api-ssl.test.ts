/**
 * SSL with the configured certificate and key: a self-signed certificate made for this test with
 * openssl; the API answers over HTTPS (verified against that certificate), not over plain HTTP,
 * and session cookies are marked Secure (with HttpOnly and SameSite), also when logout clears them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { testConfig, useTestApp } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

const TOKEN = "ssl-test-token-0123456789";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpsCall(
  url: string,
  ca: Buffer,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers, ca, servername: "localhost" },
      (res) => {
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

describe("HTTPS", () => {
  const root = uniqueRoot("api-ssl");
  const dir = mkdtempSync(join(tmpdir(), "pvc-ssl-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  let cert: Buffer;

  // The certificate is made first: the app's config names it.
  before(async () => {
    await execa("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-days",
      "1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ]);
    cert = readFileSync(certFile);
  });
  const t = useTestApp(root, () =>
    testConfig(root, (c) => {
      c.api.ssl = { enabled: true, certFile, keyFile };
      c.api.auth = {
        enabled: true,
        secretKey: "ssl-secret-key",
        tokens: [{ description: "t", token: TOKEN }],
      };
    }),
  );
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("serves HTTPS with the configured certificate", async () => {
    assert.match(t.app.url, /^https:\/\//);
    const res = await httpsCall(`${t.app.url}/api/v1`, cert, { headers: { "x-api-key": TOKEN } });
    assert.equal(res.status, 209);
    assert.deepEqual(JSON.parse(res.body), { message: "PVC API version 1" });
    // An unknown certificate authority is refused: the server really presents the configured one.
    await assert.rejects(httpsCall(`${t.app.url}/healthz`, Buffer.from("")), /self.signed|certificate/i);
  });

  test("plain HTTP is not served", async () => {
    const plain = t.app.url.replace("https://", "http://");
    const outcome = await fetch(`${plain}/healthz`).then(
      (r) => `HTTP ${r.status}`,
      () => "refused",
    );
    assert.notEqual(outcome, "HTTP 200");
  });

  test("session cookies are Secure over HTTPS", async () => {
    const res = await httpsCall(`${t.app.url}/api/v1/auth/login`, cert, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${TOKEN}`,
    });
    assert.equal(res.status, 302);
    const setCookie = res.headers["set-cookie"] ?? [];
    assert.equal(setCookie.length, 1);
    // Secure: never sent over plain HTTP; HttpOnly: out of scripts' reach; SameSite: not on
    // other sites' cross-site requests.
    for (const attribute of [/; Secure(;|$)/i, /; HttpOnly(;|$)/i, /; SameSite=Lax(;|$)/i, /; Path=\/(;|$)/])
      assert.match(setCookie[0], attribute);
    const cookie = setCookie[0].split(";")[0];
    const root = await httpsCall(`${t.app.url}/api/v1`, cert, { headers: { cookie } });
    assert.equal(root.status, 209, "the session works over HTTPS");

    // Clearing it on logout carries the same attributes (a browser replaces a cookie only by its like).
    const out = await httpsCall(`${t.app.url}/api/v1/auth/logout`, cert, { headers: { cookie } });
    assert.equal(out.status, 302);
    const cleared = out.headers["set-cookie"]?.[0] ?? "";
    assert.match(cleared, /^pvc_session=;/);
    for (const attribute of [/; Secure(;|$)/i, /; HttpOnly(;|$)/i, /; SameSite=Lax(;|$)/i])
      assert.match(cleared, attribute);
    assert.equal((await httpsCall(`${t.app.url}/api/v1`, cert, { headers: { cookie } })).status, 401);
  });
});
