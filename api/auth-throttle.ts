/**
 * Failed authentications counted per client, so that tokens cannot be guessed at network speed
 * (a probe made 500 wrong logins in 0.25 s). A client that fails `maxFailures` times within a
 * window of `windowMs` (the window starts at its first failure) is refused until that window ends,
 * whatever it presents then — otherwise a 401 against a success would still tell a guess apart.
 * Other clients are not affected, and successes are not counted: a script that logs in often with
 * the right token is never refused.
 *
 * Why not @fastify/rate-limit: it counts every request to the routes it guards, while what must be
 * counted is failed credentials, on the login route and on the X-Api-Key header of every route
 * alike (throttling only the login would leave the header as the way to guess).
 *
 * The counts live in this process: with several replicas a client gets `maxFailures` per replica
 * per window, still far from network speed. A client is its IP address (an IPv6 one by its /64,
 * what one subscriber usually holds); behind a reverse proxy all clients share the proxy's address.
 */

export interface ThrottleLimits {
  maxFailures: number;
  windowMs: number;
  /** Clients tracked at most (memory bound); when full, the oldest windows are forgotten first. */
  maxClients: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { maxFailures: 10, windowMs: 60_000, maxClients: 50_000 };

interface Window {
  failures: number;
  endsAt: number;
}

export class FailureThrottle {
  readonly #limits: ThrottleLimits;
  readonly #now: () => number;
  /** In order of window start: the first entries are the oldest. */
  readonly #windows = new Map<string, Window>();

  constructor(limits: Partial<ThrottleLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...DEFAULT_THROTTLE, ...limits };
    this.#now = now;
  }

  /** How long `client` must wait before it is heard again (ms); 0: it may try now. */
  retryAfterMs(client: string): number {
    const w = this.#windows.get(client);
    if (!w) return 0;
    const left = w.endsAt - this.#now();
    if (left <= 0) {
      this.#windows.delete(client);
      return 0;
    }
    return w.failures >= this.#limits.maxFailures ? left : 0;
  }

  /** Counts a failure of `client`; true when this one reached the limit (it is refused from now on). */
  fail(client: string): boolean {
    const now = this.#now();
    let w = this.#windows.get(client);
    if (!w || w.endsAt <= now) {
      this.#windows.delete(client);
      this.#makeRoom(now);
      w = { failures: 0, endsAt: now + this.#limits.windowMs };
      this.#windows.set(client, w);
    }
    w.failures++;
    return w.failures === this.#limits.maxFailures;
  }

  /** Clients tracked now (tests). */
  get size(): number {
    return this.#windows.size;
  }

  #makeRoom(now: number): void {
    if (this.#windows.size < this.#limits.maxClients) return;
    for (const [client, w] of this.#windows) if (w.endsAt <= now) this.#windows.delete(client);
    // Still full of live windows (many addresses at once): forget the oldest.
    for (const client of this.#windows.keys()) {
      if (this.#windows.size < this.#limits.maxClients) break;
      this.#windows.delete(client);
    }
  }
}

/**
 * The client a request counts against: its IPv4 address (also when IPv4-mapped), or the first four
 * groups of its IPv6 address (its /64: one subscriber usually holds a whole /64, and would otherwise
 * get a fresh count for every address in it).
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(":")) return address;
  const bare = address.split("%")[0]; // no zone index (fe80::1%eth0)
  const [head, tail] = bare.split("::");
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const front = groups(head);
  // An IPv4 tail (64:ff9b::192.0.2.1) stands for two groups.
  const back = groups(tail).flatMap((g) => (g.includes(".") ? ["0", "0"] : [g]));
  const zeros = tail === undefined ? [] : Array(Math.max(0, 8 - front.length - back.length)).fill("0");
  const all = [...front, ...zeros, ...back];
  const prefix = all.slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16));
  return `${prefix.join(":")}::/64`;
}
