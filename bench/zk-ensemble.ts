/**
 * bench/zk-ensemble: what an ensemble of 3 ZooKeeper servers costs and buys, against the single
 * server measured in the same run.
 * - writes/s: creates of 200-byte znodes, 32 in flight, on the single server (baseline) and on the
 *   ensemble (ours: every write is agreed by a quorum, so it costs more); alternating rounds, medians.
 * - leader-kill failover: one client writes one set at a time; the leader is killed with SIGKILL;
 *   the time from the kill to the first write answered after it, and whether the client kept its
 *   session (it must: PVC's coordinators lose nothing but an election). The killed server is then
 *   brought back by `pvcctl stack up` and the time until it serves again is shown.
 *
 *   npx pvcctl stack up --dir /tmp/ens --zk-ensemble 3 --zk-port P ... (its own ports)
 *   eval "$(npx pvcctl stack up)"
 *   PVC_BENCH_ENSEMBLE_DIR=/tmp/ens npx tsx bench/zk-ensemble.ts [writes] [kills]
 * (`npm run bench` does all of this on a fresh stack of its own.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parsePidfile } from "../src/stack/state.ts";
import { fourLetterWord, zkRole } from "../src/stack/zookeeper.ts";
import { ZkClient } from "../src/zk/client.ts";
import {
  alternatingRounds,
  benchZkConnect,
  figure,
  median,
  perSecond,
  printResult,
  report,
  runConcurrent,
} from "./lib.ts";

const WRITES = Number(process.argv[2] ?? 3000);
const KILLS = Number(process.argv[3] ?? 3);
const IN_FLIGHT = 32;
const ROUNDS = 3;
const SESSION_TIMEOUT_MS = 10_000;
const PVCCTL = fileURLToPath(new URL("../bin/pvcctl.js", import.meta.url));

function pvcctl(...args: string[]) {
  return execa(process.execPath, [PVCCTL, ...args], { reject: false, stdin: "ignore", timeout: 180_000 });
}

async function ensembleConnect(dir: string): Promise<string> {
  const env = await pvcctl("stack", "env", "--dir", dir);
  const connect = /^export PVC_ZK_CONNECT=(.*)$/m.exec(env.stdout)?.[1];
  if (env.exitCode !== 0 || !connect || connect.split(",").length < 3)
    throw new Error(`no ensemble of 3 runs in ${dir}: ${env.stdout}${env.stderr}`);
  return connect;
}

const ports = (connect: string) => connect.split(",").map((hp) => Number(hp.split(":")[1]));

async function roles(connect: string): Promise<Array<string | null>> {
  return Promise.all(ports(connect).map(async (p) => zkRole(await fourLetterWord(p, "srvr"))));
}

async function until(what: string, cond: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Writes/s of each side, alternating rounds; each round creates WRITES new znodes. */
async function writesPerSecond(single: ZkClient, ensemble: ZkClient, root: string) {
  const clients = { single, ensemble };
  const payload = "x".repeat(200);
  for (const side of ["single", "ensemble"] as const) await clients[side].mkdirp(`${root}/${side}`);
  return alternatingRounds(
    ["single", "ensemble"] as const,
    ROUNDS,
    async (side, round) => {
      const dir = `${root}/${side}/r${round + 1}`;
      await clients[side].mkdirp(dir);
      const ms = await runConcurrent(WRITES, IN_FLIGHT, (i) => clients[side].create(`${dir}/n${i}`, payload));
      return perSecond(WRITES, ms);
    },
    1,
  );
}

interface Failover {
  ms: number;
  sameSession: boolean;
  failedWrites: number;
  backMs: number;
}

