/**
 * `pvcctl stack up` on a cluster whose health is not OK: it starts, and says what is unhealthy
 * (it used to wait 60 s for HEALTH_OK and then stop everything). A private stack (its own dir and
 * ports, no hollow nodes) gets the `noout` flag, a warning that outlives a restart, as a pool with
 * more copies than OSDs does; then down, and up again.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const PVCCTL = fileURLToPath(new URL("../../bin/pvcctl.js", import.meta.url));
// Away from the defaults, scripts/test.sh's stack and stack.test.ts's.
const ZK_PORT = Number(process.env.PVC_TEST3_ZK_PORT ?? 22581);
const MON_PORT = Number(process.env.PVC_TEST3_MON_PORT ?? 23789);
const MON_V2_PORT = Number(process.env.PVC_TEST3_MON_V2_PORT ?? 23700);
const MS_MIN = Number(process.env.PVC_TEST3_MS_PORT_MIN ?? 27600);
const MS_MAX = Number(process.env.PVC_TEST3_MS_PORT_MAX ?? 27799);

const base = mkdtempSync(join(tmpdir(), "pvc-stack-health-"));
const dir = join(base, "stack");
// biome-ignore format: flag/value pairs read better on few lines
const upArgs = [
  "stack", "up", "--dir", dir, "--no-hollow-nodes",
  "--zk-port", String(ZK_PORT), "--mon-port", String(MON_PORT), "--mon-v2-port", String(MON_V2_PORT),
  "--ms-port-min", String(MS_MIN), "--ms-port-max", String(MS_MAX),
];

function pvcctl(...args: string[]) {
  return execa(process.execPath, [PVCCTL, ...args], { reject: false, stdin: "ignore", timeout: 120_000 });
}

function ceph(...args: string[]) {
  return execa("ceph", ["--conf", join(dir, "ceph", "ceph.conf"), "--connect-timeout", "15", ...args], {
    reject: false,
    stdin: "ignore",
    timeout: 30_000,
  });
}

describe("pvcctl stack up with a cluster that is not HEALTH_OK", { timeout: 300_000 }, () => {
  after(async () => {
    await pvcctl("stack", "down", "--purge", "--dir", dir);
    rmSync(base, { recursive: true, force: true });
  });

  test("starts it anyway and prints what is unhealthy", async () => {
    const first = await pvcctl(...upArgs);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.match(first.stderr, /ceph HEALTH_OK/);
    const set = await ceph("osd", "set", "noout");
    assert.equal(set.exitCode, 0, set.stderr);
    assert.equal((await pvcctl("stack", "down", "--dir", dir)).exitCode, 0);

    const again = await pvcctl(...upArgs);
    assert.equal(again.exitCode, 0, `stack up refused an unhealthy cluster: ${again.stderr}`);
    assert.match(
      again.stderr,
      /ceph HEALTH_WARN \(started anyway; `ceph health detail` says more\): .*OSDMAP_FLAGS: noout flag\(s\) set/,
    );
    const health = await ceph("health");
    assert.match(health.stdout, /^HEALTH_WARN noout flag\(s\) set/);
  });
});
