/**
 * Tokens match exactly (never by substring, prefix or emptiness, PVC v0.6's bug), sessions carry a
 * keyed fingerprint that dies with its token or its lifetime, and logs never show a token.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { parseSession, SESSION_LIFETIME_MS, sessionPayload, TokenSet } from "../../api/credentials.ts";
import { createLogger, REDACTED, redactUrl } from "../../api/logging.ts";

const TOKEN = "3f0c6f4e-6c1d-4f57-9a53-1c2b5a8d9e10";

describe("TokenSet", () => {
  const tokens = new TokenSet([TOKEN, "", "second-token"], "secret-key");

  test("only an exact token matches", () => {
    assert.equal(tokens.matches(TOKEN), true);
    assert.equal(tokens.matches("second-token"), true);
    for (const wrong of [
      undefined,
      "",
      TOKEN.slice(0, 8),
      TOKEN.slice(1),
      `${TOKEN}x`,
      TOKEN.toUpperCase(),
      "second",
      " ",
    ]) {
      assert.equal(tokens.matches(wrong), false, JSON.stringify(wrong));
    }
  });

  test("empty configured tokens are dropped and never match", () => {
    assert.equal(tokens.size, 2);
    assert.equal(new TokenSet([""], "k").matches(""), false);
    assert.equal(new TokenSet([], "k").matches("anything"), false);
  });

  test("a session fingerprint is keyed, stands for its token, and dies with it", () => {
    const fp = tokens.fingerprintOf(TOKEN);
    assert.ok(fp);
    assert.ok(!fp.includes(TOKEN));
    assert.equal(tokens.knowsFingerprint(fp), true);
    assert.equal(tokens.fingerprintOf("nope"), undefined);
    assert.notEqual(new TokenSet([TOKEN], "other-key").fingerprintOf(TOKEN), fp, "keyed by secret_key");
    assert.equal(new TokenSet(["second-token"], "secret-key").knowsFingerprint(fp), false, "token removed");
  });

  test("session payloads carry a random id and expire", () => {
    const now = 1_000_000_000_000;
    const session = parseSession(sessionPayload("abc", "AAAAAAAAAAAAAAAAAAAAAA", now), now + 1000);
    assert.deepEqual(session, {
      id: "AAAAAAAAAAAAAAAAAAAAAA",
      fingerprint: "abc",
      expiresAt: now + SESSION_LIFETIME_MS,
    });
    assert.notEqual(parseSession(sessionPayload("abc"))?.id, parseSession(sessionPayload("abc"))?.id);
    assert.equal(
      parseSession(sessionPayload("abc", undefined, now), now + SESSION_LIFETIME_MS + 1),
      undefined,
    );
    assert.equal(
      parseSession(sessionPayload("abc", undefined, now + 3_600_000), now),
      undefined,
      "from the future",
    );
    for (const bad of ["garbage", `${now}.abc`, `${now}.short.abc`, `${now}.${"A".repeat(22)}.abc.x`])
      assert.equal(parseSession(bad, now), undefined, bad);
  });
});

describe("logs", () => {
  test("redactUrl hides token values in the query", () => {
    assert.equal(
      redactUrl(`/api/v1/auth/login?token=${TOKEN}&x=1`),
      `/api/v1/auth/login?token=${REDACTED}&x=1`,
    );
    assert.equal(redactUrl("/a?X-Api-Key=s&b"), `/a?X-Api-Key=${REDACTED}&b`);
    assert.equal(redactUrl("/a?tokens=1"), "/a?tokens=1");
    assert.equal(redactUrl("/plain"), "/plain");
  });

  test("the logger censors headers, bodies and config secrets", () => {
    let out = "";
    const sink = new Writable({
      write(chunk, _e, done) {
        out += String(chunk);
        done();
      },
    });
    const log = createLogger({ level: "info", destination: sink });
    log.info({ req: { headers: { "x-api-key": TOKEN, cookie: `pvc_session=${TOKEN}` } } }, "r");
    log.info({ body: { token: TOKEN }, query: { token: TOKEN } }, "b");
    log.info({ config: { api: { auth: { tokens: [{ token: TOKEN }], secretKey: TOKEN } } } }, "c");
    log.info({ req: { method: "POST", url: `/api/v1/auth/login?token=${TOKEN}` } }, "u");
    assert.ok(!out.includes(TOKEN), out);
    assert.match(out, /redacted/);
  });
});