/** Kills the leader while a client writes one set at a time; brings the server back. */
async function killLeader(dir: string, connect: string, path: string): Promise<Failover> {
  const zk = await ZkClient.connect({ connectString: connect, sessionTimeoutMs: SESSION_TIMEOUT_MS });
  try {
    await zk.create(path, "0", { mode: "ephemeral" });
    const session = zk.sessionId;
    const leader = (await roles(connect)).indexOf("leader") + 1;
    if (leader === 0) throw new Error("no leader in the ensemble");
    const pid = Number(parsePidfile(readFileSync(join(dir, "pids", `zookeeper${leader}.pid`), "utf8"))?.pid);
    let killedAt = 0;
    let firstAfter = 0;
    let failedWrites = 0;
    const writer = (async () => {
      for (let i = 1; firstAfter === 0; i++) {
        const sent = performance.now();
        try {
          await zk.set(path, String(i));
          if (killedAt > 0 && sent >= killedAt) firstAfter = performance.now();
        } catch {
          failedWrites++;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    killedAt = performance.now();
    process.kill(pid, "SIGKILL");
    await writer;
    const sameSession = zk.sessionId === session && (await zk.exists(path))?.ephemeralOwner === session;
    const backStarted = performance.now();
    const up = await pvcctl("stack", "up", "--dir", dir, "--no-install");
    if (up.exitCode !== 0) throw new Error(`stack up could not bring zookeeper${leader} back: ${up.stderr}`);
    await until(
      "the killed server to serve",
      async () => (await roles(connect))[leader - 1] !== null,
      60_000,
    );
    return { ms: firstAfter - killedAt, sameSession, failedWrites, backMs: performance.now() - backStarted };
  } finally {
    await zk.delete(path).catch(() => undefined);
    zk.close();
  }
}

async function main() {
  const dir = process.env.PVC_BENCH_ENSEMBLE_DIR;
  if (!dir) {
    console.error("PVC_BENCH_ENSEMBLE_DIR is not set: the state dir of a stack started with --zk-ensemble 3");
    process.exit(2);
  }
  const singleConnect = benchZkConnect();
  const connect = await ensembleConnect(dir);
  console.log(
    `zk-ensemble: ${WRITES} creates per round, ${IN_FLIGHT} in flight; single ${singleConnect}, ensemble ${connect}`,
  );
  const root = `/bench-zk-ensemble-${process.pid}`;
  const single = await ZkClient.connect({ connectString: singleConnect });
  const ensemble = await ZkClient.connect({ connectString: connect });
  try {
    const rates = await writesPerSecond(single, ensemble, root);
    console.log(
      `  writes/s by round: single ${rates.single.join(", ")}; ensemble ${rates.ensemble.join(", ")}`,
    );
    report("creates/s, 32 in flight (median)", median(rates.single), median(rates.ensemble), "ops/s");

    const kills: Failover[] = [];
    for (let k = 0; k < KILLS; k++) {
      const f = await killLeader(dir, connect, `${root}-kill${k}`);
      kills.push(f);
      console.log(
        `  kill ${k + 1}: writes resumed after ${f.ms.toFixed(0)} ms (${f.failedWrites} failed meanwhile), session kept: ${f.sameSession}; server back in ${(f.backMs / 1000).toFixed(1)} s`,
      );
    }
    const worst = Math.max(...kills.map((f) => f.ms));
    const kept = kills.every((f) => f.sameSession);
    figure("leader killed → writes resume, median (ms)", median(kills.map((f) => f.ms)), "ms");
    figure("leader killed → writes resume, max (ms)", worst, "ms", {
      text: `session kept, ≤ the ${SESSION_TIMEOUT_MS / 1000} s session timeout`,
      met: kept && worst <= SESSION_TIMEOUT_MS,
    });
  } finally {
    await ensemble.deleteRecursive(root).catch(() => undefined);
    await single.deleteRecursive(root).catch(() => undefined);
    single.close();
    ensemble.close();
  }
  printResult(
    "zk-ensemble",
    "ZooKeeper: a 3-server ensemble against the single server (writes/s, leader-kill failover)",
  );
}

await main();
