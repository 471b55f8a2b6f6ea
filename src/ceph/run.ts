/**
 * The one place that spawns the Ceph CLIs (`ceph`, `rbd`, `rados`). Everything else in src/ceph
 * builds argument arrays and calls `CephRunner`; keeping the spawn here means every call gets the
 * same guarantees: no shell, an explicit `--conf`, two bounds (the CLI's own connect timeout, and
 * a timeout that kills), typed errors, and a latency hook that also says whether the cluster
 * answered at all (`unavailable`).
 */
import { execa } from "execa";
import { type ErrorCode, ErrorCodes, PvcError } from "../errors.ts";

export type CephBinary = "ceph" | "rbd" | "rados";

/** What `onCall` receives after every spawned process, successful or not. */
export interface CallStat {
  /** The command without options, e.g. `rbd resize vms/web1_sda`. */
  cmd: string;
  ms: number;
  ok: boolean;
  /** The error code when `ok` is false. */
  code?: ErrorCode;
  /**
   * The call failed without an answer from the cluster (killed at its timeout, or the CLI could
   * not connect): a statement about Ceph's reachability, unlike a refusal such as ENOENT.
   */
  unavailable?: boolean;
  /** The error's message when `ok` is false (names the command). */
  message?: string;
}

export interface RunnerOptions {
  /** Path of ceph.conf; defaults to env CEPH_CONF. There is no fallback to /etc/ceph on purpose. */
  conf?: string;
  /** Default per-call timeout; 30 s. */
  timeoutMs?: number;
  /** Override the executables (tests point these at something that must never run). */
  binaries?: Partial<Record<CephBinary, string>>;
  /** Called once per spawned process; exceptions in it are swallowed so metrics never break calls. */
  onCall?: (stat: CallStat) => void;
}

export interface CallOptions {
  /** Overrides the runner's default timeout for this call. */
  timeoutMs?: number;
  /** Abort the call (the process is killed); the promise rejects with CEPH_COMMAND_FAILED. */
  signal?: AbortSignal;
}

