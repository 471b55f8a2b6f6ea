/**
 * Errors of the controller runtime. A reconcile that throws is retried with backoff, except for a
 * terminal error: retrying cannot help (e.g. the spec asks for something impossible), so the key
 * waits for a new event (a spec change, a resync) instead of hammering the cluster.
 */
import { ErrorCodes, isPvcError, PvcError } from "../errors.ts";

/** Thrown by a reconcile to stop retries of its key until the key is enqueued again. */
export class TerminalError extends PvcError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(ErrorCodes.TERMINAL, message, options);
    this.name = "TerminalError";
  }
}

/** True for a TerminalError or any PvcError with code TERMINAL (callers test codes, not classes). */
export function isTerminal(err: unknown): boolean {
  return isPvcError(err, ErrorCodes.TERMINAL);
}
