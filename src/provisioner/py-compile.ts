/**
 * The ProvisionerScript check on create and on change: `python3 -m py_compile` on the text, as
 * PVC's issue asks, so a script with a syntax error is refused when it is written rather than
 * failing half-way through a provisioning. The text goes into a private temporary file (never
 * through a shell or a command line) and python3 gets a bounded time.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCodes, PvcError } from "../errors.ts";
import { invalid } from "../store/store-support.ts";

export const PY_COMPILE_TIMEOUT_MS = 10_000;

/**
 * Hashes of texts that compiled, newest last: `apply` tries a create before it sees the object
 * exists, so every GitOps sync would otherwise start python3 once per unchanged script.
 */
const compiled = new Set<string>();
const COMPILED_MAX = 256;

function remember(hash: string): void {
  compiled.delete(hash);
  compiled.add(hash);
  if (compiled.size > COMPILED_MAX) compiled.delete(compiled.values().next().value as string);
}

interface Run {
  code: number | null;
  stderr: string;
  spawnError?: NodeJS.ErrnoException;
  timedOut: boolean;
}

function run(python: string, file: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      python,
      ["-m", "py_compile", file],
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1 << 20 },
      (err, _stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: unknown }) | null;
        resolve({
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          stderr: String(stderr),
          spawnError: e && typeof e.code === "string" ? e : undefined,
          timedOut: e?.killed === true,
        });
      },
    );
  });
}

/** python3's report without the temporary file's name: `line 3: SyntaxError: invalid syntax`. */
export function describeCompileError(stderr: string): string {
  const lines = stderr.trim().split("\n");
  const last = lines.filter((l) => /^\w*(Error|Exception)\b/.test(l.trim())).pop() ?? lines.at(-1) ?? "";
  const where = stderr.match(/line (\d+)/);
  return `${where ? `line ${where[1]}: ` : ""}${last.trim()}`;
}

/** Refuses (VALIDATION_FAILED at /spec/data) a script text python3 cannot compile. */
export async function checkPythonSyntax(
  text: string,
  timeoutMs = PY_COMPILE_TIMEOUT_MS,
  python = "python3",
): Promise<void> {
  const hash = createHash("sha256").update(python).update("\0").update(text).digest("hex");
  if (compiled.has(hash)) return;
  const dir = await mkdtemp(join(tmpdir(), "pvc-script-"));
  try {
    const file = join(dir, "script.py");
    await writeFile(file, text, { mode: 0o600 });
    const r = await run(python, file, timeoutMs);
    if (r.spawnError?.code === "ENOENT") {
      throw new PvcError(
        ErrorCodes.TOOL_MISSING,
        `cannot check the ProvisionerScript: ${python} is not installed on the server`,
        { details: { tool: python } },
      );
    }
    if (r.timedOut) {
      throw invalid("/spec/data", "(script)", `python3 -m py_compile did not finish within ${timeoutMs} ms`);
    }
    if (r.code !== 0) {
      const why = describeCompileError(r.stderr);
      const at = why.match(/^line (\d+)/);
      const line = at ? (text.split("\n")[Number(at[1]) - 1] ?? "") : "(script)";
      throw invalid("/spec/data", line, `is not valid Python 3 (${why})`);
    }
    remember(hash);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
