/**
 * Waiting for a domain to change, without polling ZooKeeper in a tight loop: whoever notices a
 * possible change of a domain (a watch on its keys, the simulated libvirt) calls `wake(uuid)`,
 * and waiters re-check their condition. A slow poll backs the events up, as the node daemon's own
 * waits poll every second.
 */
import { EventEmitter } from "node:events";

export class DomainWake {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per waiter on a domain; there is no leak to warn about.
    this.#emitter.setMaxListeners(0);
  }

  wake(uuid: string): void {
    this.#emitter.emit(uuid);
  }

  /** Resolves on the next wake of `uuid`, after `ms`, or on abort — whichever comes first. */
  next(uuid: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#emitter.off(uuid, done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#emitter.on(uuid, done);
      signal.addEventListener("abort", done, { once: true });
      if (signal.aborted) done();
    });
  }

  /**
   * Re-checks `check` on every wake of `uuid` (and every `pollMs`) until it returns a value other
   * than undefined; undefined on timeout or abort.
   */
  async until<T>(
    uuid: string,
    check: () => Promise<T | undefined>,
    options: { pollMs: number; timeoutMs: number; signal: AbortSignal },
  ): Promise<T | undefined> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      if (options.signal.aborted) return undefined;
      const result = await check();
      if (result !== undefined) return result;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await this.next(uuid, Math.min(options.pollMs, left), options.signal);
    }
  }
}

/** setTimeout as a promise that ends early (without error) on abort. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    if (signal.aborted) done();
  });
}
