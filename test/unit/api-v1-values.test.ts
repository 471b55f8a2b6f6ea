/**
 * readValues (api/v1/values.ts) with keys that are names of Object.prototype's members: a client
 * may send `constructor=x`, `toString` or `__proto__` as a query or form key, and each is a value
 * like any other, never a 500 (the route fuzzer found `out[key].push is not a function`).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FastifyRequest } from "fastify";
import { getValue, getValues, hasFlag, readValues } from "../../api/v1/values.ts";

function request(query: unknown, body?: unknown): FastifyRequest {
  return {
    query,
    body,
    headers: body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" },
  } as unknown as FastifyRequest;
}

test("keys named like Object.prototype's members are plain values", () => {
  // JSON.parse makes `__proto__` an own key, as a query or form parser does.
  const query = JSON.parse('{"constructor": "x", "__proto__": "p", "vni": "5"}');
  const body = JSON.parse('{"toString": "y", "hasOwnProperty": ["a", "b"], "constructor": "z"}');
  const v = readValues(request(query, body));
  assert.equal(getValue(v, "constructor"), "x");
  assert.deepEqual(getValues(v, "constructor"), ["x", "z"]);
  assert.equal(getValue(v, "__proto__"), "p");
  assert.equal(getValue(v, "toString"), "y");
  assert.deepEqual(getValues(v, "hasOwnProperty"), ["a", "b"]);
  assert.equal(getValue(v, "vni"), "5");
});

test("a name nobody sent is absent, even when Object.prototype has a member of that name", () => {
  const v = readValues(request({ vni: "5" }));
  for (const name of ["constructor", "toString", "__proto__", "valueOf"]) {
    assert.equal(getValue(v, name), undefined, name);
    assert.deepEqual(getValues(v, name), [], name);
    assert.equal(hasFlag(v, name), false, name);
  }
});
