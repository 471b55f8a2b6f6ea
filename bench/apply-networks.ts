/**
 * bench/apply-networks: N Network resources applied → all Ready (PVC keys written by the
 * controller, status reported), against the raw-ZooKeeper floor measured in the same run: the
 * same znodes written by a bare client, one multi per network, 32 in flight.
 * Goal (issue 5): ours ≤ 2× the floor's time.
 *
 * Also printed, for reference: the two writes any store-backed controller needs at least (the
 * resource, then PVC's keys with its status), by the same bare client. The floor is bound by this
 * process's CPU (the ZooKeeper library's request encoding), so "ours" pays that encoding twice
 * before any validation, caching or bookkeeping.
 *
 *   eval "$(npx pvcctl stack up)" && npx tsx bench/apply-networks.ts [count]
 */
import { networkController } from "../controllers/network/controller.ts";
import { desiredNetworkTree } from "../controllers/network/desired.ts";
import { PvcKeys } from "../src/pvc/keys.ts";
import type { NetworkSpec } from "../src/resources/specs.ts";
import type { Resource } from "../src/resources/types.ts";
import { validateResource } from "../src/resources/validate.ts";
import { startHarness } from "../test/helpers/controllers.ts";
import { benchZkConnect, report, runConcurrent } from "./lib.ts";

/** CPU time (user + system) this process spent since `start`, in ms. */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const COUNT = Number(process.argv[2] ?? 1000);
const IN_FLIGHT = 32;

function manifest(i: number) {
  const b = Math.floor(i / 250);
  const c = i % 250;
  return {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "Network",
    metadata: { name: `bench-${i}` },
    spec: {
      vni: 10_000 + i,
      type: "managed",
      ipv4: {
        network: `10.${100 + b}.${c}.0/24`,
        gateway: `10.${100 + b}.${c}.1`,
        dhcp: { start: `10.${100 + b}.${c}.100`, end: `10.${100 + b}.${c}.199` },
      },
      ipv6: { network: `fd00:${i.toString(16)}::/64` },
      acls: { in: [{ description: "ssh", rule: "tcp dport 22 counter accept" }], out: [] },
    },
  };
}

async function main() {
  benchZkConnect();
  const h = await startHarness("bench-apply-networks", [networkController]);
  console.log(
    `apply-networks: ${COUNT} networks, ${IN_FLIGHT} in flight, ZooKeeper at ${process.env.PVC_ZK_CONNECT}`,
  );

  // Floor: the same PVC znodes, written by a bare client with one multi per network.
  const floorKeys = new PvcKeys(`${h.pvc.root}-floor`);
  await h.zk.mkdirp(floorKeys.networks());
  const specs = Array.from(
    { length: COUNT },
    (_, i) => validateResource(manifest(i)).spec as unknown as NetworkSpec,
  );
  let cpu0 = process.cpuUsage();
  const floorStart = performance.now();
  await runConcurrent(COUNT, IN_FLIGHT, (i) =>
    h.zk.multi(
      [...desiredNetworkTree(floorKeys, specs[i])].map(([path, data]) => ({
        op: "create" as const,
        path,
        data,
      })),
    ),
  );
  const floorMs = performance.now() - floorStart;
  const floorCpuMs = cpuMsSince(cpu0);

  // For reference, not the goal: the writes any store-backed controller needs at least, by the same
  // bare client: the resource (object, status, event folder) in one multi, then PVC's keys with
  // the status in a second. What ours adds beyond this is validation, the caches and the events.
  const twoKeys = new PvcKeys(`${h.pvc.root}-two-writes`);
  const twoStore = `${h.pvc.root}-two-writes-store`;
  await Promise.all([
    h.zk.mkdirp(twoKeys.networks()),
    h.zk.mkdirp(`${twoStore}/objects`),
    h.zk.mkdirp(`${twoStore}/events`),
  ]);
  const twoStart = performance.now();
  await runConcurrent(COUNT, IN_FLIGHT, async (i) => {
    const object = `${twoStore}/objects/bench-${i}`;
    const body = JSON.stringify(manifest(i));
    await h.zk.multi([
      { op: "create", path: object, data: body },
      { op: "create", path: `${object}/status`, data: "{}" },
      { op: "set", path: `${object}/status`, data: "{}" },
      { op: "create", path: `${twoStore}/events/bench-${i}`, data: "" },
    ]);
    await h.zk.multi([
      ...[...desiredNetworkTree(twoKeys, specs[i])].map(([path, data]) => ({
        op: "create" as const,
        path,
        data,
      })),
      {
        op: "set",
        path: `${object}/status`,
        data: JSON.stringify({ observedGeneration: 1, vni: specs[i].vni }),
      },
    ]);
  });
  const twoWritesMs = performance.now() - twoStart;

  // Ours: apply the resources; done when every one is Ready for its generation.
  const informer = h.informer("Network");
  const isReady = (n: Resource | undefined) => {
    return (
      n?.status?.observedGeneration === n?.metadata.generation &&
      (n?.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
    );
  };
  cpu0 = process.cpuUsage();
  // Counted as the informer reports changes, not by polling: the bench must not eat the CPU it
  // measures.
  const readyNames = new Set<string>();
  const allReady = new Promise<void>((resolve) => {
    const seen = (n: Resource) => {
      if (!n.metadata.name.startsWith("bench-")) return;
      if (isReady(n)) readyNames.add(n.metadata.name);
      else readyNames.delete(n.metadata.name);
      if (readyNames.size === COUNT) resolve();
    };
    informer.on("add", seen);
    informer.on("update", seen);
  });
  const oursStart = performance.now();
  await runConcurrent(COUNT, IN_FLIGHT, (i) => h.store.apply(manifest(i)));
  const applied = performance.now() - oursStart;
  await allReady;
  const oursMs = performance.now() - oursStart;
  const oursCpuMs = cpuMsSince(cpu0);
  console.log(`  applied all in ${applied.toFixed(0)} ms; all Ready after ${oursMs.toFixed(0)} ms`);
  console.log(
    `  this process's CPU: floor ${floorCpuMs.toFixed(0)} ms, ours ${oursCpuMs.toFixed(0)} ms (ZooKeeper's own CPU is not counted)`,
  );
  report(`${COUNT} networks → all Ready (ms)`, floorMs, oursMs, "ms");
  report("  for reference: vs the two writes", twoWritesMs, oursMs, "ms");
  console.log(`  goal: ratio ≤ 2.00 → ${oursMs / floorMs <= 2 ? "met" : "NOT met"}`);

  await h.zk.deleteRecursive(floorKeys.rootPath());
  await h.zk.deleteRecursive(twoKeys.rootPath());
  await h.zk.deleteRecursive(twoStore);
  await h.close();
}

await main();
