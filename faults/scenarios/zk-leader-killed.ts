/**
 * Scenario 1: an ensemble of 3, the ZooKeeper leader (as `srvr` says) killed with SIGKILL while
 * 1,000 mixed objects (100 in the short form) are being applied. The server's client moves to the
 * other two in the same session; every object must end Ready, with PVC's subtrees whole, no
 * duplicate domain and Ceph holding exactly what was declared. The killed server is brought back
 * (`stack up`) before the next run.
 */
import { emptyResult, guarded, type Scenario } from "../types.ts";
import { mixedWorkload } from "../workload.ts";

const NAME = "zk leader killed (ensemble of 3)";

export const zkLeaderKilled: Scenario = {
  name: NAME,
  runs: { full: 1, short: 1 },
  async run({ runs, short, env }) {
    const row = emptyResult(NAME, runs);
    return guarded(row, async () => {
      const { serve, pool } = await env.ownServe("leader");
      const urls = () => [serve.url];
      for (let run = 0; run < runs; run++) {
        const w = mixedWorkload(env.prefix("l", run), short ? 100 : 1000, pool);
        const progress = { acked: 0 };
        const started = Date.now();
        const applying = env.apply(urls, w, progress);
        // The kill lands mid-apply: once a third of the objects are acknowledged.
        while (progress.acked < w.objects.length / 3) await new Promise((r) => setTimeout(r, 20));
        const leader = await env.stack.serverIn("leader");
        process.kill(env.stack.zkPid(leader), "SIGKILL");
        row.notes.push(
          `run ${run + 1}: killed zookeeper${leader + 1} (leader) after ${progress.acked} of ${w.objects.length} acknowledged`,
        );
        await applying;
        // Brought back (as a follower) while the run settles; the next scenarios need all three.
        const restarting = env.stack.up();
        await env.settle(row, urls, w, started);
        serve.assertAlive();
        await restarting;
      }
    });
  },
};
