/**
 * Scenario 5: Ceph's only OSD killed (SIGKILL) while CephVolumes are being created. During the
 * outage the volumes' conditions must name the failing command (`rbd create <pool>/<volume> …`),
 * not a generic error; once the OSD is back they converge with nothing orphaned or doubled.
 * The OSD is brought back by `pvcctl stack up` on a cluster that is not HEALTH_OK (the `noout`
 * flag is set while it is down): stack up must start it and say what is unhealthy.
 */
import { emptyResult, guarded, type Scenario } from "../types.ts";
import { GROUP_PATH, volumeWorkload } from "../workload.ts";

const NAME = "ceph osd killed mid-create";
/** The ceph/rbd calls' bound is 30 s (src/ceph/run.ts): a hung create is named after it (a busy machine adds to it). */
const NAMED_WITHIN_MS = 75_000;

interface Listed {
  items: Array<{
    metadata: { name: string };
    status?: { conditions?: Array<{ type: string; status: string; message?: string }> };
  }>;
}

async function volumes(url: string, prefix: string): Promise<Listed["items"]> {
  const res = await fetch(`${url}${GROUP_PATH}/cephvolumes`).catch(() => undefined);
  if (res?.status !== 200) return [];
  return ((await res.json()) as Listed).items.filter((o) => o.metadata.name.includes(`.${prefix}`));
}

/** What the volumes' conditions say, for a note when none named the command. */
async function conditionsNow(url: string, prefix: string): Promise<string> {
  const items = await volumes(url, prefix);
  return items
    .slice(0, 3)
    .map(
      (o) =>
        `${o.metadata.name}: ${(o.status?.conditions ?? []).map((c) => `${c.type}=${c.status} ${c.message ?? ""}`).join("; ")}`,
    )
    .join(" | ");
}

/** Messages of the volumes' Ready=False conditions that name an rbd command. */
async function namedFailures(url: string, prefix: string): Promise<string[]> {
  const items = await volumes(url, prefix);
  return items.flatMap((o) =>
    (o.status?.conditions ?? [])
      .filter((c) => c.type === "Ready" && c.status === "False" && /^rbd [a-z]+ \S+/.test(c.message ?? ""))
      .map((c) => `${o.metadata.name}: ${c.message}`),
  );
}

export const cephOsdKilled: Scenario = {
  name: NAME,
  runs: { full: 2, short: 1 },
  async run({ runs, short, env }) {
    const row = emptyResult(NAME, runs);
    return guarded(row, async () => {
      const { serve, pool } = await env.ownServe("osd");
      const urls = () => [serve.url];
      for (let run = 0; run < runs; run++) {
        const w = volumeWorkload(env.prefix("o", run), short ? 4 : 20, pool);
        const progress = { acked: 0 };
        const started = Date.now();
        const applying = env.apply(urls, w, progress);
        while (progress.acked < 2) await new Promise((r) => setTimeout(r, 10));
        process.kill(env.stack.pid("osd"), "SIGKILL");
        const killedAt = Date.now();
        let named: string[] = [];
        while (named.length === 0 && Date.now() - killedAt < NAMED_WITHIN_MS) {
          await new Promise((r) => setTimeout(r, 500));
          named = await namedFailures(serve.url, w.prefix);
        }
        let clean = true;
        if (named.length === 0) {
          clean = false;
          row.notes.push(
            `run ${run + 1}: no condition named the failing command within ${NAMED_WITHIN_MS / 1000} s; they said: ${await conditionsNow(serve.url, w.prefix)}`,
          );
        } else {
          row.notes.push(
            `run ${run + 1}: named after ${((Date.now() - killedAt) / 1000).toFixed(1)} s: ${named[0]}`,
          );
        }
        await env.stack.ceph("osd", "set", "noout");
        const up = await env.stack.up();
        const unhealthy = /ceph HEALTH_WARN[^\n]*noout/.exec(up)?.[0];
        if (!unhealthy) {
          clean = false;
          row.notes.push(
            `run ${run + 1}: stack up with the OSD down and noout set did not say what is unhealthy:\n${up}`,
          );
        } else if (run === 0) row.notes.push(`stack up said: ${unhealthy}`);
        await env.stack.ceph("osd", "unset", "noout");
        await applying;
        const ok = await env.settle(row, urls, w, started);
        if (ok && !clean) row.converged--;
      }
    });
  },
};
