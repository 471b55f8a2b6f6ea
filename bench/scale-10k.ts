/**
 * bench/scale-10k: 10,000 resources in steady state (issue 16), measured from outside. One
 * `pvcctl serve` child process (resync every RESYNC s) on the stack; the resources are a mix in
 * proportion (by default 70% Networks, 20% CephVolumes in one CephPool, 10% VirtualMachines defined from
 * libvirt XML, each on one of those volumes and one of those networks, started on hv1-hv3).
 *  1. `pvcctl apply -f DIR --wait` of every document → all Ready (wall time of the command);
 *  2. the server settles (two resync periods), then 10 resync cycles of steady state: the
 *     server's ZooKeeper writes (its own /metrics, per operation; the stack's zxid delta, which
 *     also counts the hollow nodes' keepalives, for reference), its CPU (utime + stime from
 *     /proc/<pid>/stat) and RSS (/proc/<pid>/status, sampled every second);
 *  3. API latency at that size, one request at a time: list and element GETs on /api/v1 and
 *     /apis; the baseline is GET /healthz (the HTTP floor of the same server);
 *  4. drift: an out-of-band edit of a network's key until the controller wrote it back, p50/p99,
 *     while another client keeps GETting elements (the load).
 * Goals (issue 16): 0 writes, CPU ≤ 2% of a core, RSS ≤ 200 MiB in steady state; apply → all
 * Ready ≤ 15 s. Run it on a fresh stack with room for the keys (it leaves its objects; `stack
 * down --purge` removes them):
 *
 *   PVC_STACK_ZK_HEAP=1g npx pvcctl stack up --dir /tmp/s && eval "$(npx pvcctl stack env --dir /tmp/s)"
 *   npx tsx bench/scale-10k.ts [total] [resync-seconds] [networks%,volumes%,vms%]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fourLetterWord } from "../src/stack/zookeeper.ts";
import { ZkClient } from "../src/zk/client.ts";
import { benchZkConnect, keepFigure, percentile, printResult } from "./lib.ts";

const TOTAL = Number(process.argv[2] ?? 10_000);
const RESYNC_S = Number(process.argv[3] ?? 10);
const CYCLES = 10;
const BIN = new URL("../bin/pvcctl.js", import.meta.url).pathname;
const API = "pvc.parallelvirtualcluster.org/v1";
const APIS = `/apis/${API}`;
const VNI0 = 20_000;

/** Shares in percent, networks,volumes,vms: every volume costs two rbd processes to create. */
const SHARES = (process.argv[4] ?? "70,20,10").split(",").map(Number);
if (SHARES.length !== 3 || SHARES.some((n) => !(n >= 0)) || SHARES[0] === 0 || SHARES[2] > SHARES[1])
  throw new Error(`mix: networks,volumes,vms in percent, vms ≤ volumes, got "${process.argv[4]}"`);
const mix = {
  networks: Math.round((TOTAL * SHARES[0]) / 100),
  volumes: Math.round((TOTAL * SHARES[1]) / 100),
  vms: Math.round((TOTAL * SHARES[2]) / 100),
};

function networkDoc(i: number): string {
  const o = `${i >> 8}.${i & 255}`;
  return `apiVersion: ${API}\nkind: Network\nmetadata:\n  name: net-${i}\nspec:\n  vni: ${VNI0 + i}\n  description: net-${i}\n  type: managed\n  domain: n${i}.example.org\n  ipv4:\n    network: 10.${o}.0/24\n    gateway: 10.${o}.1\n`;
}

function volumeDoc(i: number): string {
  return `apiVersion: ${API}\nkind: CephVolume\nmetadata:\n  name: scale.vol-${i}\nspec:\n  pool: scale\n  size: 1G\n`;
}

