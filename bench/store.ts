/**
 * bench/store: store create/update/list throughput at 1,000 and 10,000 objects against the raw
 * ZooKeeper floor measured in the same run (a bare multi writing the same znodes, 32 in flight),
 * and the informer's memory per cached object.
 * Targets (issue 3): ≥ 50 % of floor throughput; informer memory ≤ 5 KiB per object.
 *
 *   eval "$(npx pvcctl stack up)" && node --expose-gc --import tsx bench/store.ts [sizes]
 */
import { Informer } from "../src/store/informer.ts";
import { ResourceStore } from "../src/store/store.ts";
import { ZkClient } from "../src/zk/client.ts";
import { benchZkConnect, figure, perSecond, printResult, report, runConcurrent } from "./lib.ts";

const SIZES = (process.argv[2] ?? "1000,10000").split(",").map(Number);
const IN_FLIGHT = 32;
const KINDS = [{ kind: "Network", plural: "networks" }];

/** A realistic Network resource: what the store writes per object. */
function network(i: number, description = `net${i}`) {
  return {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "Network",
    metadata: { name: `n${i}`, labels: { "app.kubernetes.io/part-of": "bench", tier: i % 2 ? "web" : "db" } },
    spec: {
      vni: 1000 + i,
      description,
      type: "managed",
      domain: `net${i}.example.org`,
      nameServers: ["10.0.0.1", "10.0.0.2"],
      ipv4: {
        network: "10.100.0.0/24",
        gateway: "10.100.0.1",
        dhcp: { start: "10.100.0.100", end: "10.100.0.199" },
      },
      ipv6: { network: "fd00:100::/64", gateway: "fd00:100::1", dhcp: true },
    },
  };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main() {
  const connect = benchZkConnect();
  const zk = await ZkClient.connect({ connectString: connect, callTimeoutMs: 60_000 });
  const runRoot = `/bench-store-${process.pid}`;
  console.log(
    `store: ${IN_FLIGHT} in flight, ZooKeeper at ${connect}; baseline = bare multis writing the same znodes`,
  );

  for (const n of SIZES) {
    const floorRoot = `${runRoot}/floor${n}`;
    const store = new ResourceStore(zk, { root: `${runRoot}/store${n}`, kinds: KINDS });
    await store.init();
    await zk.mkdirp(floorRoot);
    const body = (i: number) =>
      JSON.stringify({ ...network(i), metadata: { ...network(i).metadata, uid: "x", generation: 1 } });

    // create: the floor writes the same three ops the store does (object, status, status set).
    const floorCreateMs = await runConcurrent(n, IN_FLIGHT, (i) =>
      zk.multi([
        { op: "create", path: `${floorRoot}/n${i}`, data: body(i) },
        { op: "create", path: `${floorRoot}/n${i}/status`, data: "{}" },
        { op: "set", path: `${floorRoot}/n${i}/status`, data: "{}" },
      ]),
    );
    const createMs = await runConcurrent(n, IN_FLIGHT, (i) => store.create(network(i)));
    report(`create ×${n} (objects/s)`, perSecond(n, floorCreateMs), perSecond(n, createMs), "obj/s", {
      text: "≥ 0.5× the floor",
      met: floorCreateMs / createMs >= 0.5,
    });

    // update: the floor does the store's reads (object + status) and its guarded multi.
    const floorUpdateMs = await runConcurrent(n, IN_FLIGHT, async (i) => {
      const [obj, status] = await Promise.all([
        zk.get(`${floorRoot}/n${i}`),
        zk.get(`${floorRoot}/n${i}/status`),
      ]);
      await zk.multi([
        { op: "check", path: `${floorRoot}/n${i}/status`, version: status.stat.version },
        { op: "set", path: `${floorRoot}/n${i}`, data: body(i + 1), version: obj.stat.version },
      ]);
    });
    const current = (await store.list("Network")).items;
    const byName = new Map(current.map((r) => [r.metadata.name, r]));
    const updateMs = await runConcurrent(n, IN_FLIGHT, (i) => {
      const cur = byName.get(`n${i}`);
      if (!cur) throw new Error(`n${i} missing`);
      return store.update({ ...network(i, `changed${i}`), metadata: { ...cur.metadata } });
    });
    report(`update ×${n} (objects/s)`, perSecond(n, floorUpdateMs), perSecond(n, updateMs), "obj/s", {
      text: "≥ 0.5× the floor",
      met: floorUpdateMs / updateMs >= 0.5,
    });

    // list: the floor reads the children and both znodes of each; the store also parses and freezes.
    const floorListStart = performance.now();
    const names = await zk.children(floorRoot);
    await runConcurrent(names.length, 256, (i) =>
      Promise.all([zk.get(`${floorRoot}/${names[i]}`), zk.get(`${floorRoot}/${names[i]}/status`)]),
    );
    const floorListMs = performance.now() - floorListStart;
    const listStart = performance.now();
    const listed = await store.list("Network");
    const listMs = performance.now() - listStart;
    if (listed.items.length !== n) throw new Error(`listed ${listed.items.length}, expected ${n}`);
    report(`list ×${n} (objects/s)`, perSecond(n, floorListMs), perSecond(n, listMs), "obj/s", {
      text: "≥ 0.5× the floor",
      met: floorListMs / listMs >= 0.5,
    });

    // informer memory: heap growth for a synced cache of n objects (+ its watches).
    gc();
    await new Promise((r) => setTimeout(r, 100));
    gc();
    const before = process.memoryUsage().heapUsed;
    const informer = new Informer(store, "Network");
    await informer.start();
    gc();
    await new Promise((r) => setTimeout(r, 100));
    gc();
    const perObject = (process.memoryUsage().heapUsed - before) / n;
    const gcNote = (globalThis as { gc?: unknown }).gc ? "" : " (run with --expose-gc for a stable number)";
    console.log(
      `informer memory ×${n}: ${(perObject / 1024).toFixed(2)} KiB per object (target ≤ 5 KiB)${gcNote}`,
    );
    figure(`informer memory ×${n} (KiB per object)`, perObject / 1024, "KiB", {
      text: "≤ 5 KiB",
      met: perObject / 1024 <= 5,
    });
    informer.stop();

    await zk.deleteRecursive(`${runRoot}/store${n}`);
    await zk.deleteRecursive(floorRoot);
  }
  await zk.deleteRecursive(runRoot);
  zk.close();
  printResult(
    "store",
    "the resource store: create, update and list against bare multis and gets of the same znodes; informer memory",
  );
}

await main();
