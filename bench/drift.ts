/**
 * bench/drift: drift-repair latency — an out-of-band edit of a key a Network owns
 * (`/networks/<vni>/ip4_gateway`, `domain`, …) until the controller has written it back, p50/p99
 * over N edits. The baseline, measured in the same run, is the floor of any repair loop: a bare
 * client with a one-shot watch on the same key that writes the old value back the moment it fires.
 * Goal (issue 4): p50 ≤ 50 ms, p99 ≤ 250 ms.
 *
 *   eval "$(npx pvcctl stack up)" && npx tsx bench/drift.ts [edits]
 */
import { networkController } from "../controllers/network/controller.ts";
import { ZkClient } from "../src/zk/client.ts";
import { startHarness } from "../test/helpers/controllers.ts";
import { benchZkConnect, percentile, printResult, report } from "./lib.ts";

const EDITS = Number(process.argv[2] ?? 200);
const KEYS = ["ip4_gateway", "domain", "dhcp4_start", "name_servers", "nettype"] as const;

/** Sets `path` to a wrong value and resolves with the ms until its value is `good` again. */
async function timeRepair(editor: ZkClient, path: string, good: string): Promise<number> {
  const started = performance.now();
  let done = false;
  const repaired = new Promise<number>((resolve, reject) => {
    const look = (): void => {
      if (done) return; // a watch left from this measure: the next one has its own
      editor.get(path, { watch: () => look() }).then((r) => {
        if (r.data === good && !done) {
          done = true;
          resolve(performance.now() - started);
        }
      }, reject);
    };
    // Armed after the edit below is sent: the watch sees the repair, not our own edit.
    setImmediate(look);
  });
  await editor.set(path, "drifted");
  return repaired;
}

async function main() {
  benchZkConnect();
  const h = await startHarness("bench-drift", [networkController]);
  const editor = await ZkClient.connect({ connectString: process.env.PVC_ZK_CONNECT as string });
  await h.store.create({
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "Network",
    metadata: { name: "drift" },
    spec: {
      vni: 4242,
      type: "managed",
      nameServers: ["10.42.0.1"],
      ipv4: {
        network: "10.42.0.0/24",
        gateway: "10.42.0.1",
        dhcp: { start: "10.42.0.100", end: "10.42.0.199" },
      },
    },
  });
  await h.waitFor("Network", "drift", (r) =>
    (r?.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
  );
  const base = h.pvc.network(4242);
  const good = new Map<string, string>();
  for (const k of KEYS) good.set(k, (await editor.get(`${base}/${k}`)).data);

  // Baseline: a bare watcher that restores the floor key the instant it changes.
  const floorPath = `${h.pvc.root}-floor/key`;
  await h.zk.mkdirp(floorPath);
  await h.zk.set(floorPath, "good");
  let stopped = false;
  const guard = async (): Promise<void> => {
    if (stopped) return;
    const r = await h.zk.get(floorPath, { watch: () => void guard() });
    if (r.data !== "good") await h.zk.set(floorPath, "good");
  };
  await guard();

  console.log(`drift: ${EDITS} out-of-band edits, one at a time, ZooKeeper at ${process.env.PVC_ZK_CONNECT}`);
  const floor: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    floor.push(await timeRepair(editor, floorPath, "good"));
    const key = KEYS[i % KEYS.length];
    ours.push(await timeRepair(editor, `${base}/${key}`, good.get(key) as string));
  }
  stopped = true;
  floor.sort((a, b) => a - b);
  ours.sort((a, b) => a - b);
  const p50 = percentile(ours, 50);
  const p99 = percentile(ours, 99);
  report("repair p50 (ms)", percentile(floor, 50), p50, "ms", { text: "≤ 50 ms", met: p50 <= 50 });
  report("repair p99 (ms)", percentile(floor, 99), p99, "ms", { text: "≤ 250 ms", met: p99 <= 250 });
  await h.zk.deleteRecursive(`${h.pvc.root}-floor`);
  editor.close();
  await h.close();
  printResult(
    "drift",
    "an out-of-band edit of an owned PVC key → repaired, against a bare watch-and-restore",
  );
}

await main();
