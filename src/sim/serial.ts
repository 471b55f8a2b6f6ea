/**
 * One task in flight per key, like a controller's work queue: a key kicked while its task runs is
 * marked dirty and run once more afterwards (however many kicks arrived), so the last run always
 * sees the latest state. Tasks re-read everything they act on; a kick carries no data.
 */
export interface KeyedSerialOptions {
  /** A failed task is retried after this long (unless the runner is closed). */
  retryMs: number;
  onError: (err: unknown, key: string) => void;
}

export class KeyedSerial {
  readonly #options: KeyedSerialOptions;
  readonly #running = new Map<string, { dirty: boolean; done: Promise<void> }>();
  readonly #retries = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(options: KeyedSerialOptions) {
    this.#options = options;
  }

  run(key: string, task: () => Promise<void>): void {
    if (this.#closed) return;
    const current = this.#running.get(key);
    if (current) {
      current.dirty = true;
      return;
    }
    const slot = { dirty: true, done: Promise.resolve() };
    this.#running.set(key, slot);
    slot.done = (async () => {
      while (slot.dirty && !this.#closed) {
        slot.dirty = false;
        try {
          await task();
        } catch (err) {
          if (this.#closed) break;
          this.#options.onError(err, key);
          this.#scheduleRetry(key, task);
          break;
        }
      }
      this.#running.delete(key);
    })();
  }

  #scheduleRetry(key: string, task: () => Promise<void>): void {
    clearTimeout(this.#retries.get(key));
    this.#retries.set(
      key,
      setTimeout(() => {
        this.#retries.delete(key);
        this.run(key, task);
      }, this.#options.retryMs),
    );
  }

  /** No new tasks; resolves when the ones in flight have finished. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#retries.values()) clearTimeout(t);
    this.#retries.clear();
    await Promise.all([...this.#running.values()].map((s) => s.done));
  }
}
