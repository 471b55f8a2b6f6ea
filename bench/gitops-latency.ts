/**
 * bench/gitops-latency: file save → Ready. A Network declared in a watched folder (among other
 * files) gets a new domain by rewriting its file; the time runs until the Network is Ready for
 * the new generation (the controller has written PVC's keys). p50/p99 over N edits.
 *
 * The baseline, in the same run against the same controller, is the same change made by a direct
 * store.apply: what GitOps adds is the folder watch, the debounce, reading and validating the
 * folder, the inventory and its own status write.
 * Goal (issue 7): p50 ≤ 200 ms.
 *
 *   eval "$(npx pvcctl stack up)" && npx tsx bench/gitops-latency.ts [edits] [files]
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { networkController } from "../controllers/network/controller.ts";
import { startGitOps } from "../src/gitops/index.ts";
import type { Resource } from "../src/resources/types.ts";
import { isReady } from "../src/runtime/conditions.ts";
import { startHarness } from "../test/helpers/controllers.ts";
import { benchZkConnect, percentile, report } from "./lib.ts";

const EDITS = Number(process.argv[2] ?? 200);
const FILES = Number(process.argv[3] ?? 20);
const API = "pvc.parallelvirtualcluster.org/v1";

function network(name: string, vni: number, domain: string): Resource {
  return {
    apiVersion: API,
    kind: "Network",
    metadata: { name },
    spec: {
      vni,
      type: "managed",
      domain,
      ipv4: { network: `10.${vni % 200}.0.0/24`, gateway: `10.${vni % 200}.0.1` },
    },
  };
}

function yamlOf(r: Resource): string {
  const s = r.spec as { vni: number; domain: string; ipv4: { network: string; gateway: string } };
  return `apiVersion: ${API}\nkind: Network\nmetadata:\n  name: ${r.metadata.name}\nspec:\n  vni: ${s.vni}\n  type: managed\n  domain: ${s.domain}\n  ipv4:\n    network: ${s.ipv4.network}\n    gateway: ${s.ipv4.gateway}\n`;
}

async function main() {
  benchZkConnect();
  const h = await startHarness("bench-gitops", [networkController]);
  const informer = h.informer("Network");

  /** Resolves with ms from `start` until `name` is Ready with `domain` for its generation. */
  const readyWith = (name: string, domain: string, start: number): Promise<number> =>
    new Promise((resolve) => {
      const check = (obj: Resource) => {
        if (obj.metadata.name !== name || (obj.spec as { domain?: string }).domain !== domain) return;
        if (!isReady(obj.status?.conditions, obj.metadata.generation)) return;
        informer.off("update", check);
        informer.off("add", check);
        resolve(performance.now() - start);
      };
      informer.on("update", check);
      informer.on("add", check);
    });

  // Baseline: the same edit through the store directly.
  await h.store.apply(network("direct", 3000, "d0.example.org"));
  await h.waitFor(
    "Network",
    "direct",
    (r) => r !== null && isReady(r.status?.conditions, r.metadata.generation),
  );
  const baseline: number[] = [];
  for (let i = 1; i <= EDITS; i++) {
    const domain = `d${i}.example.org`;
    const start = performance.now();
    const done = readyWith("direct", domain, start);
    await h.store.apply(network("direct", 3000, domain));
    baseline.push(await done);
  }

  // Ours: a folder of FILES networks; the edits rewrite one file.
  const dir = await mkdtemp(join(tmpdir(), "bench-gitops-"));
  for (let f = 0; f < FILES; f++) {
    await writeFile(join(dir, `net-${f}.yaml`), yamlOf(network(`net-${f}`, 3100 + f, `n${f}.example.org`)));
  }
  const gitops = await startGitOps({ dir, store: h.store, informer: h.informer, resyncPeriodMs: 0 });
  await h.waitFor(
    "Network",
    "net-0",
    (r) => r !== null && isReady(r.status?.conditions, r.metadata.generation),
  );
  const ours: number[] = [];
  for (let i = 1; i <= EDITS; i++) {
    const domain = `g${i}.example.org`;
    const start = performance.now();
    const done = readyWith("net-0", domain, start);
    await writeFile(join(dir, "net-0.yaml"), yamlOf(network("net-0", 3100, domain)));
    ours.push(await done);
  }

  await gitops.stop();
  await h.close();
  await rm(dir, { recursive: true, force: true });
  baseline.sort((a, b) => a - b);
  ours.sort((a, b) => a - b);
  console.log(`gitops-latency: ${EDITS} edits, folder of ${FILES} files, debounce 50 ms`);
  report("file save → Ready p50", percentile(baseline, 50), percentile(ours, 50), "ms");
  report("file save → Ready p99", percentile(baseline, 99), percentile(ours, 99), "ms");
  const p50 = percentile(ours, 50);
  console.log(`goal p50 ≤ 200 ms: ${p50 <= 200 ? "met" : "NOT met"} (${p50.toFixed(1)} ms)`);
}

await main();
