/**
 * Starting and stopping daemons, and running set-up commands, with every byte of output going to
 * log files in the state dir. Daemons are detached (own session and process group) and inherit no
 * pipe or descriptor from us: if one held the stdout pipe of `eval "$(pvcctl stack up)"`, the shell
 * would wait for it forever; if one held a caller's lock fd, the lock would never be released.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { ErrorCodes, PvcError } from "../errors.ts";
import { isAlive } from "./state.ts";

/** A start-up step failed; the message names the step and the log to read. */
export function stepFailed(step: string, reason: string, log?: string, cause?: unknown): PvcError {
  const where = log ? ` (log: ${log})` : "";
  return new PvcError(ErrorCodes.STACK_START_FAILED, `${step} failed: ${reason}${where}`, {
    cause,
    details: { step, log },
  });
}

const O_CLOEXEC = 0o2000000;

/**
 * Descriptors above 2 that a child would inherit. Node opens everything close-on-exec, so these can
 * only come from whoever started us (a CI runner's lock, a `flock 9>file` in a script).
 */
export function inheritableFds(): number[] {
  const fds: number[] = [];
  for (const entry of readdirSync("/proc/self/fd")) {
    const fd = Number(entry);
    if (!(fd > 2)) continue;
    try {
      const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
      if (flags && (Number.parseInt(flags[1], 8) & O_CLOEXEC) === 0) fds.push(fd);
    } catch {
      // The fd we used to read the directory is gone already; nothing to close.
    }
  }
  return fds;
}

export interface DaemonSpec {
  command: string;
  args: string[];
  log: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

export interface Daemon {
  pid: number;
  /** Set once the child exits while this process still owns it (i.e. during `up`). */
  exited: () => string | null;
}

function appendLine(log: string, line: string): void {
  const fd = openSync(log, "a");
  try {
    writeSync(fd, `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Spawns a long-running daemon detached, stdout+stderr appended to its log, stdin from /dev/null. */
export async function spawnDaemon(spec: DaemonSpec): Promise<Daemon> {
  appendLine(
    spec.log,
    `=== ${new Date().toISOString()} pvcctl starts: ${spec.command} ${spec.args.join(" ")}`,
  );
  let command = spec.command;
  let args = spec.args;
  const leaked = inheritableFds();
  if (leaked.length > 0) {
    // libuv does not close inherited fds in the child; let bash close them, then exec keeps the same PID.
    const closes = leaked.map((fd) => `${fd}>&-`).join(" ");
    args = ["-c", `exec ${closes}; exec "$@"`, "pvcctl-spawn", command, ...args];
    command = "bash";
  }
  const out = openSync(spec.log, "a");
  try {
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ["ignore", out, out],
    });
    let exitReason: string | null = null;
    child.on("exit", (code, signal) => {
      exitReason = signal ? `killed by ${signal}` : `exited with code ${code}`;
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("spawn", () => resolve(child.pid as number));
      child.once("error", reject);
    });
    child.unref();
    return { pid, exited: () => exitReason };
  } finally {
    closeSync(out);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  // Each daemon leads its own process group, so the group signal also reaches any children it forked.
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // Already gone, or not a group leader (then the plain PID is tried next).
    }
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL and wait until /proc says it is gone or a zombie. */
export async function stopProcess(pid: number, graceMs = 5000): Promise<"term" | "kill" | "gone"> {
  if (!isAlive(pid)) return "gone";
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return "term";
    await sleep(50);
  }
  signalGroup(pid, "SIGKILL");
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(20);
  return "kill";
}

export interface StepOptions {
  log: string;
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a set-up command to completion, appending the command line and its output to the step's log.
 * Returns stdout (trimmed). Failure throws STACK_START_FAILED naming the step, the last line of
 * stderr and the log.
 */
export async function runStep(
  step: string,
  command: string,
  args: string[],
  opts: StepOptions,
): Promise<string> {
  appendLine(opts.log, `=== ${new Date().toISOString()} ${step}: ${command} ${args.join(" ")}`);
  const result = await execa(command, args, {
    reject: false,
    stdin: "ignore",
    timeout: opts.timeoutMs ?? 60_000,
    cwd: opts.cwd,
    env: opts.env,
    all: true,
  });
  if (result.all) appendLine(opts.log, result.all.trimEnd());
  if (result.failed) {
    const last = (result.stderr || result.stdout || "").trim().split("\n").at(-1) ?? "";
    const why = result.timedOut
      ? `timed out after ${opts.timeoutMs ?? 60_000} ms`
      : result.exitCode !== undefined
        ? `exit code ${result.exitCode}`
        : (result.shortMessage ?? "could not run");
    throw stepFailed(step, last ? `${why}: ${last.slice(0, 300)}` : why, opts.log, result);
  }
  return result.stdout.trim();
}

export interface WaitOptions {
  timeoutMs: number;
  /** Log to name when the wait times out. */
  log?: string;
  /** Runs each round to fail fast, e.g. when the daemon being waited for has died. */
  check?: () => void;
  intervalMs?: number;
}

/** Polls `probe` until it returns a value other than undefined. */
export async function waitFor<T>(
  step: string,
  opts: WaitOptions,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    opts.check?.();
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw stepFailed(step, `not ready after ${Math.round(opts.timeoutMs / 1000)} s`, opts.log);
    await sleep(opts.intervalMs ?? 100);
  }
}

/**
 * PIDs of live processes with one of `args` as an exact argument. Every stack daemon names a file of
 * its state dir on its command line, so this finds strays a pid file missed (e.g. `up` was killed
 * between spawning a daemon and writing its pid file).
 */
export function processesWithArg(args: string[]): number[] {
  const wanted = new Set(args);
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (argv.some((a) => wanted.has(a)) && isAlive(pid)) pids.push(pid);
    } catch {
      // Exited while we looked.
    }
  }
  return pids;
}

/** Like Promise.all, but waits for every promise to settle before throwing the first failure. */
export async function settleAll(promises: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
