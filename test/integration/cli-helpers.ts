/**
 * Running `pvcctl` as a user does (`node bin/pvcctl.js …`, a child process) against a test server,
 * with an environment of its own: no context file of the developer's, no token unless given.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/pvcctl.js", import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function pvcctl(
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PVC_ZK_CONNECT: process.env.PVC_ZK_CONNECT,
        // Never the developer's own context file.
        PVCCTL_CONFIG: "/nonexistent/pvcctl-config.yaml",
        ...env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** A readable failure message for an unexpected run. */
export function show(r: Run): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Asserts that an `apply` sent nothing: every line it printed says "unchanged". */
export function assertAllUnchanged(r: Run): void {
  assert.ok(
    r.stdout
      .trim()
      .split("\n")
      .every((l) => l.endsWith(" unchanged")),
    show(r),
  );
}
