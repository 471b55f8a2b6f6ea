/**
 * The fault suite's short form (issue 16), as CI runs it: `tsx faults/run.ts --short` boots a
 * stack of its own (a ZooKeeper ensemble of 3, Ceph, hollow nodes; ports from PVC_FAULTS_PORT,
 * default 24000), runs every scenario a few times — the ZooKeeper leader killed, the server's only
 * ZooKeeper killed and paused, the server killed with SIGKILL, two replicas with the leader
 * killed and paused, the OSD killed mid-create — and prints the table. Every row must be clean:
 * every run converged, nothing lost, duplicated or orphaned.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { ScenarioResult } from "../../faults/types.ts";

const RUN = fileURLToPath(new URL("../../faults/run.ts", import.meta.url));

test("the fault suite's short form: every scenario converges, nothing lost, duplicated or orphaned", {
  timeout: 960_000,
}, async () => {
  const started = Date.now();
  const r = await execa(process.execPath, ["--import", "tsx", RUN, "--short"], {
    reject: false,
    stdin: "ignore",
    timeout: 900_000,
  });
  const json = /^faults JSON (.*)$/m.exec(r.stdout)?.[1];
  assert.ok(json, `no result line; stdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-4000)}`);
  const rows = JSON.parse(json) as ScenarioResult[];
  const table = r.stdout.replace(/^faults JSON .*$/m, "");
  console.log(`${table}(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  assert.equal(rows.length, 5, table);
  for (const row of rows) {
    assert.ok(row.runs > 0, table);
    assert.deepEqual(
      { converged: row.converged, lost: row.lost, duplicated: row.duplicated, orphaned: row.orphaned },
      { converged: row.runs, lost: 0, duplicated: 0, orphaned: 0 },
      `${row.scenario}:\n${table}`,
    );
  }
  assert.equal(r.exitCode, 0, table);
});