function vmDoc(i: number): string {
  const uuid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
  const mac = `52:54:00:${((i >> 16) & 255).toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
  const xml = [
    "<domain type='kvm'>",
    `  <name>vm-${i}</name>`,
    `  <uuid>${uuid}</uuid>`,
    "  <memory unit='MiB'>256</memory>",
    "  <vcpu>1</vcpu>",
    "  <os><type arch='x86_64'>hvm</type></os>",
    "  <devices>",
    "    <disk type='network' device='disk'>",
    "      <target dev='sda' bus='scsi'/>",
    `      <source protocol='rbd' name='scale/vol-${i}'/>`,
    "    </disk>",
    "    <interface type='bridge'>",
    `      <mac address='${mac}'/>`,
    `      <source bridge='vmbr${VNI0 + (i % mix.networks)}'/>`,
    "    </interface>",
    "  </devices>",
    "</domain>",
  ];
  return `apiVersion: ${API}\nkind: VirtualMachine\nmetadata:\n  name: vm-${i}\nspec:\n  node: hv${1 + (i % 3)}\n  runState: start\n  xml: |\n${xml.map((l) => `    ${l}`).join("\n")}\n`;
}

async function writeManifests(dir: string): Promise<void> {
  // The pool is adopted: a run's pool outlives its store root (and so its object) on the stack.
  const docs = (n: number, doc: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => doc(i)).join("---\n");
  await writeFile(
    join(dir, "pool.yaml"),
    `apiVersion: ${API}\nkind: CephPool\nmetadata:\n  name: scale\n  annotations:\n    pvc.parallelvirtualcluster.org/adopt: "true"\nspec:\n  pgs: 32\n  replication:\n    copies: 1\n    minCopies: 1\n`,
  );
  await writeFile(join(dir, "networks.yaml"), docs(mix.networks, networkDoc));
  await writeFile(join(dir, "volumes.yaml"), docs(mix.volumes, volumeDoc));
  await writeFile(join(dir, "vms.yaml"), docs(mix.vms, vmDoc));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** The process's CPU seconds so far (utime + stime; USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** The server's successful ZooKeeper writes so far, per operation, from its /metrics. */
async function zkWrites(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  const re = /^pvc_zookeeper_call_duration_seconds_count\{op="([^"]+)",result="ok"\} (\d+)/gm;
  for (const m of text.matchAll(re)) {
    if (/^(create|set|setData|delete|multi|transaction)/i.test(m[1])) out.set(m[1], Number(m[2]));
  }
  return out;
}

async function zxid(connect: string): Promise<number> {
  const port = Number(connect.split(",")[0].split(":")[1]);
  const m = /^Zxid: (0x[0-9a-f]+)$/m.exec((await fourLetterWord(port, "srvr")) ?? "");
  return m ? Number(BigInt(m[1]) & 0xffffffffn) : Number.NaN;
}

/** ms per GET of each path, one at a time, sorted. */
async function timeGets(url: string, paths: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const path of paths) {
    const t = performance.now();
    const res = await fetch(`${url}${path}`);
    await res.arrayBuffer();
    out.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  }
  return out.sort((a, b) => a - b);
}

/** Sets `path` to a wrong value and resolves with the ms until its value is `good` again. */
async function timeRepair(editor: ZkClient, path: string, good: string): Promise<number> {
  const started = performance.now();
  let done = false;
  const repaired = new Promise<number>((resolve, reject) => {
    const look = (): void => {
      if (done) return;
      editor.get(path, { watch: () => look() }).then((r) => {
        if (r.data === good && !done) {
          done = true;
          resolve(performance.now() - started);
        }
      }, reject);
    };
    setImmediate(look);
  });
  await editor.set(path, "drifted");
  return repaired;
}

const rows: string[][] = [];
function row(
  what: string,
  measured: string,
  goal = "",
  met?: boolean,
  value?: { n: number; unit: string },
): void {
  rows.push([what, measured, goal, met === undefined ? "" : met ? "met" : "NOT met"]);
  if (value) {
    const held = met === undefined ? {} : { goal: { text: goal, met } };
    keepFigure({ what, ours: value.n, unit: value.unit, ...held });
  }
}
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
/** Progress on stderr: the table comes at the end, and a run at 10,000 takes minutes. */
const step = (what: string) => console.error(`scale-10k: ${new Date().toISOString().slice(11, 19)} ${what}`);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

async function startServer(dir: string, connect: string): Promise<{ proc: ChildProcess; url: string }> {
  const port = await freePort();
  const config = join(dir, "pvc-api.yaml");
  await writeFile(
    config,
    [
      "pvc:",
      "  debug: false",
      `  coordinators: [${JSON.stringify(connect)}]`,
      "  api:",
      "    listen_address: 127.0.0.1",
      `    listen_port: ${port}`,
      "    authentication: { enabled: false, secret_key: '', tokens: [] }",
      "    ssl: { enabled: false, cert_file: '', key_file: '' }",
      "reconciler:",
      `  store_root: /bench-scale-${process.pid}`,
      `  ceph_conf: ${JSON.stringify(process.env.CEPH_CONF ?? "/etc/ceph/ceph.conf")}`,
      `  resync_period: ${RESYNC_S}`,
      "  log_level: warn",
      "",
    ].join("\n"),
  );
  // SCALE_SERVER_NODE_ARGS: Node's own flags for the server only (e.g. --cpu-prof, --heapsnapshot-signal=SIGUSR2).
  const nodeArgs = (process.env.SCALE_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const args = [...nodeArgs, BIN, "serve", "--config", config, "--log-format", "json"];
  const proc = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PVCCTL_CONFIG: "/nonexistent" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 600) throw new Error("serve not ready in 60 s");
    await sleep(100);
  }
  return { proc, url };
}

/** The running `pvcctl apply`, stopped with the server if the run fails. */
let applying: ChildProcess | undefined;

async function applyAll(dir: string, url: string): Promise<number> {
  const t = performance.now();
  const apply = spawn(
    process.execPath,
    [BIN, "apply", "-f", join(dir, "manifests"), "--wait", "--timeout", "30m", "--server", url],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PVCCTL_CONFIG: "/nonexistent" },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  applying = apply;
  const [code] = await once(apply, "close");
  applying = undefined;
  if (code !== 0) throw new Error(`pvcctl apply exited ${code}`);
  return (performance.now() - t) / 1000;
}

/** CYCLES resync periods of steady state: the server's writes, CPU and RSS. */
async function steadyState(pid: number, url: string, connect: string): Promise<void> {
  const writes0 = await zkWrites(url);
  const zxid0 = await zxid(connect);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const rss: number[] = [];
  while (performance.now() - t0 < CYCLES * RESYNC_S * 1000) {
    rss.push(rssMiB(pid));
    await sleep(1000);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = ((cpuSeconds(pid) - cpu0) / seconds) * 100;
  const writes1 = await zkWrites(url);
  const zxid1 = await zxid(connect);
  const perOp = [...writes1]
    .map(([op, n]) => [op, n - (writes0.get(op) ?? 0)] as const)
    .filter(([, n]) => n > 0);
  const total = perOp.reduce((s, [, n]) => s + n, 0);
  rss.sort((a, b) => a - b);
  const detail = perOp.length ? ` (${perOp.map(([op, n]) => `${op} ${n}`).join(", ")})` : "";
  row(
    `ZooKeeper writes, ${CYCLES} resyncs (${seconds.toFixed(0)} s)`,
    `${total}${detail}`,
    "0",
    total === 0,
    {
      n: total,
      unit: "multis",
    },
  );
  row("  stack zxid delta (all clients)", String(zxid1 - zxid0));
  row("server CPU, steady state", `${cpu.toFixed(2)} % of a core`, "≤ 2 %", cpu <= 2, {
    n: cpu,
    unit: "% of a core",
  });
  const rssMax = rss[rss.length - 1];
  row(
    "server RSS, steady state",
    `${rss[0].toFixed(0)}–${rssMax.toFixed(0)} MiB`,
    "≤ 200 MiB",
    rssMax <= 200,
    { n: rssMax, unit: "MiB" },
  );
}

async function apiLatency(url: string): Promise<void> {
  const n = 300;
  const pick = (i: number, of: number) => (i * 7919) % of;
  // Only the kinds the mix has: /api/v1 answers 404 for an empty list, as v0.6 does.
  const lists: Array<[string, string, number]> = [
    ["GET /api/v1/network", "/api/v1/network", mix.networks],
    ["GET /apis/…/networks", `${APIS}/networks`, mix.networks],
    ["GET /api/v1/vm", "/api/v1/vm", mix.vms],
    ["GET /apis/…/virtualmachines", `${APIS}/virtualmachines`, mix.vms],
  ];
  const elements: Array<[string, (i: number) => string, number]> = [
    ["GET /api/v1/network/<vni>", (i) => `/api/v1/network/${VNI0 + pick(i, mix.networks)}`, mix.networks],
    ["GET /apis/…/networks/<name>", (i) => `${APIS}/networks/net-${pick(i, mix.networks)}`, mix.networks],
    ["GET /api/v1/vm/<name>", (i) => `/api/v1/vm/vm-${pick(i, mix.vms)}`, mix.vms],
    [
      "GET /api/v1/storage/ceph/volume/<p>/<v>",
      (i) => `/api/v1/storage/ceph/volume/scale/vol-${pick(i, mix.volumes)}`,
      mix.volumes,
    ],
    [
      "GET /apis/…/cephvolumes/<name>",
      (i) => `${APIS}/cephvolumes/scale.vol-${pick(i, mix.volumes)}`,
      mix.volumes,
    ],
  ];
  await timeGets(url, Array(50).fill("/healthz")); // warm-up
  const floor = await timeGets(url, Array(n).fill("/healthz"));
  row("GET /healthz (the floor) p50 / p99", `${ms(percentile(floor, 50))} / ${ms(percentile(floor, 99))}`);
  for (const [what, path, count] of lists) {
    if (count === 0) continue;
    step(what);
    const t = await timeGets(url, Array(20).fill(path));
    row(`${what} p50 / p99`, `${ms(percentile(t, 50))} / ${ms(percentile(t, 99))}`);
  }
  for (const [what, path, count] of elements) {
    if (count === 0) continue;
    step(what);
    await timeGets(url, [path(n)]); // warm-up (an index built by its first use)
    const t = await timeGets(
      url,
      Array.from({ length: n }, (_, i) => path(i)),
    );
    const p50 = percentile(t, 50);
    row(`${what} p50 / p99`, `${ms(p50)} / ${ms(percentile(t, 99))}`, "p50 ≤ 2 ms", p50 <= 2, {
      n: p50,
      unit: "ms",
    });
  }
}

async function driftUnderLoad(url: string, connect: string): Promise<void> {
  const editor = await ZkClient.connect({ connectString: connect });
  let loading = true;
  let loadRequests = 0;
  const load = (async () => {
    for (let i = 0; loading; i++) {
      await (await fetch(`${url}${APIS}/networks/net-${(i * 7919) % mix.networks}`)).arrayBuffer();
      loadRequests++;
    }
  })();
  const repairs: number[] = [];
  for (let i = 0; i < 100; i++) {
    const path = `/networks/${VNI0 + ((i * 104_729) % mix.networks)}/ip4_gateway`;
    const good = (await editor.get(path)).data;
    repairs.push(await timeRepair(editor, path, good));
  }
  loading = false;
  await load;
  editor.close();
  repairs.sort((a, b) => a - b);
  const p99 = percentile(repairs, 99);
  row(
    `drift repair p50 / p99 (100, ${loadRequests} GETs beside)`,
    `${ms(percentile(repairs, 50))} / ${ms(p99)}`,
    "p99 ≤ 250 ms",
    p99 <= 250,
    { n: p99, unit: "ms" },
  );
}

async function main() {
  const connect = benchZkConnect();
  const dir = await mkdtemp(join(tmpdir(), "bench-scale-"));
  await mkdir(join(dir, "manifests"));
  await writeManifests(join(dir, "manifests"));
  const { proc, url } = await startServer(dir, connect);
  const pid = proc.pid as number;
  try {
    console.log(
      `scale-10k: ${TOTAL} resources (${mix.networks} Networks, ${mix.volumes} CephVolumes in 1 CephPool, ${mix.vms} VMs with XML), resync ${RESYNC_S} s, server pid ${pid}`,
    );
    const rssStart = rssMiB(pid);
    step("apply -f --wait");
    const applied = await applyAll(dir, url);
    row("pvcctl apply -f --wait → all Ready", `${applied.toFixed(1)} s`, "≤ 15 s", applied <= 15, {
      n: applied,
      unit: "s",
    });
    row("server RSS: started / after the apply", `${rssStart.toFixed(0)} / ${rssMiB(pid).toFixed(0)} MiB`);
    await sleep(2 * RESYNC_S * 1000); // settle: two resyncs and the garbage collector
    step(`steady state: ${CYCLES} resyncs`);
    await steadyState(pid, url, connect);
    step("API latency");
    await apiLatency(url);
    step("drift under load");
    await driftUnderLoad(url, connect);
    row("server RSS at the end", `${rssMiB(pid).toFixed(0)} MiB`);
  } finally {
    applying?.kill("SIGTERM");
    proc.kill("SIGTERM");
    await once(proc, "close");
    await rm(dir, { recursive: true, force: true });
    // Also when a step failed: the figures measured before it are not lost.
    printTable();
  }
  printResult("scale-10k", "N resources applied, then steady state: ZooKeeper writes, CPU, RSS, GETs, drift");
}

function printTable(): void {
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length), 4));
  for (const r of [["what", "measured", "goal", ""], ...rows])
    console.log(
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join("  ")
        .trimEnd(),
    );
  console.log(`load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
}

await main();
