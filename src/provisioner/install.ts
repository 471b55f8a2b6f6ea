/**
 * Running a ProvisionerScript's install(): the script is loaded from a file by a fixed python3
 * runner (never `exec` of spliced text, never a shell) and called with the keyword arguments as
 * PVC passes them (vm_name, vm_id, temporary_directory, disks, networks and the profile's
 * arguments), read from a JSON file. Output is captured whole; a raise ends the process non-zero
 * and its last traceback line is the error the VM's status shows.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./exec.ts";

const RUNNER = [
  "import importlib.util, json, sys",
  "spec = importlib.util.spec_from_file_location('pvc_provisioner_script', sys.argv[1])",
  "module = importlib.util.module_from_spec(spec)",
  "spec.loader.exec_module(module)",
  "with open(sys.argv[2]) as f: kwargs = json.load(f)",
  "module.install(**kwargs)",
].join("\n");

export const INSTALL_TIMEOUT_MS = 3_600_000;

export interface InstallResult {
  ok: boolean;
  /** stdout then stderr, as the script printed them. */
  output: string;
  /** The Python error (`RuntimeError: no mirror`), when it failed. */
  error?: string;
}

/** The last line of a Python traceback that names an exception. */
export function pythonError(stderr: string): string {
  const lines = stderr.trim().split("\n");
  return (
    lines.filter((l) => /^[\w.]+(Error|Exception|Exit|Interrupt)\b|^[\w.]+: /.test(l)).pop() ??
    lines.at(-1) ??
    ""
  );
}

export async function runInstall(
  script: string,
  kwargs: Record<string, unknown>,
  timeoutMs = INSTALL_TIMEOUT_MS,
  /** Stops the script (SIGKILL): the VM is being deleted, or this server lost its leadership. */
  signal?: AbortSignal,
): Promise<InstallResult> {
  const dir = await mkdtemp(join(tmpdir(), "pvc-install-"));
  try {
    const scriptFile = join(dir, "script.py");
    const argsFile = join(dir, "kwargs.json");
    await writeFile(scriptFile, script, { mode: 0o600 });
    await writeFile(argsFile, JSON.stringify(kwargs), { mode: 0o600 });
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run("python3", ["-c", RUNNER, scriptFile, argsFile], { timeoutMs, signal });
    } catch (err) {
      return { ok: false, output: "", error: err instanceof Error ? err.message : String(err) };
    }
    const output = `${r.stdout}${r.stderr}`;
    if (r.code === 0) return { ok: true, output };
    return { ok: false, output, error: pythonError(r.stderr) || `python3 exited with ${r.code}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
