/**
 * A one-node Ceph cluster (mon `a`, mgr `x`, bluestore OSD `0` on a sparse file) whose config, data,
 * sockets and logs all live in the state dir. The settings and their reasons are measured facts
 * (docs/local-ceph-zookeeper-facts.md): each line below changed start-up time or health.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { adminSocketCommand } from "./admin-socket.ts";
import type { Daemon } from "./process.ts";
import { runStep, settleAll, spawnDaemon, stepFailed, waitFor } from "./process.ts";
import type { CephAuth, StackSettings } from "./settings.ts";
import type { StackPaths } from "./state.ts";
import { logFile } from "./state.ts";

/**
 * mgr modules that are not always-on. Loading none of them saves about 150 MB and 1–2 s; disabling an
 * always-on module (balancer, crash, devicehealth, orchestrator, pg_autoscaler, progress, rbd_support,
 * status, telemetry, volumes) would raise MGR_MODULE_ERROR instead.
 */
const OPTIONAL_MGR_MODULES = [
  "alerts",
  "cephadm",
  "cli_api",
  "dashboard",
  "diskprediction_local",
  "hello",
  "influx",
  "insights",
  "iostat",
  "k8sevents",
  "localpool",
  "mds_autoscaler",
  "mirroring",
  "nfs",
  "osd_perf_query",
  "osd_support",
  "prometheus",
  "restful",
  "rook",
  "selftest",
  "snap_schedule",
  "stats",
  "telegraf",
  "test_orchestrator",
  "zabbix",
];

export interface CephConfInput {
  fsid: string;
  settings: StackSettings;
  paths: StackPaths;
}

export function renderCephConf({ fsid, settings: s, paths: p }: CephConfInput): string {
  const auth = s.cephAuth;
  // The daemons' admin sockets, in the state dir. In the daemons' sections only: set in [global],
  // every ceph/rbd CLI run binds `ceph-client.admin.asok` too (clients have none by default), and
  // concurrent runs collide on it and log `bind_and_listen: ... (17) File exists` as the first line
  // of stderr, which then led their error messages.
  const daemonSocket = `admin socket = ${p.run}/$cluster-$name.asok`;
  const lines = [
    "# Written by pvcctl stack up. A throwaway one-node cluster; see local-ceph-zookeeper-facts.md.",
    "[global]",
    `fsid = ${fsid}`,
    `mon host = [v2:127.0.0.1:${s.monV2Port},v1:127.0.0.1:${s.monPort}]`,
    "public addr = 127.0.0.1",
    "cluster addr = 127.0.0.1",
    "ms bind ipv6 = false",
    `ms bind port min = ${s.msPortMin}`,
    `ms bind port max = ${s.msPortMax}`,
    `auth cluster required = ${auth}`,
    `auth service required = ${auth}`,
    `auth client required = ${auth}`,
    ...(auth === "cephx" ? [`keyring = ${p.keyring}`] : []),
    // Nothing outside the state dir: sockets, pid files, crash dumps, the cluster log.
    `run dir = ${p.run}`,
    `pid file = ${p.run}/$name.pid`,
    `crash dir = ${p.ceph}/crash`,
    `mon cluster log file = ${p.logs}/cluster.log`,
    // One OSD: size 1, no host-level failure domain, fixed small PG counts, no autoscaler surprises.
    "osd pool default size = 1",
    "osd pool default min size = 1",
    "osd crush chooseleaf type = 0",
    "osd pool default pg num = 8",
    "osd pool default pgp num = 8",
    "osd pool default pg autoscale mode = off",
    "mon max pg per osd = 1000",
    "mon allow pool delete = true",
    "mon allow pool size one = true",
    "mon warn on pool no redundancy = false",
    // Without these HEALTH_WARN "mon is allowing insecure global_id reclaim", even with auth none.
    "mon warn on insecure global id reclaim = false",
    "mon warn on insecure global id reclaim allowed = false",
    "auth allow insecure global id reclaim = false",
    // Shared test machines run with little free disk; the 30 % default would warn.
    "mon data avail warn = 2",
    "mon data avail crit = 1",
    // Map changes in ~0.4 s instead of ~1 s; `rbd pool init` 0.2 s instead of 3 s.
    "paxos propose interval = 0.05",
    "paxos min wait = 0.01",
    // The only OSD has no peers to report it down: let the mon notice a dead one in ~21 s, never mark it out.
    "mon osd report timeout = 20",
    "osd beacon report interval = 5",
    "mon osd down out interval = 0",
    "mon warn on osd down out interval zero = false",
    // Read by the mon (hence [global]); only always-on modules plus status.
    "mgr initial modules = status",
    `mgr disabled modules = ${OPTIONAL_MGR_MODULES.join(" ")}`,
    "mgr stats period = 1",
    "",
    "[mon]",
    `mon data = ${p.ceph}/mon/$cluster-$id`,
    daemonSocket,
    `log file = ${p.logs}/mon.log`,
    ...(auth === "cephx" ? ["keyring = $mon_data/keyring"] : []),
    "",
    "[mgr]",
    `mgr data = ${p.ceph}/mgr/$cluster-$id`,
    daemonSocket,
    `log file = ${p.logs}/mgr.log`,
    ...(auth === "cephx" ? ["keyring = $mgr_data/keyring"] : []),
    "",
    "[osd]",
    `osd data = ${p.ceph}/osd/$cluster-$id`,
    daemonSocket,
    `log file = ${p.logs}/osd.log`,
    ...(auth === "cephx" ? ["keyring = $osd_data/keyring"] : []),
    "osd objectstore = bluestore",
    "bluestore block create = true",
    `bluestore block size = ${s.osdSize}`,
    // fsck on mkfs costs a second and checks a file we just created.
    "bluestore fsck on mkfs = false",
    "bluestore cache autotune = false",
    "bluestore cache size = 128M",
    "",
  ];
  return lines.join("\n");
}

