/** A seeded generator (mulberry32), so that a run's random kill points can be replayed (`--seed`). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The suite's seed (faults/run.ts sets it; a scenario run alone gets a fixed one). */
export function suiteSeed(): number {
  return Number(process.env.PVC_FAULTS_SEED ?? 1);
}
