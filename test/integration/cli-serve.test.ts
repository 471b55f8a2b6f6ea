/**
 * What a new user sees of `pvcctl` itself (issue 13): `--version` prints the package's version;
 * `serve --log-level --log-format` (the same options as `up`'s) take effect (readable lines, one debug line per request) and
 * refuse a bad value with a usage error; a second server on a port in use says so. `serve` runs as a child process against the test
 * ZooKeeper and Ceph with a config file of its own, as a user would run it.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { removeRoot, until } from "../helpers/api-app.ts";
import { cephConf, uniqueRoot, zkConnect } from "../helpers/env.ts";
import { freePort } from "../helpers/serve-process.ts";
import { pvcctl, show } from "./cli-helpers.ts";

const PACKAGE = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};
const BIN = fileURLToPath(new URL("../../bin/pvcctl.js", import.meta.url));

test("pvcctl --version (and -V) prints the package's version", async () => {
  for (const flag of ["--version", "-V"]) {
    const r = await pvcctl([flag]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, `${PACKAGE.version}\n`, show(r));
  }
});

test("serve refuses an unknown --log-level or --log-format (usage error, exit 2)", async () => {
  for (const args of [
    ["serve", "--log-level", "loud"],
    ["serve", "--log-format", "xml"],
  ]) {
    const r = await pvcctl(args);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /argument '(loud|xml)' is invalid\. Allowed choices are/, show(r));
  }
});

describe("pvcctl serve --log-level debug --log-format pretty", () => {
  const root = uniqueRoot("cliserve");
  let dir: string;
  let child: ChildProcess | undefined;
  let stdout = "";
  let stderr = "";

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGKILL");
      await once(child, "close");
    }
    await removeRoot(root);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("prints readable lines, one debug line per request; stops cleanly on SIGTERM", async () => {
    dir = await mkdtemp(join(tmpdir(), "pvcctl-serve-"));
    const port = await freePort();
    const config = join(dir, "pvc-api.yaml");
    await writeFile(
      config,
      [
        "pvc:",
        "  debug: false",
        `  coordinators: [${JSON.stringify(zkConnect())}]`,
        "  api:",
        "    listen_address: 127.0.0.1",
        `    listen_port: ${port}`,
        "    authentication: { enabled: false, secret_key: '', tokens: [] }",
        "    ssl: { enabled: false, cert_file: '', key_file: '' }",
        "reconciler:",
        `  store_root: ${root}/store`,
        `  pvc_root: ${root}/pvc`,
        `  ceph_conf: ${JSON.stringify(cephConf())}`,
        "",
      ].join("\n"),
    );
    const proc = spawn(
      process.execPath,
      [BIN, "serve", "--config", config, "--log-level", "debug", "--log-format", "pretty"],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PVCCTL_CONFIG: "/nonexistent" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child = proc;
    proc.stdout?.on("data", (d) => {
      stdout += d;
    });
    proc.stderr?.on("data", (d) => {
      stderr += d;
    });
    const url = `http://127.0.0.1:${port}`;
    await until(
      "serve to listen",
      () => stderr.includes(`serving on ${url}`) || proc.exitCode !== null,
      60_000,
    );
    assert.equal(proc.exitCode, null, `serve stopped:\n${stderr}\n${stdout}`);
    const res = await fetch(`${url}/healthz?marker=cliserve1`);
    assert.equal(res.status, 200);
    await res.text();
    await until("the request's log line", () => stdout.includes("cliserve1"), 10_000);
    const lines = stdout.split("\n").filter((l) => l.trim() !== "");
    const requestLines = lines.filter((l) => l.includes("cliserve1"));
    assert.equal(requestLines.length, 1, stdout);
    assert.match(requestLines[0], /DEBUG: request \{.*"url":"\/healthz\?marker=cliserve1".*"statusCode":200/);
    for (const l of lines) assert.throws(() => JSON.parse(l), `a JSON line: ${l}`);
    assert.match(stdout, /INFO: serving/);
    // A second server on the same port says why it cannot start (not a bare EADDRINUSE), exit 1.
    const second = await pvcctl(["serve", "--config", config]);
    assert.equal(second.code, 1, show(second));
    assert.ok(
      second.stderr.includes(
        `pvcctl: cannot listen on 127.0.0.1:${port}: the address is in use (another pvcctl serve or up?)`,
      ),
      show(second),
    );
    assert.equal((await fetch(`${url}/healthz`)).status, 200, "the first server still serves");
    proc.kill("SIGTERM");
    const [code] = await once(proc, "close");
    assert.equal(code, 0, `${stderr}\n${stdout}`);
    assert.match(stderr, /SIGTERM: stopping/);
  });
});