export interface CephContext {
  paths: StackPaths;
  settings: StackSettings;
}

const SETUP_LOG = "setup";

/** The `ceph` CLI against this stack; --connect-timeout so a dead mon fails the step instead of hanging. */
export function ceph(ctx: CephContext, step: string, args: string[], timeoutMs = 20_000): Promise<string> {
  return runStep(step, "ceph", ["--conf", ctx.paths.cephConf, "--connect-timeout", "15", ...args], {
    log: logFile(ctx.paths, SETUP_LOG),
    timeoutMs,
  });
}

function daemonArgs(ctx: CephContext, id: string): string[] {
  // -f: stay in the foreground (we detach it ourselves and record the real PID), log to the log file.
  return ["-f", "--conf", ctx.paths.cephConf, "-i", id];
}

export function writeCephConfig(ctx: CephContext, fsid: string): void {
  const p = ctx.paths;
  for (const d of [p.monData, p.mgrData, p.osdData, join(p.ceph, "crash")]) mkdirSync(d, { recursive: true });
  writeFileSync(p.cephConf, renderCephConf({ fsid, settings: ctx.settings, paths: p }));
}

const ALL = "allow *";
const ADMIN_CAPS = ["--cap", "mon", ALL, "--cap", "osd", ALL, "--cap", "mgr", ALL, "--cap", "mds", ALL];
const MGR_CAPS = ["mon", "allow profile mgr", "osd", ALL, "mds", ALL];

/** cephx only: the admin keyring (mon. + client.admin) and the OSD's key, made before anything starts. */
async function createKeyrings(ctx: CephContext): Promise<string | undefined> {
  if (ctx.settings.cephAuth !== ("cephx" satisfies CephAuth)) return undefined;
  const log = logFile(ctx.paths, SETUP_LOG);
  const k = ctx.paths.keyring;
  await runStep(
    "keyring",
    "ceph-authtool",
    ["--create-keyring", k, "--gen-key", "-n", "mon.", "--cap", "mon", ALL],
    {
      log,
    },
  );
  await runStep("keyring", "ceph-authtool", [k, "--gen-key", "-n", "client.admin", ...ADMIN_CAPS], { log });
  const osdKey = await runStep("keyring", "ceph-authtool", ["--gen-print-key"], { log });
  writeFileSync(join(ctx.paths.osdData, "keyring"), `[osd.0]\n\tkey = ${osdKey}\n`, { mode: 0o600 });
  return osdKey;
}

/**
 * Creates and starts the cluster. The OSD's mkfs needs only the monmap and the OSD's uuid, so it
 * runs while the mon starts and the mgr loads; `ceph osd new` then claims id 0 for that uuid.
 * `onSpawn` records each daemon at once so that a failure anywhere can stop it.
 */
