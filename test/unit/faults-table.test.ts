/** The fault suite's table and verdict (faults/table.ts, faults/types.ts): pure, no stack. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatTable } from "../../faults/table.ts";
import { clean, emptyResult, guarded } from "../../faults/types.ts";

test("the table has one aligned row per scenario, then the notes", () => {
  const a = { ...emptyResult("server kill -9", 3), converged: 3, maxConvergeMs: 12_345 };
  const b = { ...emptyResult("osd", 1), lost: 2, notes: ["run 1: lost two images"] };
  const lines = formatTable([a, b]).split("\n");
  assert.equal(lines.length, 5);
  assert.match(
    lines[0],
    /^\| scenario +\| runs \| converged \| lost \| duplicated \| orphaned \| max converge \|$/,
  );
  assert.match(lines[2], /^\| server kill -9 \| 3 +\| 3 +\| 0 +\| 0 +\| 0 +\| 12\.3 s +\|$/);
  assert.equal(new Set(lines.slice(0, 4).map((l) => l.length)).size, 1, "columns aligned");
  assert.equal(lines[4], "- osd: run 1: lost two images");
});

test("a row is clean only if every run converged and nothing was lost, duplicated or orphaned", () => {
  const ok = { ...emptyResult("x", 2), converged: 2 };
  assert.equal(clean(ok), true);
  assert.equal(clean({ ...ok, converged: 1 }), false);
  assert.equal(clean({ ...ok, lost: 1 }), false);
  assert.equal(clean({ ...ok, duplicated: 1 }), false);
  assert.equal(clean({ ...ok, orphaned: 1 }), false);
});

test("a scenario that throws ends as a note on a row that is not clean", async () => {
  const row = await guarded(emptyResult("x", 1), async () => {
    throw new Error("stack up failed");
  });
  assert.deepEqual(row.notes, ["failed: stack up failed"]);
  assert.equal(clean(row), false);
});
