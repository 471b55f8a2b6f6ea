/**
 * The facade's helpers: PVC's fuzzy limit (expected results computed with Python's `re` on PVC
 * v0.6's exact wrapping), the values reader (query, urlencoded and multipart bodies, GET bodies,
 * repeated keys, flags), the error answers, and the verdict helpers.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import formbody from "@fastify/formbody";
import multipart from "@fastify/multipart";
import Fastify from "fastify";
import { facadeStatusOf } from "../../api/v1/errors.ts";
import { fail, ok } from "../../api/v1/facade.ts";
import { fuzzyLimit, fuzzyPattern, limitFilter } from "../../api/v1/limit.ts";
import { getValue, getValues, hasFlag, readValues } from "../../api/v1/values.ts";
import { ErrorCodes, PvcError } from "../../src/errors.ts";

describe("fuzzyLimit, as PVC's client-common", () => {
  // [limit, name, PVC's answer] — the answers are Python's re.match on PVC's wrapped pattern.
  const cases: Array<[string, string, boolean]> = [
    ["hv", "hv1", true],
    ["hv", "pvchv2", true],
    ["hv", "node", false],
    ["^hv", "hv1", true],
    ["^hv", "pvchv2", false],
    ["hv1$", "pvchv1", true],
    ["hv1$", "hv10", false],
    ["hv1", "hv10", true],
    ["a|b", "xbx", false],
    ["^a|b", "xb", false],
    ["^a|b", "bx", true],
    ["web.*1", "web-01", true],
    ["WEB", "web", false],
    ["$", "x", true],
    ["1$|^x", "x9", true],
  ];
  for (const [limit, name, expected] of cases) {
    test(`${JSON.stringify(limit)} ${expected ? "matches" : "does not match"} ${JSON.stringify(name)}`, () => {
      assert.equal(fuzzyLimit(limit).test(name), expected);
    });
  }

  test("wraps like PVC: .* unless it starts with ^; .* unless it has a $", () => {
    assert.equal(fuzzyPattern("hv"), ".*hv.*");
    assert.equal(fuzzyPattern("^hv"), "^hv.*");
    assert.equal(fuzzyPattern("hv$"), ".*hv$");
    assert.equal(fuzzyPattern("^hv$"), "^hv$");
  });

  test("an invalid regex is a BAD_REQUEST with PVC's 'Regex Error', not a crash", () => {
    for (const bad of ["(", "a)(b", "[z-a]", "*x"]) {
      assert.throws(
        () => fuzzyLimit(bad),
        (e: unknown) =>
          e instanceof PvcError && e.code === ErrorCodes.BAD_REQUEST && e.message.startsWith("Regex Error"),
        bad,
      );
    }
  });

  test("limitFilter: no limit keeps everything", () => {
    assert.equal(limitFilter(undefined)("anything"), true);
    assert.equal(limitFilter("")("anything"), true);
    assert.equal(limitFilter("hv")("x"), false);
  });
});

async function valuesServer() {
  const app = Fastify();
  app.addHttpMethod("GET", { hasBody: true, overrideExisting: true });
  await app.register(formbody);
  await app.register(multipart, { attachFieldsToBody: "keyValues" });
  const handler = async (request: Parameters<typeof readValues>[0]) => readValues(request);
  app.get("/v", handler);
  app.post("/v", handler);
  return app;
}

function multipartBody(parts: Array<[string, string, string?]>): { body: string; type: string } {
  const boundary = "----pvctest";
  const chunks = parts.map(([name, value, filename]) => {
    const disposition = `form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}`;
    const type = filename ? "Content-Type: text/plain\r\n" : "";
    return `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n${value}\r\n`;
  });
  return { body: `${chunks.join("")}--${boundary}--\r\n`, type: `multipart/form-data; boundary=${boundary}` };
}

describe("readValues", () => {
  test("query values, repeated keys as lists, flags by presence", async () => {
    const app = await valuesServer();
    const res = await app.inject({ method: "GET", url: "/v?limit=hv&arg=a%3D1&arg=b%3D2&restart" });
    const v = res.json();
    assert.equal(getValue(v, "limit"), "hv");
    assert.deepEqual(getValues(v, "arg"), ["a=1", "b=2"]);
    assert.equal(hasFlag(v, "restart"), true);
    assert.equal(hasFlag(v, "force"), false);
    assert.deepEqual(getValues(v, "none"), []);
    assert.equal(getValue(v, "none"), undefined);
  });

  test("urlencoded bodies on POST and on GET, after the query", async () => {
    const app = await valuesServer();
    for (const method of ["POST", "GET"] as const) {
      const res = await app.inject({
        method,
        url: "/v?name=fromquery",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: "name=frombody&filesystem_arg=-L%3Droot&filesystem_arg=-m%3D1&data=line1%0Aline2",
      });
      const v = res.json();
      assert.equal(getValue(v, "name"), "fromquery", `${method}: the query wins, as Flask's request.values`);
      assert.deepEqual(getValues(v, "name"), ["fromquery", "frombody"]);
      assert.deepEqual(getValues(v, "filesystem_arg"), ["-L=root", "-m=1"]);
      assert.equal(getValue(v, "data"), "line1\nline2");
    }
  });

  test("multipart fields and file parts (curl -F data=@file)", async () => {
    const app = await valuesServer();
    const { body, type } = multipartBody([
      ["name", "tpl"],
      ["arg", "x=1"],
      ["arg", "y=2"],
      ["data", "#cloud-config\nusers: []\n", "userdata.yaml"],
    ]);
    const res = await app.inject({
      method: "POST",
      url: "/v",
      headers: { "content-type": type },
      payload: body,
    });
    assert.equal(res.statusCode, 200, res.body);
    const v = res.json();
    assert.equal(getValue(v, "name"), "tpl");
    assert.deepEqual(getValues(v, "arg"), ["x=1", "y=2"]);
    assert.equal(getValue(v, "data"), "#cloud-config\nusers: []\n");
  });

  test("a JSON body is not PVC's protocol: its fields are not values", async () => {
    const app = await valuesServer();
    const res = await app.inject({ method: "POST", url: "/v?a=1", payload: { b: "2" } });
    assert.deepEqual(res.json(), { a: "1" });
  });
});

describe("facade answers", () => {
  test("GET: 404 for NOT_FOUND, 400 for bad values; writes: 510; unexpected: 500", () => {
    const notFound = new PvcError(ErrorCodes.NOT_FOUND, "Network not found.");
    const invalid = new PvcError(ErrorCodes.VALIDATION_FAILED, "bad");
    const regex = new PvcError(ErrorCodes.BAD_REQUEST, "Regex Error");
    assert.equal(facadeStatusOf(notFound, "GET"), 404);
    assert.equal(facadeStatusOf(invalid, "GET"), 400);
    assert.equal(facadeStatusOf(regex, "GET"), 400);
    for (const method of ["POST", "PUT", "DELETE"]) {
      assert.equal(facadeStatusOf(notFound, method), 510);
      assert.equal(facadeStatusOf(invalid, method), 510);
    }
    assert.equal(facadeStatusOf(new Error("boom"), "POST"), 500);
    assert.equal(facadeStatusOf(new PvcError(ErrorCodes.ZK_CONNECTION_LOSS, "down"), "GET"), 503);
  });

  test("verdicts", () => {
    assert.deepEqual(ok("done"), { ok: true, message: "done" });
    assert.deepEqual(fail("no"), { ok: false, message: "no" });
  });
});
