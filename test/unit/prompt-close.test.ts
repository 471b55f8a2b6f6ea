/**
 * api/prompt-close.ts on a bare fastify app (no stack): a connection that never sent a request is
 * closed as the server closes; a request still in flight when the grace runs out has its
 * connection cut, so the close ends; an idle server closes without waiting for the grace.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { request } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { test } from "node:test";
import Fastify from "fastify";
import { closePromptly } from "../../api/prompt-close.ts";
import { endsWithin } from "../helpers/ends-within.ts";

async function serve(graceMs: number) {
  const app = Fastify();
  closePromptly(app, { tls: false, graceMs });
  // A request that is never answered: what a facade wait looks like to the server's close.
  app.get("/never", () => new Promise(() => undefined));
  app.get("/ok", async () => "ok");
  await app.listen({ host: "127.0.0.1", port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port };
}

test("a connection that never sent a request is closed as the server closes", async () => {
  const { app, port } = await serve(60_000);
  const silent = connect(port, "127.0.0.1");
  await once(silent, "connect");
  const closed = once(silent, "close");
  assert.ok(await endsWithin(app.close(), 5_000), "closed without waiting for the 60 s grace");
  await closed;
});

test("a request still in flight after the grace has its connection cut", { timeout: 10_000 }, async () => {
  const { app, port } = await serve(300);
  const req = request({ host: "127.0.0.1", port, path: "/never" });
  const failed = once(req, "error");
  req.end();
  // Wait until the server has the request (it is in flight, not silent).
  await new Promise((r) => setTimeout(r, 100));
  await app.close();
  const [err] = await failed;
  assert.equal((err as NodeJS.ErrnoException).code, "ECONNRESET");
});

test("answered requests and kept-alive connections do not hold the close", async () => {
  const { app, port } = await serve(60_000);
  const res = await fetch(`http://127.0.0.1:${port}/ok`);
  assert.equal(await res.text(), "ok");
  // The kept-alive connection is idle: closed by Node, no grace needed.
  assert.ok(await endsWithin(app.close(), 5_000), "closed without waiting for the 60 s grace");
});
