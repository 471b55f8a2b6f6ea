/**
 * bench/provision (issue 15): one VM with three 1 GiB ext4 disks (/, /var, /var/log) provisioned
 * end to end, against the same steps done by hand with the CLI tools in the same run
 * (bench/provision-by-hand.ts: rbd create, attach with rbd-fuse + losetup, mkfs, mount, the
 * script's install() in python3, unmount, detach, define). Ours: POST /api/v1/provisioner/create
 * (define, no start: the baseline starts nothing either) on the real app with the Ceph, Network
 * and VirtualMachine controllers over hollow nodes, timed from the request to the VM's
 * status.provisioning state SUCCESS; each phase's time is when the VM's status first showed the
 * next phase (read from the informer's events, so a phase too quick to be written on its own
 * counts in the one before it). Goal: ours ≤ 1.2× by hand.
 *
 * Both sides use the example script (manifests/examples/provisioner-script.py) on a pool of their
 * own in the stack's Ceph; each round runs both, alternating who goes first, after a warm-up round.
 *
 *   source /work/stack/shared.env   # or: eval "$(npx pvcctl stack env)"
 *   npx tsx bench/provision.ts [rounds]
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { cephPoolController } from "../controllers/ceph/pool.ts";
import { cephVolumeController } from "../controllers/ceph/volume.ts";
import { networkController } from "../controllers/network/controller.ts";
import { vmController } from "../controllers/vm/controller.ts";
import { CephClient } from "../src/ceph/client.ts";
import { PvcKeys } from "../src/pvc/keys.ts";
import type { Resource } from "../src/resources/types.ts";
import { HollowCluster } from "../src/sim/cluster.ts";
import { parseNodeSpec } from "../src/sim/spec.ts";
import { removeRoot, startTestApp, type TestApp, testConfig, v1Call, v1Ok } from "../test/helpers/api-app.ts";
import { uniqueRoot } from "../test/helpers/env.ts";
import { alternatingRounds, benchZkConnect, median, printResult, report, roundsText } from "./lib.ts";
import { HAND_STEPS, type HandDisk, type HandSetup, provisionByHand } from "./provision-by-hand.ts";

const ROUNDS = Number(process.argv[2] ?? 3);
const SIZE_GIB = 1;
const NETWORKS = [200, 300];
const DISKS: HandDisk[] = [
  { id: "sda", label: "root", mountpoint: "/" },
  { id: "sdb", label: "var", mountpoint: "/var" },
  { id: "sdc", label: "log", mountpoint: "/var/log" },
];
const ARGUMENTS = { domain: "example.org" };
const PROFILE = "bench-profile";
const PROVISION_TIMEOUT_MS = 300_000;

interface Provisioning {
  state?: string;
  phase?: string;
  message?: string;
  error?: string;
}

const provisioningOf = (vm: Resource): Provisioning | undefined =>
  (vm.status as { provisioning?: Provisioning } | undefined)?.provisioning;

/** The templates, script and profile, sent to /api/v1/provisioner as the manual's walkthrough does. */
async function declareProfile(url: string, pool: string, script: string): Promise<void> {
  const p = "/provisioner";
  await v1Ok(url, "POST", `${p}/template/system`, {
    name: "bench-sys",
    vcpus: "2",
    vram: "1024",
    serial: "true",
  });
  await v1Ok(url, "POST", `${p}/template/network`, { name: "bench-net" });
  for (const vni of NETWORKS)
    await v1Ok(url, "POST", `${p}/template/network/bench-net/net`, { vni: String(vni) });
  await v1Ok(url, "POST", `${p}/template/storage`, { name: "bench-disks" });
  for (const d of DISKS)
    await v1Ok(url, "POST", `${p}/template/storage/bench-disks/disk`, {
      disk_id: d.id,
      disk_size: String(SIZE_GIB),
      pool,
      filesystem: "ext4",
      filesystem_arg: `-L=${d.label}`,
      mountpoint: d.mountpoint,
    });
  await v1Ok(url, "POST", `${p}/template/userdata`, { name: "bench-userdata", data: "#cloud-config" });
  const created = await v1Call(url, "POST", `${p}/script`, { name: "bench-script", data: script }, true);
  assert.equal(created.status, 200, JSON.stringify(created.body));
  await v1Ok(url, "POST", `${p}/profile`, {
    name: PROFILE,
    system_template: "bench-sys",
    network_template: "bench-net",
    storage_template: "bench-disks",
    userdata_template: "bench-userdata",
    script: "bench-script",
    arg: Object.entries(ARGUMENTS).map(([k, v]) => `${k}=${v}`),
  });
}

interface OursResult {
  total: number;
  /** Milliseconds per phase as the status showed them, in order; `accepted` is the request to the first status. */
  phases: [string, number][];
}

