/**
 * Running the host programs provisioning needs (rbd-fuse, losetup, mkfs, mount, python3): always
 * an argument array (never a shell: names and mkfs options come from users), always a time bound,
 * output captured. A program that is not installed is TOOL_MISSING naming it.
 */
import { execFile } from "node:child_process";
import { ErrorCodes, PvcError } from "../errors.ts";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const EXEC_TIMEOUT_MS = 60_000;

/** Runs `program args`; resolves with its exit code (non-zero included), rejects if it cannot run. */
export function run(
  program: string,
  args: readonly string[],
  options: { timeoutMs?: number; cwd?: string; signal?: AbortSignal } = {},
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? EXEC_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      [...args],
      {
        timeout: timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 8 << 20,
        cwd: options.cwd,
        signal: options.signal,
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: unknown }) | null;
        if (e && e.code === "ENOENT") {
          reject(
            new PvcError(ErrorCodes.TOOL_MISSING, `${program} is not installed on this host`, {
              details: { tool: program },
            }),
          );
        } else if (e?.name === "AbortError") {
          reject(new Error(`${program} was stopped: ${String(options.signal?.reason ?? "aborted")}`));
        } else if (e?.killed) {
          reject(new Error(`${program} ${args.join(" ")} did not finish within ${timeoutMs} ms`));
        } else {
          const code = e ? (typeof e.code === "number" ? e.code : 1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        }
      },
    );
    // No input, ever: a program that asks (mke2fs's "Proceed anyway? (y,N)" for an odd option)
    // reads end-of-file and says no, instead of waiting out the time bound.
    child.stdin?.end();
  });
}

/** Runs and requires exit 0; the error carries the command and its stderr. */
export async function runOk(
  program: string,
  args: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const r = await run(program, args, options);
  if (r.code !== 0) {
    const why = (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ");
    throw new Error(`${program} ${args.join(" ")} failed (exit ${r.code}): ${why}`);
  }
  return r.stdout;
}
