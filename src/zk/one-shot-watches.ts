/**
 * One-shot watches armed through the client, each firing exactly once: on its ZooKeeper event, or
 * with `session-rebuilt` when the session they were armed in is gone (the library never fires them
 * then; their owners must re-read what they watched).
 */
import { EVENT_TYPES, type Watcher } from "./types.ts";

interface Pending {
  path: string;
  fired: boolean;
  watcher: Watcher;
}

export interface ArmedWatch {
  /** The library's callback: fires the watcher once. */
  fire: (event: { type: number; path: string }) => void;
  /** The call failed (the library arms no watch then): forget it. */
  cancel: () => void;
}

export class OneShotWatches {
  readonly #pending = new Set<Pending>();

  get size(): number {
    return this.#pending.size;
  }

  /** Wraps a user watcher (none: undefined) for one library call. */
  arm(path: string, watcher: Watcher | undefined): ArmedWatch | undefined {
    if (!watcher) return undefined;
    const pending: Pending = { path, fired: false, watcher };
    this.#pending.add(pending);
    return {
      fire: (event) => {
        if (pending.fired) return;
        pending.fired = true;
        this.#pending.delete(pending);
        watcher({ type: EVENT_TYPES[event.type] ?? "changed", path: event.path ?? path });
      },
      cancel: () => {
        pending.fired = true;
        this.#pending.delete(pending);
      },
    };
  }

  /** A new session: every watch still armed fires `session-rebuilt`. */
  fireAll(): void {
    const watches = [...this.#pending];
    this.#pending.clear();
    for (const w of watches) {
      if (w.fired) continue;
      w.fired = true;
      w.watcher({ type: "session-rebuilt", path: w.path });
    }
  }

  clear(): void {
    this.#pending.clear();
  }
}
