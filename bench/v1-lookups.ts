/**
 * bench/v1-lookups: PVC's `/api/v1` element GETs at scale (issue 16). The app (no kind
 * controllers: reads only) holds COUNT Networks; over HTTP, in the same run:
 *  - baseline: `GET /api/v1/network` (the list, every network shaped), p50/p99;
 *  - ours: `GET /api/v1/network/<vni>` and `/<description>` (element GETs, by index), p50/p99;
 *  - for reference, in process: one lookup the old way (a scan of the informer's sorted list)
 *    against one by index.
 * Goal (issue 16): element GETs p50 ≤ 2 ms at 10,000.
 *
 *   eval "$(npx pvcctl stack up)" && npx tsx bench/v1-lookups.ts [count] [requests]
 */
import { type App, startApp } from "../src/app.ts";
import { devConfig } from "../src/config.ts";
import type { Network } from "../src/resources/specs.ts";
import { lookUp } from "../src/store/indexer.ts";
import type { Informer } from "../src/store/informer.ts";
import { ZkClient } from "../src/zk/client.ts";
import { benchZkConnect, figure, percentile, printResult, report, runConcurrent } from "./lib.ts";

const COUNT = Number(process.argv[2] ?? 10_000);
const REQUESTS = Number(process.argv[3] ?? 500);
const LIST_REQUESTS = 30;

function network(i: number) {
  return {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "Network",
    metadata: { name: `lookup-${i}` },
    spec: {
      vni: 100_000 + i,
      description: `lookup-${i}`,
      type: "managed",
      domain: `n${i}.example.org`,
      ipv4: { network: `10.${i >> 8}.${i & 255}.0/24`, gateway: `10.${i >> 8}.${i & 255}.1` },
    },
  };
}

/** ms per request of `paths`, one at a time, sorted. */
async function timeGets(app: App, paths: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const path of paths) {
    const t = performance.now();
    const res = await fetch(`${app.url}${path}`);
    await res.arrayBuffer();
    out.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  }
  return out.sort((a, b) => a - b);
}

function timeInProcess(fn: (i: number) => unknown, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return (performance.now() - t) / n;
}

async function main() {
  const connect = benchZkConnect();
  const root = `/bench-v1-lookups-${process.pid}`;
  const config = devConfig({ connectString: connect, cephConf: "/dev/null", storeRoot: `${root}/store` });
  config.api.listenPort = 0;
  config.reconciler.logLevel = "error";
  config.reconciler.pvcRoot = `${root}/pvc`;
  const app = await startApp(config, { kindControllers: [], processMetrics: false });
  const informer = app.informers.get("Network") as unknown as Informer<Network>;
  try {
    await runConcurrent(COUNT, 32, (i) => app.store.create(network(i)));
    while (informer.size < COUNT) await new Promise((r) => setTimeout(r, 50));
    const pick = (i: number) => (i * 7919) % COUNT;

    const list = await timeGets(app, Array(LIST_REQUESTS).fill("/api/v1/network"));
    // A warm-up round of element GETs (JIT, the index built by the first), then the measured ones.
    await timeGets(app, ["/api/v1/network/100000", "/api/v1/network/lookup-1"]);
    const byVni = await timeGets(
      app,
      Array.from({ length: REQUESTS }, (_, i) => `/api/v1/network/${100_000 + pick(i)}`),
    );
    const byDescription = await timeGets(
      app,
      Array.from({ length: REQUESTS }, (_, i) => `/api/v1/network/lookup-${pick(i + 1)}`),
    );
    const vniOf = (n: Network) => [String(n.spec.vni)];
    const scan = timeInProcess((i) => informer.list().find((n) => n.spec.vni === 100_000 + pick(i)), 20);
    const indexed = timeInProcess((i) => lookUp(informer, vniOf, String(100_000 + pick(i))), 10_000);

    console.log(
      `v1-lookups: ${COUNT} Networks, ${REQUESTS} element GETs each way, ${LIST_REQUESTS} list GETs`,
    );
    report("GET /network vs /network/<vni> p50", percentile(list, 50), percentile(byVni, 50), "ms");
    report("GET /network vs /network/<vni> p99", percentile(list, 99), percentile(byVni, 99), "ms");
    report("GET /network vs /<description> p50", percentile(list, 50), percentile(byDescription, 50), "ms");
    report("GET /network vs /<description> p99", percentile(list, 99), percentile(byDescription, 99), "ms");
    report("in process: scan vs index, per lookup", scan, indexed, "ms");
    const p50 = Math.max(percentile(byVni, 50), percentile(byDescription, 50));
    figure("element GET p50, the slower way (ms)", p50, "ms", { text: "≤ 2 ms", met: p50 <= 2 });
  } finally {
    await app.close();
    const zk = await ZkClient.connect({ connectString: connect });
    await zk.deleteRecursive(root).catch(() => undefined);
    zk.close();
  }
  printResult(
    "v1-lookups",
    `${COUNT} Networks: /api/v1/network element GETs by vni and description against the list GET`,
  );
}

await main();