/** POST /provisioner/create for `name`; resolves when its status says SUCCESS (fails on FAILURE). */
async function provisionOurs(t: TestApp, name: string): Promise<OursResult> {
  const informer = t.app.informers.get("VirtualMachine");
  assert.ok(informer, "the VirtualMachine informer");
  const sightings: [string, number][] = [];
  let settle: (p: Provisioning) => void = () => undefined;
  const finished = new Promise<Provisioning>((resolve) => {
    settle = resolve;
  });
  const onChange = (vm: Resource) => {
    if (vm.metadata.name !== name) return;
    const p = provisioningOf(vm);
    if (!p?.phase) return;
    if (sightings.at(-1)?.[0] !== p.phase) sightings.push([p.phase, performance.now()]);
    if (p.state === "SUCCESS" || p.state === "FAILURE") settle(p);
  };
  informer.on("add", onChange);
  informer.on("update", onChange);
  let timer: NodeJS.Timeout | undefined;
  try {
    const started = performance.now();
    const r = await v1Call(t.app.url, "POST", "/provisioner/create", {
      name,
      profile: PROFILE,
      start_vm: "false",
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const end = await Promise.race([
      finished,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${name}: not provisioned within ${PROVISION_TIMEOUT_MS} ms`)),
          PROVISION_TIMEOUT_MS,
        );
      }),
    ]);
    const ended = performance.now();
    if (end.state !== "SUCCESS")
      throw new Error(`${name}: ${end.state} in ${end.phase}: ${end.error ?? end.message}`);
    const marks: [string, number][] = [["accepted", started], ...sightings, ["end", ended]];
    const phases = marks
      .slice(0, -1)
      .map(([phase, at], i): [string, number] => [phase, marks[i + 1][1] - at]);
    return { total: ended - started, phases: phases.filter(([phase]) => phase !== "done") };
  } finally {
    clearTimeout(timer);
    informer.off("add", onChange);
    informer.off("update", onChange);
  }
}

/** Median per named step over the rounds (a step missing in a round counts 0 there). */
function medians(rounds: readonly Record<string, number>[]): string {
  const names = [...new Set(rounds.flatMap((r) => Object.keys(r)))];
  return names.map((n) => `${n} ${median(rounds.map((r) => r[n] ?? 0)).toFixed(0)}`).join(", ");
}

async function main() {
  const connect = benchZkConnect();
  const cephConf = process.env.CEPH_CONF;
  if (!cephConf) throw new Error("CEPH_CONF is not set: source the stack's env first");
  const root = uniqueRoot("bench-provision");
  const pvcRoot = `${root}/pvc`;
  const handPool = `bprovh${process.pid}`;
  const oursPool = `bprovo${process.pid}`;
  const script = await readFile(
    new URL("../manifests/examples/provisioner-script.py", import.meta.url),
    "utf8",
  );
  const ceph = new CephClient({ conf: cephConf });

  const t = await startTestApp(
    testConfig(`${root}/store`, (c) => {
      c.reconciler.pvcRoot = pvcRoot;
      c.reconciler.cephConf = cephConf;
      c.reconciler.logLevel = "warn";
      c.reconciler.facadeWaitTimeoutMs = 60_000;
    }),
    { kindControllers: [networkController, cephPoolController, cephVolumeController, vmController] },
  );
  const cluster = new HollowCluster({
    zk: t.app.zk,
    nodes: parseNodeSpec("hv1:coordinator,hv2:coordinator,hv3:hypervisor"),
    root: pvcRoot,
  });
  try {
    await cluster.start();
    const keys = new PvcKeys(pvcRoot);
    for (const vni of NETWORKS) await t.app.zk.mkdirp(keys.network(vni));
    await v1Ok(t.app.url, "POST", "/storage/ceph/pool", { pool: oursPool, pgs: "8" });
    await ceph.poolCreate(handPool, 8, { size: 1, minSize: 1 });
    await ceph.rbdPoolInit(handPool);
    await declareProfile(t.app.url, oursPool, script);

    const hand: HandSetup = {
      zk: t.app.zk,
      keys: new PvcKeys(`${root}/by-hand`),
      cephConf,
      pool: handPool,
      disks: DISKS,
      sizeGiB: SIZE_GIB,
      script,
      arguments: ARGUMENTS,
      networks: NETWORKS,
    };
    console.log(
      `provision: one VM, three ${SIZE_GIB} GiB ext4 disks (/, /var, /var/log), ${ROUNDS} rounds after a warm-up, alternating; ZooKeeper at ${connect}, load average ${loadavg()[0].toFixed(2)}`,
    );
    const handSteps: Record<string, number>[] = [];
    const oursPhases: Record<string, number>[] = [];
    const kept = await alternatingRounds(
      ["by hand", "ours"] as const,
      ROUNDS,
      async (side, round) => {
        const name = `${side === "ours" ? "ours" : "hand"}${round + 1}`;
        if (side === "by hand") {
          const steps = await provisionByHand(hand, name);
          if (round >= 0) handSteps.push(steps);
          return HAND_STEPS.reduce((sum, s) => sum + steps[s], 0);
        }
        const r = await provisionOurs(t, name);
        if (round >= 0) oursPhases.push(Object.fromEntries(r.phases));
        return r.total;
      },
      1,
    );
    console.log(`  by hand, per step (median ms): ${medians(handSteps)}`);
    console.log(`  ours, per phase (median ms):   ${medians(oursPhases)}`);
    console.log(`  rounds (ms): by hand ${roundsText(kept["by hand"])}; ours ${roundsText(kept.ours)}`);
    const base = median(kept["by hand"]);
    const ours = median(kept.ours);
    report("provision one VM end to end (ms)", base, ours, "ms", {
      text: "≤ 1.2× by hand",
      met: ours / base <= 1.2,
    });
    console.log(`  load average now ${loadavg()[0].toFixed(2)}`);
    printResult("provision", "one VM with three ext4 disks provisioned end to end vs the same steps by hand");
  } finally {
    await t.app.close();
    await cluster.stop();
    await ceph.poolRm(handPool).catch(() => undefined);
    await ceph.poolRm(oursPool).catch(() => undefined);
    await removeRoot(root);
  }
}

await main();