export interface RunOptions extends CallOptions {
  /** Append `--format json`; only for commands that accept it (rbd rejects it on create/resize/...). */
  json?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  ms: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** The longest the CLIs may spend connecting to the mons before they give up on their own. */
const MAX_CONNECT_TIMEOUT_S = 10;

/**
 * The options that bound how long a CLI waits for the mons, placed before the command. Without
 * them `ceph`, `rbd` and `rados` retry a silent mon for `client_mount_timeout` (300 s), far past
 * our kill; with them they fail by themselves within half the call's time (at most 10 s), and
 * their own message ("couldn't connect to the cluster", "RADOS timed out") says why. All three
 * accept the option in this form (measured against a closed port: each failed after the bound).
 * Exported so that the few commands run outside CephRunner (the OSD add/remove steps) get it too.
 */
export function connectBoundArgs(timeoutMs: number): string[] {
  const seconds = Math.max(1, Math.min(MAX_CONNECT_TIMEOUT_S, Math.floor(timeoutMs / 2000)));
  return ["--client_mount_timeout", String(seconds)];
}

/** `30 s`, `0.2 s`: how a timeout reads in messages. */
export function secondsText(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * How long after SIGTERM a timed-out process gets before SIGKILL. The ceph CLI is python and exits
 * on SIGTERM at once; a librbd call stuck on a lock was also seen to exit, but do not rely on it.
 */
const FORCE_KILL_AFTER_MS = 2_000;

export class CephRunner {
  readonly conf: string;
  readonly timeoutMs: number;
  private readonly binaries: Record<CephBinary, string>;
  private readonly onCall: ((stat: CallStat) => void) | undefined;

  constructor(options: RunnerOptions = {}) {
    const conf = options.conf ?? process.env.CEPH_CONF;
    if (!conf) {
      // Without --conf the CLIs read /etc/ceph/ceph.conf: a test could end up talking to a real cluster.
      throw new PvcError(ErrorCodes.CONFIG_INVALID, "no ceph.conf given: pass `conf` or set CEPH_CONF");
    }
    this.conf = conf;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.binaries = { ceph: "ceph", rbd: "rbd", rados: "rados", ...options.binaries };
    this.onCall = options.onCall;
  }

  /** Runs one command; resolves with its output on success, rejects with a PvcError otherwise. */
  async run(bin: CephBinary, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const cmd = commandLabel(bin, args);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const argv = ["--conf", this.conf, ...connectBoundArgs(timeoutMs), ...args];
    if (options.json) argv.push("--format", "json");

    const started = performance.now();
    const result = await execa(this.binaries[bin], argv, {
      reject: false,
      stdin: "ignore",
      timeout: timeoutMs,
      killSignal: "SIGTERM",
      forceKillAfterDelay: FORCE_KILL_AFTER_MS,
      cancelSignal: options.signal,
      encoding: "utf8",
      stripFinalNewline: false,
    });
    const ms = performance.now() - started;
    const stdout = String(result.stdout ?? "");
    const stderr = String(result.stderr ?? "");

    let error: PvcError | undefined;
    let unavailable = false;
    if (result.timedOut) {
      // The form the conditions show: `rbd create og/v5 timed out after 30 s (killed)`.
      error = new PvcError(
        ErrorCodes.CEPH_TIMEOUT,
        `${cmd} timed out after ${secondsText(timeoutMs)} (killed)`,
        { details: { cmd, timeoutMs, stderr } },
      );
      unavailable = true;
    } else if (result.isCanceled) {
      error = new PvcError(ErrorCodes.CEPH_COMMAND_FAILED, `${cmd}: cancelled`, { details: { cmd, stderr } });
    } else if (result.exitCode === undefined) {
      // Not started (binary missing) or killed by a signal: never a statement about Ceph objects,
      // so never CEPH_ENOENT even when the spawn error is ENOENT.
      const why = result.signal ? `killed by ${result.signal}` : `could not run ${this.binaries[bin]}`;
      error = new PvcError(ErrorCodes.CEPH_COMMAND_FAILED, `${cmd}: ${why}: ${result.shortMessage}`, {
        cause: result.cause,
        details: { cmd, stderr },
      });
    } else if (result.exitCode !== 0) {
      error = failureError(cmd, result.exitCode, stderr);
      unavailable = error.code === ErrorCodes.CEPH_TIMEOUT || isConnectFailure(stderr);
    } else if (bin === "ceph") {
      // Mon commands report "already exists"/"does not exist" on stderr with exit 0 (measured).
      error = zeroExitError(cmd, stderr);
    }

    // Said on the error too, so that a controller can tell an outage from a refusal.
    if (error && unavailable && error.details) error.details.unavailable = true;
    this.report({
      cmd,
      ms,
      ok: !error,
      ...(error ? { code: error.code, message: error.message, unavailable } : {}),
    });
    if (error) throw error;
    return { stdout, stderr, ms };
  }

  /** Runs a command with `--format json` and parses stdout. */
  async json(bin: CephBinary, args: readonly string[], options: CallOptions = {}): Promise<unknown> {
    const { stdout } = await this.run(bin, args, { ...options, json: true });
    return parseJson(commandLabel(bin, args), stdout);
  }

  private report(stat: CallStat): void {
    if (!this.onCall) return;
    try {
      this.onCall(stat);
    } catch {
      // A broken metrics hook must not turn a successful Ceph call into a failure.
    }
  }
}

/** Whether a Ceph call failed without an answer from the cluster (see CallStat.unavailable). */
export function isUnavailable(err: unknown): boolean {
  return err instanceof PvcError && err.details?.unavailable === true;
}

/** `rbd resize vms/web1_sda`: the binary and every argument before the first option. */
export function commandLabel(bin: string, args: readonly string[]): string {
  const end = args.findIndex((a) => a.startsWith("-"));
  return [bin, ...(end === -1 ? args : args.slice(0, end))].join(" ");
}

export function parseJson(cmd: string, stdout: string): unknown {
  // `ceph --format json` starts its output with a newline; JSON.parse copes, but an empty stdout
  // (a command that printed nothing) deserves its own message.
  if (stdout.trim() === "") {
    throw new PvcError(ErrorCodes.CEPH_BAD_OUTPUT, `${cmd}: expected JSON on stdout, got nothing`, {
      details: { cmd },
    });
  }
  try {
    return JSON.parse(stdout);
  } catch (cause) {
    throw new PvcError(ErrorCodes.CEPH_BAD_OUTPUT, `${cmd}: stdout is not JSON: ${stdout.slice(0, 120)}`, {
      cause,
      details: { cmd, stdout: stdout.slice(0, 4096) },
    });
  }
}

const ERRNO_BY_NAME: Record<string, ErrorCode> = {
  EPERM: ErrorCodes.CEPH_EPERM,
  ENOENT: ErrorCodes.CEPH_ENOENT,
  EBUSY: ErrorCodes.CEPH_EBUSY,
  EEXIST: ErrorCodes.CEPH_EEXIST,
  EINVAL: ErrorCodes.CEPH_EINVAL,
  // `osd pool create P 100000` gives ERANGE: an argument Ceph refuses, same as EINVAL to a caller.
  ERANGE: ErrorCodes.CEPH_EINVAL,
  ENOTEMPTY: ErrorCodes.CEPH_ENOTEMPTY,
  ETIMEDOUT: ErrorCodes.CEPH_TIMEOUT,
};

const ERRNO_BY_NUMBER: Record<number, ErrorCode> = {
  1: ErrorCodes.CEPH_EPERM,
  2: ErrorCodes.CEPH_ENOENT,
  16: ErrorCodes.CEPH_EBUSY,
  17: ErrorCodes.CEPH_EEXIST,
  22: ErrorCodes.CEPH_EINVAL,
  34: ErrorCodes.CEPH_EINVAL,
  39: ErrorCodes.CEPH_ENOTEMPTY,
  110: ErrorCodes.CEPH_TIMEOUT,
};

/**
 * The error code for a failed command. The CLIs disagree on where the errno is: `ceph` prints
 * `Error ENOENT: ...` and exits with the errno; `rbd` prints `(2) No such file or directory` and
 * usually exits with it; `rados` prints `error 22: (22) ...` but exits 1. So: the errno named in
 * stderr first, then the exit code (except 1, which rbd/rados also use for "usage error"), then
 * well-known phrases.
 */
export function classifyFailure(exitCode: number, stderrText: string): ErrorCode {
  // Judge the CLI's own message, not librbd/librados log lines: concurrent rbd processes race for
  // the client admin socket and log `bind_and_listen: ... (17) File exists` first, which read
  // as EEXIST for what was really a missing image (measured: `rbd info` of a missing image).
  const own = stderrText
    .split("\n")
    .filter((l) => !LOG_PREFIX.test(l.trim()))
    .join("\n");
  const stderr = own.trim() === "" ? stderrText : own;
  const named = /\bError (E[A-Z]+):/.exec(stderr);
  if (named && ERRNO_BY_NAME[named[1]]) return ERRNO_BY_NAME[named[1]];
  const numbered = /\((\d+)\) [A-Z][a-z]/.exec(stderr);
  if (numbered && ERRNO_BY_NUMBER[Number(numbered[1])]) return ERRNO_BY_NUMBER[Number(numbered[1])];
  if (exitCode !== 1 && ERRNO_BY_NUMBER[exitCode]) return ERRNO_BY_NUMBER[exitCode];
  if (/No such file or directory|does not exist/i.test(stderr)) return ErrorCodes.CEPH_ENOENT;
  if (/already exists|File exists/i.test(stderr)) return ErrorCodes.CEPH_EEXIST;
  if (/\bbusy\b|still has watchers/i.test(stderr)) return ErrorCodes.CEPH_EBUSY;
  // The ceph CLI's own connect timeout: `[errno 110] RADOS timed out (error connecting to the cluster)`.
  if (/\btimed out\b/i.test(stderr)) return ErrorCodes.CEPH_TIMEOUT;
  return ErrorCodes.CEPH_COMMAND_FAILED;
}

/**
 * Whether stderr says the CLI never reached the cluster (measured with the connect bound against
 * a closed port): `ceph` prints `timed out` or `[errno 110] RADOS timed out (error connecting to
 * the cluster)`, `rbd` `couldn't connect to the cluster!`, `rados` `failed to fetch mon config`.
 */
export function isConnectFailure(stderr: string): boolean {
  return /error connecting to the cluster|couldn't connect to the cluster|failed to fetch mon config|monclient(\(hunting\))?: authenticate timed out|^timed out$/im.test(
    stderr,
  );
}

export function failureError(cmd: string, exitCode: number, stderr: string): PvcError {
  const code = classifyFailure(exitCode, stderr);
  return new PvcError(code, `${cmd}: exit ${exitCode}: ${stderrSummary(stderr)}`, {
    details: { cmd, exitCode, stderr: stderr.slice(0, 4096) },
  });
}

/**
 * Mutating `ceph` commands exit 0 and only say on stderr that nothing happened: `pool 'P' already
 * exists`, `pool 'P' does not exist`, `osd.7 does not exist.` A reconciler must know, so these
 * become errors. (`osd.0 is already in.` is a real no-op success and matches neither phrase.)
 */
export function zeroExitError(cmd: string, stderr: string): PvcError | undefined {
  let code: ErrorCode | undefined;
  if (/\bdoes not exist\b/.test(stderr)) code = ErrorCodes.CEPH_ENOENT;
  else if (/\balready exists\b/.test(stderr)) code = ErrorCodes.CEPH_EEXIST;
  if (!code) return undefined;
  return new PvcError(code, `${cmd}: exit 0: ${stderrSummary(stderr)}`, {
    details: { cmd, exitCode: 0, stderr: stderr.slice(0, 4096) },
  });
}

/** librbd log lines: `2026-11-26T17:35:03.217+0000 7f111f344380 -1 librbd: ...`. */
const LOG_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]+[+-]\d{4} [0-9a-f]+ +-?\d+ /;
const PROGRESS = /^[A-Za-z ]+: \d+% complete\.\.\./;

/**
 * The line of stderr a person wants to read. The first line is often a librbd log line or a
 * progress meter, while the CLI's own message (`rbd: rename error: (17) File exists`) follows; so
 * take the first line that is neither, else the first log line without its prefix.
 */
export function stderrSummary(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const plain = lines.find((l) => !LOG_PREFIX.test(l) && !PROGRESS.test(l));
  const line = plain ?? lines[0]?.replace(LOG_PREFIX, "") ?? "(no stderr)";
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
