/** Kept answer bytes and their gzip (api/v1/kept-body.ts), through a real fastify instance (inject). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import Fastify from "fastify";
import { acceptsGzip, KeptBody, sendKeptJson } from "../../api/v1/kept-body.ts";

test("acceptsGzip reads Accept-Encoding as RFC 9110 says", () => {
  assert.equal(acceptsGzip(undefined), false);
  assert.equal(acceptsGzip(""), false);
  assert.equal(acceptsGzip("gzip, deflate"), true); // python-requests, PVC's CLI
  assert.equal(acceptsGzip("deflate, br"), false);
  assert.equal(acceptsGzip("GZIP;q=0.5"), true);
  assert.equal(acceptsGzip("gzip;q=0"), false);
  assert.equal(acceptsGzip("*"), true);
  assert.equal(acceptsGzip("*;q=0"), false);
  assert.equal(acceptsGzip("gzip;q=0, *"), false);
  assert.equal(acceptsGzip("identity"), false);
});

test("a kept body is sent plain until its gzip is made, then gzipped to clients that accept it", async () => {
  const json = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ name: `vm${i}`, xml: "<domain/>" })));
  const kept = new KeptBody(Buffer.from(json));
  const app = Fastify();
  app.get("/vm", async (request, reply) => sendKeptJson(request, reply, kept));
  const ask = (headers: Record<string, string>) => app.inject({ method: "GET", url: "/vm", headers });

  const first = await ask({ "accept-encoding": "gzip, deflate" });
  assert.equal(first.headers["content-encoding"], undefined); // the gzip is being made meanwhile
  assert.equal(first.body, json);
  let zipped = first;
  for (let i = 0; i < 200 && zipped.headers["content-encoding"] !== "gzip"; i++) {
    await new Promise((r) => setTimeout(r, 5));
    zipped = await ask({ "accept-encoding": "gzip, deflate" });
  }
  assert.equal(zipped.headers["content-encoding"], "gzip");
  assert.equal(zipped.headers.vary, "Accept-Encoding");
  assert.match(String(zipped.headers["content-type"]), /^application\/json/);
  assert.ok(zipped.rawPayload.length < json.length / 5, `gzip of ${zipped.rawPayload.length} bytes`);
  assert.equal(gunzipSync(zipped.rawPayload).toString(), json);

  const plain = await ask({});
  assert.equal(plain.headers["content-encoding"], undefined);
  assert.equal(plain.body, json);
  const refused = await ask({ "accept-encoding": "gzip;q=0, deflate" });
  assert.equal(refused.headers["content-encoding"], undefined);
  assert.equal(refused.body, json);
  await app.close();
});
