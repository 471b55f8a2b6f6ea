/**
 * The code keeps the shape issue 13 asked for (scripts/code-shape.ts measures it; run it directly
 * for every finding): small files and functions where kinds and facades live, no casts in kind
 * code, and /api/v1 handlers that translate requests into resource changes without touching
 * ZooKeeper or Ceph themselves.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { facadeFindings, longFunctions, shapeFindings } from "../../scripts/code-shape.ts";

const root = join(import.meta.dirname, "../..");

test("the measure finds what it should (so a clean result means something)", () => {
  const long = `function big() {\n${"  x++;\n".repeat(90)}}\nconst small = () => {\n  return 1;\n};\n`;
  assert.deepEqual(longFunctions(long), [{ line: 1, lines: 92 }]);
  const method = `export const k = {\n  kind: "X",\n  create(ctx: C): D {\n${"    y();\n".repeat(85)}  },\n};\n`;
  assert.equal(longFunctions(method).length, 1, "an object literal's method is a function");
  const braces = `function f() {\n  const s = "}}}";\n  // }\n  const r = /[}]/;\n${"  z();\n".repeat(79)}}\n`;
  assert.deepEqual(
    longFunctions(braces),
    [{ line: 1, lines: 84 }],
    "braces in strings, comments and regexes do not count",
  );
  const facade = [
    'import { ZkClient } from "../../src/zk/client.ts";',
    "await deps.store.zk.exists(path);",
    "if (/still converging/.test(outcome.message)) return;",
    "const c = new CephClient();",
  ].join("\n");
  assert.deepEqual(
    facadeFindings("api/v1/x.ts", facade).map((f) => f.what),
    ["imports the ZooKeeper client", "calls ZooKeeper", "decides on message text", "builds a Ceph client"],
  );
});

test("controllers/, api/ and src/ keep the shape rules", () => {
  const findings = shapeFindings(root).map((f) => `${f.file}:${f.line}: ${f.what}`);
  assert.deepEqual(findings, [], `${findings.length} findings:\n${findings.join("\n")}`);
});
