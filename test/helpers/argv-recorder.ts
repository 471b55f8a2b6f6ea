/**
 * A stand-in for the programs the server spawns (ceph, rbd, rados; rbd-fuse, mkfs…, python3 on a
 * PATH of its own), recording the exact argv each one was given and failing (exit 1, like `false`):
 * the check at the spawn boundary that user text reaches a program as whole arguments, never as
 * options or through a shell. The recorder is a two-line sh script that only writes "$@"; what it
 * records is what execve gave it, whatever the server meant to send.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Ends one call's arguments in the log (arguments are NUL-terminated: they cannot hold a NUL). */
const END = "\u0001end-of-call";

export interface RecordedCall {
  program: string;
  argv: string[];
}

/**
 * The options our own code passes (src/ceph, src/provisioner). Anything else starting with `-`
 * came from user text: a name taken for an option.
 */
export const OWN_OPTIONS = new Set([
  "-c",
  "-p",
  "-m",
  "-l",
  "-f",
  "-d",
  "--conf",
  "--client_mount_timeout",
  "--format",
  "--size",
  "--yes-i-really-mean-it",
  "--yes-i-really-really-mean-it",
  "--destroy",
  "--bluestore",
  "--show",
  "--no-progress",
  "--image-feature",
  "--data",
  "--allow-shrink",
]);

export class ArgvRecorder {
  readonly dir = mkdtempSync(join(tmpdir(), "pvc-argv-"));
  readonly #log = join(this.dir, "calls.log");

  /** An executable recording its calls as `program`; returns its path. */
  program(program: string): string {
    const path = join(this.dir, program);
    if (!existsSync(path)) {
      // One printf: one append per call, so concurrent calls do not interleave (O_APPEND, small writes).
      const script = `#!/bin/sh\nprintf '%s\\0' ${JSON.stringify(program)} "$@" '${END}' >> ${JSON.stringify(this.#log)}\nexit 1\n`;
      writeFileSync(path, script);
      chmodSync(path, 0o755);
    }
    return path;
  }

  /** CephRunner's `binaries`, all recorded. */
  cephBinaries(): { ceph: string; rbd: string; rados: string } {
    return { ceph: this.program("ceph"), rbd: this.program("rbd"), rados: this.program("rados") };
  }

  /** A directory to put first on PATH: each of `programs` recorded under its own name. */
  pathDir(programs: readonly string[]): string {
    for (const p of programs) this.program(p);
    return this.dir;
  }

  calls(): RecordedCall[] {
    if (!existsSync(this.#log)) return [];
    const parts = readFileSync(this.#log, "utf8").split("\0");
    const calls: RecordedCall[] = [];
    let current: string[] = [];
    for (const part of parts) {
      if (part === END) {
        calls.push({ program: current[0], argv: current.slice(1) });
        current = [];
      } else if (part !== "" || current.length > 0) current.push(part);
    }
    return calls;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * What is wrong with the recorded calls, one line each: an argument that starts with `-` and is not
 * one of our options (a name taken for an option), or that holds a control character. The value
 * after `--conf`/`-c` (a path of ours) is exempt.
 */
export function argvProblems(calls: readonly RecordedCall[]): string[] {
  const problems: string[] = [];
  for (const { program, argv } of calls) {
    argv.forEach((arg, i) => {
      const line = `${program} ${JSON.stringify(argv)}: argument ${i} ${JSON.stringify(arg)}`;
      if (CONTROL.test(arg)) problems.push(`${line} holds a control character`);
      if (arg.startsWith("-") && !OWN_OPTIONS.has(arg) && !/^-?\d+(\.\d+)?$/.test(arg))
        problems.push(`${line} would be read as an option`);
    });
  }
  return problems;
}
