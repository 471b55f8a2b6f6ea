/**
 * `reportsReady` (src/resources/kinds.ts) says which kinds get a Ready condition, and so which
 * `pvcctl apply --wait` waits for: it must match the controllers the manager runs (and the GitOps
 * watcher, which reports on GitOpsSync objects), or --wait would wait forever or not at all.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindControllers } from "../../controllers/index.ts";
import { KINDS } from "../../src/resources/kinds.ts";

test("the kinds that report Ready are exactly those with a controller, and GitOpsSync", () => {
  const controlled = new Set([...kindControllers.map((c) => c.kind), "GitOpsSync"]);
  for (const k of KINDS) {
    assert.equal(k.reportsReady, controlled.has(k.kind), `${k.kind}: reportsReady ${k.reportsReady}`);
  }
});
