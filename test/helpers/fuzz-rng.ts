/**
 * The fuzz run's only source of randomness: a small seeded PRNG (sfc32), so that a seed names one
 * exact request stream. A failure seen in CI is replayed by running the test with the seed it
 * printed (`PVC_FUZZ_SEED=<seed>`); Math.random is never used, or the replay would differ.
 */

/** The run's seed: PVC_FUZZ_SEED if set (a number, or `random` for a fresh one), else `fallback`. */
export function fuzzSeed(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const given = env.PVC_FUZZ_SEED?.trim();
  if (!given) return fallback;
  if (given === "random") return (Date.now() ^ (process.pid << 16)) >>> 0;
  if (!/^\d{1,10}$/.test(given) || Number(given) > 0xffffffff) {
    throw new Error(`PVC_FUZZ_SEED=${JSON.stringify(given)}: give a whole number 0-4294967295, or "random"`);
  }
  return Number(given);
}

/** A whole number from the environment (`name`), else `fallback`; anything else is an error. */
export function envCount(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const given = env[name]?.trim();
  if (!given) return fallback;
  if (!/^\d{1,7}$/.test(given) || Number(given) < 1) {
    throw new Error(`${name}=${JSON.stringify(given)}: give a whole number ≥ 1`);
  }
  return Number(given);
}

export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    // sfc32 seeded as its author recommends: the seed spread over the state, then 12 rounds.
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** A whole number in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.pick: nothing to pick from");
    return items[Math.floor(this.next() * items.length)];
  }

  /** One of `items`, each as likely as its weight. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    return items[items.length - 1][0];
  }

  /** A child generator: its stream depends only on this one's state, not on how it is used later. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}
