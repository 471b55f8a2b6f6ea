/**
 * `pvcctl sim run` as the local stack runs it: a real process, a ready file, SIGTERM.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { PvcKeys } from "../../src/pvc/keys.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";

const PVCCTL = fileURLToPath(new URL("../../bin/pvcctl.js", import.meta.url));

async function eventually(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test("sim run: registers the nodes, writes the ready file, exits 0 on SIGTERM leaving daemonstate=stop", async () => {
  const root = uniqueRoot("sim-cli");
  const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));
  const ready = join(dir, "ready");
  const zk = await ZkClient.connect({ connectString: zkConnect() });
  const keys = new PvcKeys(root);
  await zk.mkdirp(root);
  const child = spawn(
    process.execPath,
    [
      PVCCTL,
      "sim",
      "run",
      "--zk",
      zkConnect(),
      "--nodes",
      "hv1:coordinator,hv2:hypervisor:8192:4",
      "--root",
      root,
      "--ready-file",
      ready,
      "--keepalive-interval",
      "0.5",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await eventually("the ready file", () => existsSync(ready) || child.exitCode !== null);
    assert.equal(child.exitCode, null, `sim exited early:\n${stderr}`);
    assert.equal(readFileSync(ready, "utf8"), "hv1\nhv2\n");
    for (const name of ["hv1", "hv2"]) {
      assert.equal((await zk.get(keys.nodeKey(name, "daemonstate"))).data, "run");
    }
    assert.equal((await zk.get(keys.primaryNode())).data, "hv1");
    assert.equal((await zk.get(keys.nodeKey("hv2", "memtotal"))).data, "8192");

    child.kill("SIGTERM");
    assert.equal(await exited, 0, stderr);
    for (const name of ["hv1", "hv2"]) {
      assert.equal((await zk.get(keys.nodeKey(name, "daemonstate"))).data, "stop");
    }
    assert.equal(existsSync(ready), false, "a stopped sim is no longer ready");
    assert.equal(stdout, "", "stdout stays empty");
    const lines = stderr.trim().split("\n");
    assert.ok(lines.length > 5);
    for (const line of lines)
      assert.doesNotThrow(() => JSON.parse(line), `one JSON object per line: ${line}`);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await zk.deleteRecursive(root);
    zk.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sim run: a bad --nodes spec is a usage error (exit 2)", async () => {
  const child = spawn(
    process.execPath,
    [PVCCTL, "sim", "run", "--zk", zkConnect(), "--nodes", "hv1:leader"],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  assert.equal(code, 2);
  assert.match(stderr, /coordinator or hypervisor/);
});
