/**
 * Bookkeeping for one `stack up` run: which daemons it started (with pid files written at once),
 * failing fast when one dies, and stopping exactly those when the start fails or is interrupted.
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import type { Daemon } from "./process.ts";
import { stepFailed, stopProcess } from "./process.ts";
import type { Component, StackPaths } from "./state.ts";
import { isAlive, logFile, removePidfile, rmIfExists, writePidfile } from "./state.ts";

/** Tracks what this invocation started, so a failure stops exactly that. */
export class Launch {
  readonly started = new Map<Component, Daemon>();
  failed = false;

  constructor(private readonly paths: StackPaths) {}

  record(component: Component, daemon: Daemon): void {
    this.started.set(component, daemon);
    writePidfile(this.paths, component, daemon.pid);
    // A parallel branch failed: stop adding work (the daemon is recorded, so it gets stopped).
    if (this.failed) throw new PvcError(ErrorCodes.STACK_START_FAILED, "start aborted");
  }

  /** Throws as soon as a started daemon has exited; called on every readiness poll. */
  check = (): void => {
    if (this.failed) throw new PvcError(ErrorCodes.STACK_START_FAILED, "start aborted");
    for (const [component, daemon] of this.started) {
      const exited = daemon.exited() ?? (isAlive(daemon.pid) ? null : "exited");
      if (exited)
        throw stepFailed(`${component} start`, `${component} ${exited}`, logFile(this.paths, component));
    }
  };

  /** Runs branches in parallel; the first failure aborts the others, and is the one reported. */
  async parallel(branches: Array<() => Promise<unknown>>): Promise<void> {
    let first: unknown;
    await Promise.allSettled(
      branches.map((b) =>
        b().catch((err) => {
          if (!this.failed) first = err;
          this.failed = true;
        }),
      ),
    );
    if (first !== undefined) throw first;
  }

  /**
   * On Ctrl-C or SIGTERM mid-start, kill what we started before exiting: the daemons are detached
   * (own session), so the terminal's signal never reaches them.
   */
  guardSignals(): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const [component, daemon] of this.started) {
        for (const target of [-daemon.pid, daemon.pid]) {
          try {
            process.kill(target, "SIGKILL");
          } catch {
            // already gone
          }
        }
        removePidfile(this.paths, component);
      }
      rmIfExists(this.paths.lock);
      process.stderr.write(`stack: interrupted (${signal}); stopped what was started\n`);
      process.exit(130);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    return () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    };
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.started].map(async ([component, daemon]) => {
        await stopProcess(daemon.pid, 2000);
        removePidfile(this.paths, component);
      }),
    );
  }
}
