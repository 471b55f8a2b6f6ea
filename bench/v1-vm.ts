/**
 * bench/v1-vm: the /api/v1 VM endpoints at 1,000 VMs, against a baseline in the same run that
 * reads ZooKeeper per request the way PVC v0.6's API did (bench/v1-vm-baseline.ts: a new session,
 * then every VM's keys one read at a time). Both are served over HTTP from this process.
 *
 * Goals (issue 14): GET /api/v1/vm ≥ 1,000× the baseline's requests/s and p50 ≤ 10 ms;
 * GET /api/v1/vm/<name> p50 ≤ 2 ms; POST /api/v1/vm answered after convergence p50 ≤ 30 ms at
 * 1,000 VMs; GET /api/v1/node p50 ≤ 1 ms (measured when this build serves it). PVC v0.6 measured on
 * this kind of machine: GET /vm ≈ 4 s, GET /vm/<name> ≈ 0.9 s, POST /vm ≈ 0.6 s, GET /node ≈ 20 ms.
 *
 *   eval "$(npx pvcctl stack up)" && npx tsx bench/v1-vm.ts [vms]
 */
import { randomUUID } from "node:crypto";
import { nodeController } from "../controllers/node/controller.ts";
import { vmController } from "../controllers/vm/controller.ts";
import { HollowCluster } from "../src/sim/cluster.ts";
import { parseNodeSpec } from "../src/sim/spec.ts";
import { removeRoot, startTestApp, testConfig } from "../test/helpers/api-app.ts";
import { uniqueRoot } from "../test/helpers/env.ts";
import { benchZkConnect, figure, printResult, report, runConcurrent } from "./lib.ts";
import { startBaseline } from "./v1-vm-baseline.ts";
import { type LoadRequest, type LoadResult, load } from "./v1-vm-load.ts";

const VMS = Number(process.argv[2] ?? 1000);
const POOL = "vms";
const VNI = 1000;

/** A VM as PVC's provisioner writes one: two RBD disks, one interface, a serial console. */
function domainXml(name: string, uuid: string): string {
  const disk = (dev: string) => `
    <disk type='network' device='disk'>
      <driver name='qemu' discard='unmap'/>
      <auth username='libvirt'><secret type='ceph' uuid='8f4e1b2a-3c5d-4e6f-8a9b-0c1d2e3f4a5b'/></auth>
      <source protocol='rbd' name='${POOL}/${name}_${dev}'>
        <host name='hv1' port='6789'/><host name='hv2' port='6789'/><host name='hv3' port='6789'/>
      </source>
      <target dev='${dev}' bus='scsi'/>
    </disk>`;
  return `<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <description>bench VM ${name}</description>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <cpu><topology sockets='1' cores='2' threads='1'/></cpu>
  <os><type arch='x86_64' machine='pc-i440fx-2.7'>hvm</type><boot dev='hd'/></os>
  <features><acpi/><apic/><pae/></features>
  <clock offset='utc'/>
  <devices>
    <emulator>/usr/bin/kvm</emulator>
    <controller type='scsi' index='0' model='virtio-scsi'/>${disk("sda")}${disk("sdb")}
    <interface type='bridge'><mac address='52:54:00:${uuid.slice(0, 2)}:${uuid.slice(2, 4)}:${uuid.slice(4, 6)}'/><source bridge='vmbr${VNI}'/><model type='virtio'/></interface>
    <serial type='pty'><log file='/var/log/libvirt/${name}.log' append='on'/></serial>
    <console type='pty'/>
  </devices>
</domain>`;
}

/** `count` requests made by `at(i)`, from the worker client, `concurrency` in flight; fails unless all answer 200. */
async function measure(
  count: number,
  concurrency: number,
  at: (i: number) => LoadRequest,
): Promise<LoadResult> {
  const result = await load({ requests: Array.from({ length: count }, (_, i) => at(i)), concurrency });
  const bad = Object.keys(result.statuses).filter((s) => s !== "200");
  if (bad.length > 0) throw new Error(`answers other than 200: ${JSON.stringify(result.statuses)}`);
  return result;
}