export async function bootstrapCeph(
  ctx: CephContext,
  fsid: string,
  osdUuid: string,
  onSpawn: (name: CephDaemon, d: Daemon) => void,
  check: () => void,
): Promise<void> {
  const p = ctx.paths;
  const s = ctx.settings;
  const osdKey = await createKeyrings(ctx);
  const monAddrs = `[v2:127.0.0.1:${s.monV2Port},v1:127.0.0.1:${s.monPort}]`;
  await runStep("monmap", "monmaptool", ["--create", "--fsid", fsid, "--addv", "a", monAddrs, p.monmap], {
    log: logFile(p, SETUP_LOG),
  });

  const monThenMgr = async () => {
    const keyring = s.cephAuth === "cephx" ? ["--keyring", p.keyring] : [];
    const mkfs = ["--conf", p.cephConf, "--mkfs", "-i", "a", "--monmap", p.monmap, ...keyring];
    await runStep("mon mkfs", "ceph-mon", mkfs, { log: logFile(p, "mon") });
    onSpawn("mon", await startMon(ctx));
    // The socket answers within ~0.3 s; the CLI's own connect retries back off for longer.
    await waitCephDaemons(ctx, ["mon"], check);
    // Before the mgr starts, or it creates the device_health_metrics pool. The mon does not know the
    // option until a mgr registers it, hence --force; in ceph.conf it would be ignored.
    await ceph(ctx, "mgr config", [
      "config",
      "set",
      "mgr",
      "mgr/devicehealth/enable_monitoring",
      "false",
      "--force",
    ]);
    if (s.cephAuth === "cephx") {
      await ceph(ctx, "mgr keyring", [
        "auth",
        "get-or-create",
        "mgr.x",
        ...MGR_CAPS,
        "-o",
        join(p.mgrData, "keyring"),
      ]);
    }
    onSpawn("mgr", await startMgr(ctx));
    const newArgs = ["osd", "new", osdUuid];
    if (osdKey) {
      const secrets = join(p.osdData, "secrets.json");
      writeFileSync(secrets, JSON.stringify({ cephx_secret: osdKey }), { mode: 0o600 });
      newArgs.push("-i", secrets);
    }
    const id = await ceph(ctx, "osd new", newArgs);
    if (id !== "0")
      throw stepFailed("osd new", `expected id 0 on a new cluster, got "${id}"`, logFile(p, SETUP_LOG));
  };

  const osdMkfs = () =>
    runStep(
      "osd mkfs",
      "ceph-osd",
      // --no-mon-config: the mkfs needs nothing from the mon, and with cephx it could not log in
      // yet anyway (`osd new` registers its key only later, in the other branch).
      [
        "--conf",
        p.cephConf,
        "-i",
        "0",
        "--mkfs",
        "--osd-uuid",
        osdUuid,
        "--monmap",
        p.monmap,
        "--no-mon-config",
      ],
      {
        log: logFile(p, "osd"),
        timeoutMs: 60_000,
      },
    );

  // allSettled, not all: a failed mkfs must not return while the other branch may still spawn daemons.
  await settleAll([monThenMgr(), osdMkfs()]);
  onSpawn("osd", await startOsd(ctx));
}

export function startMon(ctx: CephContext): Promise<Daemon> {
  return spawnDaemon({
    command: "ceph-mon",
    args: daemonArgs(ctx, "a"),
    log: logFile(ctx.paths, "mon"),
    cwd: ctx.paths.run,
  });
}

export function startMgr(ctx: CephContext): Promise<Daemon> {
  return spawnDaemon({
    command: "ceph-mgr",
    args: daemonArgs(ctx, "x"),
    log: logFile(ctx.paths, "mgr"),
    cwd: ctx.paths.run,
  });
}

export function startOsd(ctx: CephContext): Promise<Daemon> {
  return spawnDaemon({
    command: "ceph-osd",
    args: daemonArgs(ctx, "0"),
    log: logFile(ctx.paths, "osd"),
    cwd: ctx.paths.run,
  });
}

export interface CephReadiness {
  health: string;
  osdsUp: number;
  osdsIn: number;
  mgrAvailable: boolean;
  /** The health checks that are not OK, e.g. `OSDMAP_FLAGS: noout flag(s) set`. */
  checks: string[];
}

/** Reads the parts of `ceph status --format json` that say whether the cluster is usable. */
export function parseCephStatus(json: string): CephReadiness {
  const st = JSON.parse(json) as {
    health?: { status?: string; checks?: Record<string, { summary?: { message?: string } }> };
    osdmap?: {
      num_up_osds?: number;
      num_in_osds?: number;
      osdmap?: { num_up_osds?: number; num_in_osds?: number };
    };
    mgrmap?: { available?: boolean };
  };
  // Pacific flattens osdmap; older releases nest it one level deeper.
  const osdmap = st.osdmap?.osdmap ?? st.osdmap ?? {};
  return {
    health: st.health?.status ?? "UNKNOWN",
    osdsUp: osdmap.num_up_osds ?? 0,
    osdsIn: osdmap.num_in_osds ?? 0,
    mgrAvailable: st.mgrmap?.available === true,
    checks: Object.entries(st.health?.checks ?? {}).map(([name, c]) =>
      c?.summary?.message ? `${name}: ${c.summary.message}` : name,
    ),
  };
}

/**
 * The daemons are there to be used: an OSD up and in, and an active mgr (without it `ceph df`,
 * `osd df` and `pg stat` hang or lie). What `stack up` requires; not finding it is a start error.
 */
