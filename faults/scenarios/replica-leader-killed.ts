/**
 * Scenario 4: two replicas (`pvcctl serve` ×2 on one store root).
 * - The leader killed with SIGKILL: failover time, from the kill to the other replica's election
 *   node (goal: the session timeout + 2 s), then a workload applied through the survivor converges.
 * - The leader paused (SIGSTOP) past its session: the other takes over; a network's spec is then
 *   changed and converged by the new leader; the old one is resumed (SIGCONT) with its stale
 *   caches and overdue resync timers (resync every second): none of PVC's keys of the workload may
 *   be written after that (zxid after a mark taken just before SIGCONT), and the change stays.
 */
import { SESSION_S } from "../env.ts";
import { awaitLeader, currentLeader, leaderOwnedPaths, markZxid, writtenBetween } from "../leadership.ts";
import { emptyResult, guarded, type Scenario } from "../types.ts";
import { applyAll, awaitConverged, mixedWorkload } from "../workload.ts";

const NAME = "two replicas, leader killed";
const GOAL_MS = SESSION_S * 1000 + 2000;
/** How long the resumed old leader is watched for writes: several of its resync periods. */
const WATCH_MS = 4000;

export const replicaLeaderKilled: Scenario = {
  name: NAME,
  runs: { full: 3, short: 1 },
  async run({ runs, short, env }) {
    const row = emptyResult(NAME, runs);
    return guarded(row, async () => {
      const replicas = [await env.serve({ resyncPeriodS: 1 }), await env.serve({ resyncPeriodS: 1 })];
      await Promise.all(replicas.map((r) => r.start().ready()));
      await env.ensurePool(replicas[0].url);
      const urls = () => replicas.filter((r) => !r.exited).map((r) => r.url);
      const failovers: number[] = [];
      try {
        for (let run = 0; run < runs; run++) {
          let clean = true;
          // Kill the leader.
          const first = await awaitLeader(env.zk, (l) => replicas.some((r) => r.pid === l.pid), 30_000);
          const killed = replicas.find((r) => r.pid === first.leader.pid);
          if (!killed) throw new Error("the leader is none of the replicas");
          const t0 = Date.now();
          await killed.kill();
          const next = await awaitLeader(env.zk, (l) => l.pid !== first.leader.pid, 60_000);
          const failoverMs = Date.now() - t0;
          failovers.push(failoverMs);
          // A figure held to a goal, not a correctness check: a slow failover on a loaded machine
          // (6.2 s once in CI) is reported in the notes, and the run still counts if it converged.
          if (failoverMs > GOAL_MS) {
            row.notes.push(
              `run ${run + 1}: failover after kill -9 took ${failoverMs} ms (goal ≤ ${GOAL_MS} ms: NOT met)`,
            );
          }
          const w = mixedWorkload(env.prefix("r", run), short ? 8 : 24);
          const started = Date.now();
          await env.apply(urls, w);
          killed.start();
          await killed.ready();
          const settled = await env.settle(row, urls, w, started);

          // Pause the (new) leader past its session; change a network through the other replica.
          const paused = replicas.find((r) => r.pid === next.leader.pid);
          if (!paused?.pid) throw new Error("the new leader is none of the replicas");
          paused.signal("SIGSTOP");
          await awaitLeader(env.zk, (l) => l.pid !== next.leader.pid, 60_000);
          const changed = {
            ...w.objects[0],
            spec: { ...w.objects[0].spec, description: `${w.prefix}changed` },
          };
          const live = () => replicas.filter((r) => r !== paused).map((r) => r.url);
          await applyAll(live, [changed]);
          const view = (await awaitConverged(live, w.objects, 60_000)).view;
          const mark = await markZxid(env.zk);
          paused.signal("SIGCONT");
          await new Promise((r) => setTimeout(r, WATCH_MS));
          const stale = view ? await writtenBetween(env.zk, leaderOwnedPaths(w, view), mark) : [];
          if (stale.length > 0) {
            clean = false;
            row.notes.push(
              `run ${run + 1}: written after the old leader resumed: ${stale.slice(0, 3).join(", ")}`,
            );
          }
          const now = await currentLeader(env.zk);
          if (now?.pid === next.leader.pid) {
            clean = false;
            row.notes.push(`run ${run + 1}: the paused leader leads again after resuming`);
          }
          if (settled && !clean) row.converged--;
        }
        row.notes.push(
          `failover after kill -9: ${failovers.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(", ")} (goal ≤ ${GOAL_MS / 1000} s)`,
        );
      } finally {
        for (const r of replicas) await r.kill();
      }
    });
  },
};
