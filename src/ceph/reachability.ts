/**
 * Whether Ceph answers, judged from the calls the project makes anyway (no probe of its own): a
 * call that failed without an answer (killed at its timeout, or the CLI could not connect) marks
 * its binary unreachable; any answer, including a refusal such as ENOENT, marks it reachable.
 *
 * Per binary, because the paths differ: `ceph` talks to the mons (and the mgr), `rbd` and `rados`
 * to the OSDs as well. With the only OSD dead, `ceph status` still answers every few seconds (the
 * CephCluster loop) while every `rbd create` hangs; one shared flag would flip back and forth.
 *
 * A verdict of "unreachable" is dropped after `staleAfterMs` without a newer call of that binary:
 * nothing may have asked since Ceph came back, and an old failure must not hold forever.
 */
import type { CallStat, CephBinary } from "./run.ts";

/** How long an unanswered call counts when nothing has asked that binary since. */
export const DEFAULT_STALE_AFTER_MS = 5 * 60_000;

export interface Unreachable {
  binary: CephBinary;
  /** The failing call's message, e.g. `rbd create og/v5 timed out after 30 s (killed)`. */
  message: string;
  /** When that call ended (ms since the epoch). */
  at: number;
  /** Unanswered calls of this binary in a row. */
  failures: number;
}

interface BinaryState {
  lastFailure?: { message: string; at: number };
  failures: number;
}

export class CephReachability {
  readonly #staleAfterMs: number;
  readonly #now: () => number;
  readonly #byBinary = new Map<CephBinary, BinaryState>();

  constructor(options: { staleAfterMs?: number; now?: () => number } = {}) {
    this.#staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Feeds one finished call (CephRunner's `onCall` payload). */
  observe(stat: CallStat): void {
    const binary = stat.cmd.split(" ", 1)[0] as CephBinary;
    const state = this.#byBinary.get(binary) ?? { failures: 0 };
    if (!stat.ok && stat.unavailable) {
      state.failures++;
      state.lastFailure = { message: stat.message ?? stat.cmd, at: this.#now() };
    } else {
      state.failures = 0;
      state.lastFailure = undefined;
    }
    this.#byBinary.set(binary, state);
  }

  /** The binaries whose last call went unanswered (and not too long ago), oldest binary name first. */
  unreachable(): Unreachable[] {
    const out: Unreachable[] = [];
    const now = this.#now();
    for (const [binary, s] of [...this.#byBinary].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!s.lastFailure || now - s.lastFailure.at > this.#staleAfterMs) continue;
      out.push({ binary, message: s.lastFailure.message, at: s.lastFailure.at, failures: s.failures });
    }
    return out;
  }

  get reachable(): boolean {
    return this.unreachable().length === 0;
  }

  /** For people (readiness reasons, logs): `ceph unreachable: rbd create og/v5 timed out after 30 s (killed)`. */
  describe(): string[] {
    return this.unreachable().map((u) => `ceph unreachable: ${u.message}`);
  }
}