export function isCephUsable(r: CephReadiness): boolean {
  return r.osdsUp >= 1 && r.osdsIn >= 1 && r.mgrAvailable;
}

/**
 * How long a usable cluster gets to say HEALTH_OK before `stack up` takes it as it is. A fresh or
 * healthy cluster is OK the moment it is usable (measured: the same poll); this covers placement
 * groups still peering after a restart.
 */
export const HEALTH_GRACE_MS = 10_000;

/**
 * What `stack up` does with one reading of `ceph status`, given how long the cluster has been
 * usable: wait; go on (HEALTH_OK); or go on and report it (a health that is not OK is the
 * cluster's state, e.g. a pool with more copies than OSDs or the `noout` flag, not a start error:
 * a one-node cluster keeps running with it, and so does the stack).
 */
export function judgeCephStart(
  r: CephReadiness | undefined,
  usableForMs: number,
): "wait" | "ok" | "unhealthy" {
  if (!r || !isCephUsable(r)) return "wait";
  if (r.health === "HEALTH_OK") return "ok";
  return usableForMs >= HEALTH_GRACE_MS ? "unhealthy" : "wait";
}

/** One line for `stack up`'s progress: `HEALTH_OK`, or the status and what is not OK. */
export function cephHealthLine(r: CephReadiness): string {
  if (r.health === "HEALTH_OK") return "HEALTH_OK";
  const what = r.checks.length > 0 ? r.checks.join("; ") : "no health check named";
  return `${r.health} (started anyway; \`ceph health detail\` says more): ${what}`;
}

/**
 * Waits until the cluster is usable (OSD up+in, mgr active), then up to HEALTH_GRACE_MS more for
 * HEALTH_OK; returns the last reading, whose health the caller prints. `check` fails fast when a
 * daemon dies; not usable within 60 s fails, naming the log of the daemon that is missing.
 */
export async function waitCephReady(ctx: CephContext, check: () => void): Promise<CephReadiness> {
  let last: CephReadiness | undefined;
  let usableSince: number | undefined;
  try {
    return await waitFor("ceph health", { timeoutMs: 60_000, check, intervalMs: 200 }, async () => {
      const out = await ceph(ctx, "ceph status", ["status", "--format", "json"], 15_000);
      last = parseCephStatus(out);
      if (isCephUsable(last)) usableSince ??= performance.now();
      else usableSince = undefined;
      const verdict = judgeCephStart(last, usableSince === undefined ? 0 : performance.now() - usableSince);
      return verdict === "wait" ? undefined : last;
    });
  } catch (err) {
    if (last && err instanceof Error && /not ready/.test(err.message)) {
      const which = !last.mgrAvailable ? "mgr" : last.osdsUp < 1 ? "osd" : "mon";
      throw stepFailed(
        "ceph health",
        `${last.health}, osds up ${last.osdsUp} in ${last.osdsIn}, mgr ${last.mgrAvailable ? "available" : "not available"}`,
        logFile(ctx.paths, which),
        err,
      );
    }
    throw err;
  }
}

export type CephDaemon = "mon" | "mgr" | "osd";

const SOCKET_PROBES = {
  mon: {
    id: "a",
    command: "mon_status",
    ready: (j: Record<string, unknown>) => j.state === "leader" || j.state === "peon",
  },
  mgr: { id: "x", command: "mgr_status", ready: (j: Record<string, unknown>) => j.initialized === true },
  osd: { id: "0", command: "status", ready: (j: Record<string, unknown>) => j.state === "active" },
} as const;

/** Asks a daemon itself, through its admin socket, whether it has joined the cluster. */
export async function daemonSaysReady(paths: StackPaths, daemon: CephDaemon): Promise<boolean> {
  const probe = SOCKET_PROBES[daemon];
  const reply = await adminSocketCommand(join(paths.run, `ceph-${daemon}.${probe.id}.asok`), probe.command);
  return reply !== null && probe.ready(reply);
}

/**
 * Waits until each daemon says, through its admin socket, that it has joined the cluster. Cheap
 * enough to poll every 100 ms. Also needed after a restart: the mon keeps reporting the old OSD up
 * and the old mgr available for a while (up to 30 s), so `ceph status` alone would be fooled.
 */
export async function waitCephDaemons(
  ctx: CephContext,
  daemons: CephDaemon[],
  check: () => void,
): Promise<void> {
  await Promise.all(
    daemons.map((daemon) =>
      waitFor(`${daemon} start`, { timeoutMs: 60_000, log: logFile(ctx.paths, daemon), check }, async () =>
        (await daemonSaysReady(ctx.paths, daemon)) ? true : undefined,
      ),
    ),
  );
}
