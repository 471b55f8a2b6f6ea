/**
 * Sessions ended by a logout, shared by every replica that serves one store root.
 *
 * A session cookie is signed, so any replica can accept it without shared state; ending it before it
 * expires needs shared state, and ZooKeeper is the only thing replicas share. A logout records the
 * session's id as a child of one folder (its path comes from the store layout, via the caller),
 * holding the time at which the session would have ended anyway. Every replica mirrors that folder
 * with a TreeCache (one recursive watch), so the check made per request is a map lookup, not a
 * round trip. The replica that records a logout knows it as soon as the write returns (the cache
 * writes its own multis through); the others when their watch delivers it, milliseconds later.
 *
 * A record past its expiry is useless (the cookie itself is refused by then): every replica deletes
 * such records when it starts and every `sweepIntervalMs`; a record another replica deleted first
 * is no error. The records never hold a token or a fingerprint, only the random session id.
 */
import type { Logger } from "pino";
import { ErrorCodes, isPvcError } from "../src/errors.ts";
import type { ZkClient } from "../src/zk/client.ts";
import { TreeCache } from "../src/zk/tree-cache.ts";
import type { Session } from "./credentials.ts";

/** What the auth gate needs of ended sessions. */
export interface SessionEnds {
  isEnded(id: string): boolean;
  /** Resolves once the end is recorded where every replica reads it. */
  end(session: Pick<Session, "id" | "expiresAt">): Promise<void>;
}

export interface EndedSessionsOptions {
  logger: Logger;
  /** How often expired records are deleted (default 15 minutes). */
  sweepIntervalMs?: number;
  now?: () => number;
}

const DEFAULT_SWEEP_INTERVAL_MS = 15 * 60 * 1000;

export class EndedSessions implements SessionEnds {
  readonly #dir: string;
  readonly #cache: TreeCache;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #sweepIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  /** `dir`: the ZooKeeper folder of the records (from the store layout). */
  constructor(zk: ZkClient, dir: string, options: EndedSessionsOptions) {
    this.#dir = dir;
    this.#cache = new TreeCache(zk, dir);
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  }

  /** Loads the records and keeps them current; sweeps the expired ones now and then. */
  async start(): Promise<void> {
    // The cache rereads the whole folder after a failed read: nothing is lost, say so and go on.
    this.#cache.on("error", (err) => this.#logger.warn({ err }, "ended sessions: a read failed, reloading"));
    await this.#cache.start();
    await this.sweep();
    this.#timer = setInterval(() => void this.sweep(), this.#sweepIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#cache.stop();
  }

  isEnded(id: string): boolean {
    return this.#cache.has(this.#path(id));
  }

  async end(session: Pick<Session, "id" | "expiresAt">): Promise<void> {
    // Another holder of the cookie logged out already: nothing to write.
    if (this.isEnded(session.id)) return;
    try {
      await this.#cache.commit([
        { op: "create", path: this.#path(session.id), data: String(session.expiresAt) },
      ]);
    } catch (err) {
      // Logged out twice (two holders of the cookie): already ended.
      if (!isPvcError(err, ErrorCodes.ZK_NODE_EXISTS)) throw err;
    }
  }

  /** Ids recorded now (tests). */
  ids(): string[] {
    return this.#cache.children(this.#dir);
  }

  /** Deletes the records whose session has expired; resolves with how many this call deleted. */
  async sweep(): Promise<number> {
    const now = this.#now();
    const expired = this.ids().filter((id) => {
      const expiresAt = Number(this.#cache.get(this.#path(id))?.data);
      // We write only numbers: anything else was not written by us and has nothing to keep it for.
      return !Number.isFinite(expiresAt) || expiresAt <= now;
    });
    let deleted = 0;
    await Promise.all(
      expired.map(async (id) => {
        try {
          await this.#cache.commit([{ op: "delete", path: this.#path(id) }]);
          deleted++;
        } catch (err) {
          if (isPvcError(err, ErrorCodes.ZK_NO_NODE)) return; // another replica swept it first
          this.#logger.warn({ err }, "ended sessions: deleting an expired record failed");
        }
      }),
    );
    return deleted;
  }

  #path(id: string): string {
    return `${this.#dir}/${id}`;
  }
}
