/**
 * The paths a cache's own multis are writing right now (path → how many multis), kept from its
 * MultiObserver's `sending` and `settled`. ZooKeeper sends a session's watch events and replies in
 * zxid order, so a created/changed event on such a path, arriving before the multi's reply, is the
 * multi's own or an older change it supersedes: the reply brings the value, no read is needed.
 * Deletes are never taken this way (a delete event is final and cheap to apply).
 */
import type { WatchEvent, ZkOp } from "./client.ts";

export class InFlightPaths {
  readonly #counts = new Map<string, number>();

  /** A multi writing `ops` is being sent (checks write nothing and are skipped). */
  add(ops: readonly ZkOp[]): void {
    for (const o of ops) if (o.op !== "check") this.#counts.set(o.path, (this.#counts.get(o.path) ?? 0) + 1);
  }

  /** That multi's reply arrived (or it failed). */
  release(ops: readonly ZkOp[]): void {
    for (const o of ops) {
      if (o.op === "check") continue;
      const n = (this.#counts.get(o.path) ?? 0) - 1;
      if (n > 0) this.#counts.set(o.path, n);
      else this.#counts.delete(o.path);
    }
  }

  /** Whether `event` is covered by a multi in flight (its reply will say what the path holds). */
  covers(event: WatchEvent): boolean {
    return event.type !== "deleted" && this.#counts.has(event.path);
  }
}
