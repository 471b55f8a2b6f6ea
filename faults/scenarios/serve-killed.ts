/**
 * Scenario 3: the server (`pvcctl serve`) killed with SIGKILL at a random point (seeded) while a
 * mixed workload is applied, then started again; 50 times (3 in the short form). After each
 * restart everything must converge: every object Ready, Ceph holding exactly the declared volumes
 * and snapshots (no orphan left by a create that was cut, no duplicate), exactly one `/domains`
 * entry per VM (a define cut between its write and its status must not define it twice).
 */
import { seededRandom, suiteSeed } from "../rng.ts";
import { emptyResult, guarded, type Scenario } from "../types.ts";
import { deleteAll, mixedWorkload } from "../workload.ts";

const NAME = "server kill -9";

export const serveKilled: Scenario = {
  name: NAME,
  runs: { full: 50, short: 3 },
  async run({ runs, short, env }) {
    const row = emptyResult(NAME, runs);
    return guarded(row, async () => {
      const random = seededRandom(suiteSeed() + 3);
      const { serve, pool } = await env.ownServe("kill");
      const urls = () => [serve.url];
      for (let run = 0; run < runs; run++) {
        const w = mixedWorkload(env.prefix("k", run), short ? 8 : 12, pool);
        const started = Date.now();
        const applying = env.apply(urls, w);
        // Anywhere from the first writes to well after the last apply (the controllers' work).
        const killAfter = Math.floor(random() * 3000);
        await new Promise((r) => setTimeout(r, killAfter));
        await serve.kill();
        serve.start();
        await serve.ready();
        await applying;
        const ok = await env.settle(row, urls, w, started);
        if (!ok) row.notes.push(`run ${run + 1}: killed ${killAfter} ms into the apply`);
        // The next restart should reconcile the next run's objects, not every earlier run's.
        const left = await deleteAll(serve.url, w.objects);
        if (left.length > 0)
          row.notes.push(`run ${run + 1}: not deleted in time: ${left.slice(0, 3).join(", ")}`);
      }
      row.notes.push(`kill points: seeded ${suiteSeed() + 3}, 0-3000 ms into each apply`);
    });
  },
};
