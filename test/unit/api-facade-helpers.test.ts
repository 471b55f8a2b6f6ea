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

describe("fuzzyLimit: linear time, bounded, RE2 syntax (issue 12, items 3 and 7)", () => {
  /** Asserts a BAD_REQUEST "Regex Error" whose message matches `message`. */
  function refused(limit: string, message: RegExp | string): void {
    assert.throws(
      () => fuzzyLimit(limit),
      (e: unknown) => {
        assert.ok(e instanceof PvcError, String(e));
        assert.equal(e.code, ErrorCodes.BAD_REQUEST);
        if (typeof message === "string") assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      },
      limit.slice(0, 40),
    );
  }

  test("(a+)+$ against 31 a and a ! answers PVC's false at once (a backtracking engine took 18 s)", () => {
    const evil = `${"a".repeat(31)}!`;
    const started = performance.now();
    assert.equal(fuzzyLimit("(a+)+$").test(evil), false);
    assert.equal(fuzzyLimit("(a|aa)+$").test(evil), false);
    assert.equal(fuzzyLimit("(a+)+!$").test(evil), true);
    assert.equal(fuzzyLimit("^(a+)+$").test("a".repeat(253)), true);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
  });

  test("Python's (?P<name>…) and inline flags work, as in PVC's re", () => {
    assert.equal(fuzzyLimit("(?P<site>[a-z]+)-vm").test("dc-vm1"), true);
    assert.equal(fuzzyLimit("(?i)^web").test("WEB01"), true);
    assert.equal(fuzzyLimit("(?i)^web").test("xweb"), false);
  });

  test("what needs backtracking is a 400 that says it is unsupported, not invalid", () => {
    for (const limit of ["(a)\\1", "a(?=b)", "(?<=a)b", "(?!x)y", "a{1001}"]) {
      refused(limit, /^Regex Error: limit ".*" uses syntax this server does not support \(.*RE2.*\): /);
    }
  });

  test("invalid patterns keep PVC's 'is not a valid regular expression' with RE2's reason", () => {
    refused("(", 'Regex Error: limit "(" is not a valid regular expression: missing closing ): `.*(.*`');
    refused(
      "[z-a]",
      /^Regex Error: limit "\[z-a\]" is not a valid regular expression: invalid character class range/,
    );
  });

  test("the length is bounded at 512 characters, named in the message; the limit is not echoed", () => {
    assert.equal(fuzzyLimit("a".repeat(512)).test(`x${"a".repeat(512)}`), true);
    refused("a".repeat(513), "Regex Error: limit is 513 characters long; at most 512 are accepted");
    refused(
      "(".repeat(200 * 1024),
      `Regex Error: limit is ${200 * 1024} characters long; at most 512 are accepted`,
    );
  });

  test("a short pattern that counted repeats blow up is refused as too complex", () => {
    refused(
      "(?:.*\\pL){400}",
      /^Regex Error: limit ".*" is too complex: it compiles to \d+ instructions; at most 1000 are accepted$/,
    );
    // Realistic limits stay far below the bound.
    assert.equal(
      fuzzyLimit("^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$").test(
        "0b7c0b1e-3c51-4c8e-9a53-2f6f1d5c9e01",
      ),
      true,
    );
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
