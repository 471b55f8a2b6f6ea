/**
 * The /api/v1 form bodies (api/v1/form-body.ts) under readValues: multipart read into values as
 * before, and a malformed multipart body refused as the client's error (BAD_REQUEST), not a 500
 * (issue 12, item 7).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Fastify from "fastify";
import { statusCodeOf, statusDoc } from "../../api/status.ts";
import { addFormBodies, FORM_LIMIT_BYTES } from "../../api/v1/form-body.ts";
import { getValue, getValues, readValues } from "../../api/v1/values.ts";

async function server() {
  const app = Fastify();
  app.addHttpMethod("GET", { hasBody: true, overrideExisting: true });
  await addFormBodies(app);
  app.setErrorHandler((err, _request, reply) => {
    void reply.code(statusCodeOf(err)).send(statusDoc(err));
  });
  const handler = async (request: Parameters<typeof readValues>[0]) => readValues(request);
  app.get("/v", handler);
  app.post("/v", handler);
  return app;
}

const BOUNDARY = "----pvctest";
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

function part(name: string, value: string, filename?: string): string {
  const disposition = `form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}`;
  const type = filename ? "Content-Type: text/plain\r\n" : "";
  return `--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n${value}\r\n`;
}

describe("multipart form bodies", () => {
  test("fields, repeated fields and file parts become values, after the query", async () => {
    const app = await server();
    const payload = `${part("name", "tpl")}${part("arg", "x=1")}${part("arg", "y=2")}${part(
      "data",
      "#cloud-config\nusers: []\n",
      "userdata.yaml",
    )}${part("limit", "body")}--${BOUNDARY}--\r\n`;
    const res = await app.inject({
      method: "POST",
      url: "/v?limit=query",
      headers: { "content-type": TYPE },
      payload,
    });
    assert.equal(res.statusCode, 200, res.body);
    const v = res.json();
    assert.equal(getValue(v, "name"), "tpl");
    assert.deepEqual(getValues(v, "arg"), ["x=1", "y=2"]);
    assert.equal(getValue(v, "data"), "#cloud-config\nusers: []\n");
    assert.deepEqual(getValues(v, "limit"), ["query", "body"]);
  });

  test("an empty multipart body is an empty form", async () => {
    const app = await server();
    const res = await app.inject({ method: "POST", url: "/v?a=1", headers: { "content-type": TYPE } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { a: "1" });
  });

  test("a field larger than the limit is refused, not cut to the limit and taken", async () => {
    const app = await server();
    const payload = `${part("xml", "x".repeat(FORM_LIMIT_BYTES + 1))}--${BOUNDARY}--\r\n`;
    const res = await app.inject({ method: "POST", url: "/v", headers: { "content-type": TYPE }, payload });
    assert.equal(res.statusCode, 400, res.body.slice(0, 200));
    assert.equal(
      (res.json() as { message: string }).message,
      `ERROR: Form field 'xml' is larger than ${FORM_LIMIT_BYTES} bytes.`,
    );
  });

  test("a malformed body is a 400 that says why, on GET and POST alike", async () => {
    const app = await server();
    const cases: Array<[string, string, RegExp]> = [
      [TYPE, `${part("vni", "55").slice(0, -2)}`, /Unexpected end of (multipart data|form)/],
      ["multipart/form-data", "garbage", /Boundary not found/],
      [TYPE, `--${BOUNDARY}\r\nno header end`, /Unexpected end of (multipart data|form)|Malformed/],
    ];
    for (const method of ["POST", "GET"] as const) {
      for (const [type, payload, why] of cases) {
        const res = await app.inject({ method, url: "/v", headers: { "content-type": type }, payload });
        assert.equal(res.statusCode, 400, `${method} ${JSON.stringify(payload)}: ${res.body}`);
        const body = res.json() as { code: string; message: string };
        assert.equal(body.code, "BAD_REQUEST");
        assert.match(body.message, /^ERROR: The request body is not valid multipart\/form-data: /);
        assert.match(body.message, why);
      }
    }
  });
});