async function main() {
  const connect = benchZkConnect();
  const root = uniqueRoot("bench-v1vm");
  const pvcRoot = `${root}/pvc`;
  const t = await startTestApp(
    testConfig(`${root}/store`, (c) => {
      c.reconciler.pvcRoot = pvcRoot;
      c.reconciler.logLevel = "warn";
      c.reconciler.controllerConcurrency = 16;
    }),
    { kindControllers: [vmController, nodeController] },
  );
  const zk = t.app.zk;
  const cluster = new HollowCluster({
    zk,
    nodes: parseNodeSpec("hv1:coordinator,hv2:coordinator,hv3:hypervisor"),
    root: pvcRoot,
  });
  await cluster.start();
  // The volumes and the network the VMs name, as PVC's keys show them (no Ceph in this bench).
  await zk.mkdirp(`${pvcRoot}/networks/${VNI}`);
  const names = Array.from({ length: VMS }, (_, i) => `bench${String(i).padStart(4, "0")}`);
  await runConcurrent(VMS * 2, 32, (i) =>
    zk.mkdirp(`${pvcRoot}/ceph/volumes/${POOL}/${names[i >> 1]}_${i % 2 ? "sdb" : "sda"}`),
  );
  await runConcurrent(100, 8, (i) =>
    zk.mkdirp(`${pvcRoot}/ceph/volumes/${POOL}/post${i >> 1}_${i % 2 ? "sdb" : "sda"}`),
  );

  console.log(`v1-vm: ${VMS} VMs, ZooKeeper at ${connect}`);
  const seeded = performance.now();
  await runConcurrent(VMS, 16, (i) =>
    t.app.store.create({
      apiVersion: "pvc.parallelvirtualcluster.org/v1",
      kind: "VirtualMachine",
      metadata: { name: names[i] },
      spec: { xml: domainXml(names[i], randomUUID()), runState: "stop" },
    }),
  );
  const informer = t.app.informers.get("VirtualMachine");
  const defined = () =>
    names.every((n) =>
      informer?.get(n)?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    );
  while (!defined()) await new Promise((r) => setTimeout(r, 100));
  console.log(`  ${VMS} VMs defined and Ready in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);

  const base = await startBaseline(connect, pvcRoot);
  const ours = `${t.app.url}/api/v1`;

  // Requests as PVC's CLI (python-requests) sends them: Accept-Encoding gzip, deflate. The plain
  // (identity) list is measured too: a client that does not ask for gzip gets 2.4 MB a request.
  const cli = { "accept-encoding": "gzip, deflate" };
  const baseList = await measure(3, 1, () => ({ url: `${base.url}/vm`, headers: cli }));
  await measure(50, 4, () => ({ url: `${ours}/vm`, headers: cli })); // warm-up (the gzip is made)
  await measure(20, 4, () => ({ url: `${ours}/vm` }));
  // Throughput with 4 requests in flight; latency one request at a time (no queueing in it).
  const ourList = await measure(500, 4, () => ({ url: `${ours}/vm`, headers: cli }));
  const ourListOne = await measure(200, 1, () => ({ url: `${ours}/vm`, headers: cli }));
  const plainList = await measure(300, 4, () => ({ url: `${ours}/vm` }));
  const plainListOne = await measure(100, 1, () => ({ url: `${ours}/vm` }));
  const listRatio = ourList.perSecond / baseList.perSecond;
  report("GET /vm requests/s (4 in flight)", baseList.perSecond, ourList.perSecond, "req/s", {
    text: "≥ 1000× baseline",
    met: listRatio >= 1000,
  });
  report("GET /vm p50 (ms)", baseList.p50, ourListOne.p50, "ms", {
    text: "≤ 10 ms",
    met: ourListOne.p50 <= 10,
  });
  report("GET /vm p99 (ms)", baseList.p99, ourListOne.p99, "ms");
  console.log(`  with 4 in flight: p50 ${ourList.p50.toFixed(2)} ms, p99 ${ourList.p99.toFixed(2)} ms`);
  report("GET /vm plain (no gzip) requests/s", baseList.perSecond, plainList.perSecond, "req/s");
  figure("GET /vm plain (no gzip) p50 (ms)", plainListOne.p50, "ms");

  const baseOne = await measure(3, 1, (i) => ({ url: `${base.url}/vm/${names[i * 7]}` }));
  const ourOne = await measure(1000, 1, (i) => ({ url: `${ours}/vm/${names[(i * 37) % VMS]}` }));
  report("GET /vm/<name> p50 (ms)", baseOne.p50, ourOne.p50, "ms", { text: "≤ 2 ms", met: ourOne.p50 <= 2 });

  const basePost = await measure(5, 1, (i) => ({
    url: `${base.url}/vm`,
    method: "POST",
    body: domainXml(`base${i}`, randomUUID()),
  }));
  const ourPost = await measure(50, 1, (i) => ({
    url: `${ours}/vm`,
    method: "POST",
    form: { xml: domainXml(`post${i}`, randomUUID()) },
  }));
  report("POST /vm p50 (ms, after convergence)", basePost.p50, ourPost.p50, "ms", {
    text: "≤ 30 ms",
    met: ourPost.p50 <= 30,
  });

  // The Node controller registers the hollow nodes' Node objects shortly after they start.
  let node = await fetch(`${ours}/node`);
  for (let i = 0; i < 50 && node.status === 404; i++) {
    await node.arrayBuffer();
    await new Promise((r) => setTimeout(r, 100));
    node = await fetch(`${ours}/node`);
  }
  await node.arrayBuffer();
  if (node.status === 404) console.log("GET /node: no nodes (or not served by this build)");
  else {
    const nodeP50 = (await measure(1000, 1, () => ({ url: `${ours}/node` }))).p50;
    figure("GET /node p50 (ms)", nodeP50, "ms", { text: "≤ 1 ms", met: nodeP50 <= 1 });
  }
  printResult(
    "v1-vm",
    `/api/v1/vm at ${VMS} VMs (and /node) against PVC v0.6's way of reading ZooKeeper per request`,
  );

  await base.close();
  await cluster.stop();
  await t.app.close();
  await removeRoot(root);
}

await main();
