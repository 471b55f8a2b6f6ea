import assert from "node:assert/strict";
import { test } from "node:test";
import { plural } from "../../src/plural.ts";

test("plural: the noun agrees with the count", () => {
  assert.equal(plural(0, "object"), "0 objects");
  assert.equal(plural(1, "object"), "1 object");
  assert.equal(plural(2, "file"), "2 files");
  assert.equal(plural(1, "entry", "entries"), "1 entry");
  assert.equal(plural(5, "entry", "entries"), "5 entries");
});
