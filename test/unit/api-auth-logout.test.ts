/**
 * Logout when the end of the session cannot be recorded (ZooKeeper unavailable): 503 with a clear
 * message, and the cookie is kept — the session still works, so the logout can be tried again —
 * rather than a redirect that looks like success while copies of the cookie stay valid elsewhere.
 * The gate and its routes on a bare fastify, with a record of ended sessions the test controls.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import cookie from "@fastify/cookie";
import Fastify from "fastify";
import { AuthGate, authRoutes, installAuthGate } from "../../api/auth.ts";
import type { SessionEnds } from "../../api/sessions.ts";

const TOKEN = "unit-test-token";

class FlakyEnds implements SessionEnds {
  readonly ended = new Set<string>();
  down = true;
  isEnded(id: string): boolean {
    return this.ended.has(id);
  }
  async end(session: { id: string }): Promise<void> {
    if (this.down) throw new Error("zookeeper: connection lost");
    this.ended.add(session.id);
  }
}

describe("logout", () => {
  test("a logout that cannot be recorded answers 503 and keeps the session; once recorded it ends it", async () => {
    const ends = new FlakyEnds();
    const gate = new AuthGate({
      enabled: true,
      secretKey: "unit-secret",
      tokens: [TOKEN],
      secureCookie: false,
      endedSessions: ends,
    });
    const app = Fastify();
    await app.register(cookie, { secret: "unit-secret" });
    installAuthGate(app, gate);
    app.get("/api/v1", async () => ({ message: "PVC API version 1" }));
    await app.register(authRoutes, { gate, prefix: "/api/v1" });

    const login = await app.inject({ method: "POST", url: `/api/v1/auth/login?token=${TOKEN}` });
    assert.equal(login.statusCode, 302);
    const session = String(login.headers["set-cookie"]).split(";")[0];
    const root = () => app.inject({ url: "/api/v1", headers: { cookie: session } });
    assert.equal((await root()).statusCode, 200);

    const failed = await app.inject({ url: "/api/v1/auth/logout", headers: { cookie: session } });
    assert.equal(failed.statusCode, 503);
    assert.match(failed.json().message, /^Logout failed: the session could not be ended everywhere/);
    assert.equal(failed.headers["set-cookie"], undefined, "the cookie is kept for another try");
    assert.equal((await root()).statusCode, 200, "the session is not ended");

    ends.down = false;
    const done = await app.inject({ url: "/api/v1/auth/logout", headers: { cookie: session } });
    assert.equal(done.statusCode, 302);
    assert.equal(ends.ended.size, 1);
    assert.equal((await root()).statusCode, 401);
    await app.close();
  });
});
