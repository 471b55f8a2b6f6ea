/**
 * bench/gitops-latency: a GitOps folder at scale (issue 16: 10,000 one-Network files).
 *
 * 1. Initial sync: the watcher starts on a folder of FILES files, one Network each; the time runs
 *    until every Network is Ready. Baseline, in the same run, first: the same documents (other
 *    names and vnis) through bare store.apply, 8 at a time, as the sync applies them, until all
 *    are Ready (the same controller, on a root of its own, removed before ours starts).
 * 2. File save → Ready: one file gets a new domain; the time runs until that Network is Ready for
 *    the new generation (the controller has written PVC's keys). p50/p99 over EDITS edits.
 *    Baseline: the same change by a direct store.apply. For reference, the old path's cost per
 *    sync: reading and validating the whole folder (it did so twice per sync).
 * Goal (issue 16): save → Ready p50 ≤ 100 ms with 10,000 files.
 *
 *   eval "$(npx pvcctl stack up)" && npx tsx bench/gitops-latency.ts [edits] [files]
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { networkController } from "../controllers/network/controller.ts";
import { readFolder } from "../src/gitops/folder.ts";
import { startGitOps } from "../src/gitops/index.ts";
import type { Resource } from "../src/resources/types.ts";
import { isReady } from "../src/runtime/conditions.ts";
import { type Harness, startHarness } from "../test/helpers/controllers.ts";
import { benchZkConnect, percentile, printResult, report, runConcurrent } from "./lib.ts";

const EDITS = Number(process.argv[2] ?? 200);
const FILES = Number(process.argv[3] ?? 10_000);
const API = "pvc.parallelvirtualcluster.org/v1";

/** Network `i` of a set; `set` 0 is the baseline's, 1 the folder's (distinct vnis and subnets). */
function network(set: number, i: number, domain: string): Resource {
  const name = `${set === 0 ? "base" : "net"}-${i}`;
  const octet = 100 * set + (i >> 8);
  return {
    apiVersion: API,
    kind: "Network",
    metadata: { name },
    spec: {
      vni: 10_000 + 20_000 * set + i,
      type: "managed",
      domain,
      ipv4: { network: `10.${octet}.${i & 255}.0/24`, gateway: `10.${octet}.${i & 255}.1` },
    },
  };
}

function yamlOf(r: Resource): string {
  const s = r.spec as { vni: number; domain: string; ipv4: { network: string; gateway: string } };
  return `apiVersion: ${API}\nkind: Network\nmetadata:\n  name: ${r.metadata.name}\nspec:\n  vni: ${s.vni}\n  type: managed\n  domain: ${s.domain}\n  ipv4:\n    network: ${s.ipv4.network}\n    gateway: ${s.ipv4.gateway}\n`;
}

/** Resolves with ms from `start` once `count` Networks named `prefix-…` are Ready. */
function allReady(h: Harness, prefix: string, count: number, start: number): Promise<number> {
  const informer = h.informer("Network");
  return new Promise((resolve) => {
    const seen = new Set<string>();
    const check = (obj: Resource) => {
      if (!obj.metadata.name.startsWith(prefix) || !ready(obj)) return;
      seen.add(obj.metadata.name);
      if (seen.size < count) return;
      informer.off("update", check);
      informer.off("add", check);
      resolve(performance.now() - start);
    };
    informer.on("update", check);
    informer.on("add", check);
  });
}

const ready = (obj: Resource) => isReady(obj.status?.conditions, obj.metadata.generation);

async function main() {
  benchZkConnect();
  // 1. Initial, baseline: bare applies of the same documents, on a root of their own (removed
  //    before ours starts: the stack's ZooKeeper holds 10,000 networks' keys, not twice that).
  const bare = await startHarness("bench-gitops-bare", [networkController]);
  let start = performance.now();
  let done = allReady(bare, "base-", FILES, start);
  await runConcurrent(FILES, 8, (i) => bare.store.apply(network(0, i, `b${i}.example.org`)));
  const baseInitial = await done;
  await bare.close();

  const h = await startHarness("bench-gitops", [networkController]);
  const informer = h.informer("Network");

  /** Resolves with ms from `start` until `name` is Ready with `domain` for its generation. */
  const readyWith = (name: string, domain: string, start: number): Promise<number> =>
    new Promise((resolve) => {
      const check = (obj: Resource) => {
        if (obj.metadata.name !== name || (obj.spec as { domain?: string }).domain !== domain) return;
        if (!ready(obj)) return;
        informer.off("update", check);
        informer.off("add", check);
        resolve(performance.now() - start);
      };
      informer.on("update", check);
      informer.on("add", check);
    });

  // 1. Initial, ours: the folder.
  const dir = await mkdtemp(join(tmpdir(), "bench-gitops-"));
  for (let i = 0; i < FILES; i++)
    await writeFile(join(dir, `net-${i}.yaml`), yamlOf(network(1, i, `n${i}.example.org`)));
  start = performance.now();
  done = allReady(h, "net-", FILES, start);
  const gitops = await startGitOps({ dir, store: h.store, informer: h.informer, resyncPeriodMs: 0 });
  const oursInitial = await done;
  // The direct edits' network, beside the folder's.
  const direct = allReady(h, "base-0", 1, performance.now());
  await h.store.apply(network(0, 0, "d0.example.org"));
  await direct;

  // The old path's reading, per sync: the whole folder, read and validated (it did this twice).
  const wholeReads: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await readFolder(dir);
    wholeReads.push(performance.now() - t);
  }

  // 2. Edits: the direct apply, then the file save.
  const baseline: number[] = [];
  for (let i = 1; i <= EDITS; i++) {
    const domain = `d${i}.example.org`;
    const t = performance.now();
    const edited = readyWith("base-0", domain, t);
    await h.store.apply(network(0, 0, domain));
    baseline.push(await edited);
  }
  const ours: number[] = [];
  for (let i = 1; i <= EDITS; i++) {
    const domain = `g${i}.example.org`;
    const t = performance.now();
    const edited = readyWith("net-0", domain, t);
    await writeFile(join(dir, "net-0.yaml"), yamlOf(network(1, 0, domain)));
    ours.push(await edited);
  }

  await gitops.stop();
  await h.close();
  await rm(dir, { recursive: true, force: true });
  baseline.sort((a, b) => a - b);
  ours.sort((a, b) => a - b);
  wholeReads.sort((a, b) => a - b);
  console.log(`gitops-latency: folder of ${FILES} files (one Network each), ${EDITS} edits, debounce 50 ms`);
  report("initial sync → all Ready", baseInitial / 1000, oursInitial / 1000, "s");
  console.log(
    `${"whole folder read (old path, ×2/sync)".padEnd(34)} median ${wholeReads[1].toFixed(0)} ms (3 reads)`,
  );
  const p50 = percentile(ours, 50);
  report("file save → Ready p50", percentile(baseline, 50), p50, "ms", { text: "≤ 100 ms", met: p50 <= 100 });
  report("file save → Ready p99", percentile(baseline, 99), percentile(ours, 99), "ms");
  printResult(
    "gitops-latency",
    `a GitOps folder of ${FILES} one-Network files: initial sync and file save → Ready, against direct applies`,
  );
}

await main();
