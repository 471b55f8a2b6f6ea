/**
 * Scenario 2: the server's only ZooKeeper (`coordinators:` names one follower of the ensemble, so
 * from the server's side it is a single ZooKeeper) is killed and restarted, or paused with SIGSTOP
 * and resumed, each past the session timeout, while objects are applied. The server must recover
 * by itself (same process, no restart): rebuild its session, relist, step down and be elected
 * again (a new election node), converge. Nothing may be written to PVC's keys between the fault
 * and the new election (a stale session, or a new one not yet elected). Time to recover: from the
 * server's ZooKeeper being back to every object Ready.
 */
import { SESSION_S } from "../env.ts";
import { awaitLeader, currentLeader, leaderOwnedPaths, markZxid, writtenBetween } from "../leadership.ts";
import { emptyResult, guarded, type Scenario } from "../types.ts";
import { awaitConverged, mixedWorkload } from "../workload.ts";

const NAME = "single zk killed / paused";
const OUTAGE_MS = SESSION_S * 1000 + 2000;

export const zkSingleRestarted: Scenario = {
  name: NAME,
  runs: { full: 4, short: 2 },
  async run({ runs, short, env }) {
    const row = emptyResult(NAME, runs);
    return guarded(row, async () => {
      const server = await env.stack.serverIn("follower");
      const serve = await env.serve({ coordinators: [env.stack.coordinators[server]] });
      await serve.start().ready();
      await env.ensurePool(serve.url);
      const urls = () => [serve.url];
      const pid = serve.pid;
      try {
        for (let run = 0; run < runs; run++) {
          const pause = run % 2 === 1;
          const w = mixedWorkload(env.prefix("z", run), short ? 8 : 100);
          const before = await currentLeader(env.zk);
          const progress = { acked: 0 };
          const started = Date.now();
          const applying = env.apply(urls, w, progress);
          while (progress.acked < w.objects.length / 3) await new Promise((r) => setTimeout(r, 20));
          const faultZxid = await markZxid(env.zk);
          const zkPid = env.stack.zkPid(server);
          process.kill(zkPid, pause ? "SIGSTOP" : "SIGKILL");
          await new Promise((r) => setTimeout(r, OUTAGE_MS));
          if (pause) process.kill(zkPid, "SIGCONT");
          else await env.stack.up();
          const back = Date.now();
          const elected = await awaitLeader(env.zk, (l) => l.node !== before?.node, 60_000);
          await applying;
          const ready = await awaitConverged(urls, w.objects, 120_000);
          const recoverMs = Date.now() - back;
          const ok = await env.settle(row, urls, w, started);
          // Recovering by itself means the same process: a restart would hide a stuck session.
          if (serve.pid !== pid || serve.exited) {
            row.converged -= ok ? 1 : 0;
            row.notes.push(`run ${run + 1}: the server process did not survive (${serve.exited})`);
          }
          const stale = ready.view
            ? await writtenBetween(env.zk, leaderOwnedPaths(w, ready.view), faultZxid, elected.leader.czxid)
            : [];
          if (stale.length > 0 && !serve.exited) {
            row.converged -= ok ? 1 : 0;
            row.notes.push(
              `run ${run + 1}: written before the new election: ${stale.slice(0, 3).join(", ")}`,
            );
          }
          row.notes.push(
            `run ${run + 1} (${pause ? "SIGSTOP" : "kill -9"} ${OUTAGE_MS / 1000} s): re-elected (${before?.node ?? "none"} → ${elected.leader.node}); recovered ${(recoverMs / 1000).toFixed(1)} s after zookeeper${server + 1} was back`,
          );
        }
      } finally {
        await serve.kill();
      }
    });
  },
};
