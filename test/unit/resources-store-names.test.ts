/**
 * The name rule at the store's door (issue 12, item 7): a name, and an ACL description, is one
 * ZooKeeper path segment, so "/", "." and "..", whitespace, control characters and what ZooKeeper
 * itself refuses are named with the character and where it is.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_NAME_LENGTH, pathSegmentProblem, storeNameProblem } from "../../src/resources/names.ts";

test("names PVC and our kinds use are path segments", () => {
  for (const ok of ["lan", "vms.web1_sda@before-upgrade", "a+b", "x".repeat(MAX_NAME_LENGTH), "é", "...x"]) {
    assert.equal(storeNameProblem(ok), undefined, ok);
  }
});

test("what would leave the object's znode, or that ZooKeeper refuses, is named with where it is", () => {
  const cases: Array<[string, string]> = [
    ["a/../b", 'must not contain "/", found at index 1'],
    ["fzn/status", 'must not contain "/", found at index 3'],
    ["a/", 'must not contain "/", found at index 1'],
    [".", 'must not be "." or ".."'],
    ["..", 'must not be "." or ".."'],
    [
      "a b",
      "must not contain whitespace, control characters or characters ZooKeeper refuses: U+0020 at index 1",
    ],
    [
      "a\nb",
      "must not contain whitespace, control characters or characters ZooKeeper refuses: U+000A at index 1",
    ],
    [
      "a\u0000",
      "must not contain whitespace, control characters or characters ZooKeeper refuses: U+0000 at index 1",
    ],
    [
      "a\u0085",
      "must not contain whitespace, control characters or characters ZooKeeper refuses: U+0085 at index 1",
    ],
    [
      "ok\u2028",
      "must not contain whitespace, control characters or characters ZooKeeper refuses: U+2028 at index 2",
    ],
    // Outside the BMP: a surrogate pair, which ZooKeeper refuses.
    [
      "x😀",
      "must not contain whitespace, control characters or characters ZooKeeper refuses: U+D83D at index 1",
    ],
    [
      "\uffff",
      "must not contain whitespace, control characters or characters ZooKeeper refuses: U+FFFF at index 0",
    ],
  ];
  for (const [name, why] of cases) {
    assert.equal(pathSegmentProblem(name), why, JSON.stringify(name));
    assert.equal(storeNameProblem(name), why, JSON.stringify(name));
  }
});

test("a store name is required and at most 253 characters", () => {
  assert.equal(storeNameProblem(""), "a name is required");
  assert.equal(storeNameProblem(undefined), "a name is required");
  assert.equal(storeNameProblem(7), "a name is required");
  assert.equal(
    storeNameProblem("x".repeat(MAX_NAME_LENGTH + 1)),
    `must be at most ${MAX_NAME_LENGTH} characters, not ${MAX_NAME_LENGTH + 1}`,
  );
  assert.equal(pathSegmentProblem(""), "must not be empty");
});
