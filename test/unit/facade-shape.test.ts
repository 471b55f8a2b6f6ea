/**
 * The /api/v1 facades and the rest of api/ keep issue 13's shape rules on their own (the whole
 * repository's check is code-shape.test.ts, which also covers the controllers): handlers that
 * translate requests into resource changes and reads of typed readers, never touching ZooKeeper,
 * Ceph, processes or controllers; no cast through unknown; short functions and files.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { shapeFindings } from "../../scripts/code-shape.ts";

const root = join(import.meta.dirname, "../..");

test("api/ keeps the shape rules (no ZooKeeper, Ceph, processes or controllers in a facade)", () => {
  const findings = shapeFindings(root)
    .filter((f) => f.file.startsWith("api/"))
    .map((f) => `${f.file}:${f.line}: ${f.what}`);
  assert.deepEqual(findings, [], `${findings.length} findings:\n${findings.join("\n")}`);
});
