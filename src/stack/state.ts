/**
 * The state directory: where everything of one stack lives (nothing goes to /etc or /var), its pid
 * files, stack.json and the shell env file. Liveness is read from /proc, because the daemons are not
 * our children once `stack up` has exited.
 */
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type ZkComponent, zkComponents, zkConnectString, zkServers } from "./ensemble.ts";
import type { StackSettings } from "./settings.ts";
import { checkStateDir } from "./settings.ts";

/** The components of a stack with one ZooKeeper; an ensemble has `zookeeper1`… instead (ensemble.ts). */
export const COMPONENTS = ["zookeeper", "mon", "mgr", "osd", "sim"] as const;
export type Component = (typeof COMPONENTS)[number] | ZkComponent;

export interface StackPaths {
  dir: string;
  logs: string;
  pids: string;
  run: string;
  ceph: string;
  cephConf: string;
  monmap: string;
  keyring: string;
  monData: string;
  mgrData: string;
  osdData: string;
  zk: string;
  zkData: string;
  zooCfg: string;
  env: string;
  stackJson: string;
  simReady: string;
  lock: string;
}

/** Ceph daemon ids are fixed: one mon `a`, one mgr `x`, one OSD `0`. */
export function stackPaths(dir: string): StackPaths {
  const ceph = join(dir, "ceph");
  const zk = join(dir, "zookeeper");
  return {
    dir,
    logs: join(dir, "logs"),
    pids: join(dir, "pids"),
    run: join(dir, "run"),
    ceph,
    cephConf: join(ceph, "ceph.conf"),
    monmap: join(ceph, "monmap"),
    keyring: join(ceph, "keyring"),
    monData: join(ceph, "mon", "ceph-a"),
    mgrData: join(ceph, "mgr", "ceph-x"),
    osdData: join(ceph, "osd", "ceph-0"),
    zk,
    zkData: join(zk, "data"),
    zooCfg: join(zk, "zoo.cfg"),
    env: join(dir, "env"),
    stackJson: join(dir, "stack.json"),
    simReady: join(dir, "sim.ready"),
    lock: join(dir, "up.lock"),
  };
}

export function logFile(paths: StackPaths, name: string): string {
  return join(paths.logs, `${name}.log`);
}

export function pidFile(paths: StackPaths, component: Component): string {
  return join(paths.pids, `${component}.pid`);
}

/**
 * A pid file holds a decimal PID and, since 2026-12-05, the process's start time in clock ticks
 * since boot (/proc/PID/stat field 22), space-separated; anything else is treated as absent.
 */
export function parsePidfile(text: string): { pid: number; startTicks?: number } | null {
  const m = /^\s*(\d+)(?: (\d+))?\s*$/.exec(text);
  if (!m) return null;
  const pid = Number(m[1]);
  if (!(pid > 1 && pid <= 4194304)) return null;
  return m[2] === undefined ? { pid } : { pid, startTicks: Number(m[2]) };
}

export function writePidfile(paths: StackPaths, component: Component, pid: number): void {
  mkdirSync(paths.pids, { recursive: true });
  const startTicks = readProcStat(pid)?.startTicks;
  writeAtomic(pidFile(paths, component), startTicks === undefined ? `${pid}\n` : `${pid} ${startTicks}\n`);
}

export function removePidfile(paths: StackPaths, component: Component): void {
  rmIfExists(pidFile(paths, component));
}

export interface PidfileEntry {
  pid: number;
  /** The process's start in clock ticks since boot, when the file says (it identifies the process). */
  startTicks?: number;
  /** When the pid file was written, epoch ms; used to tell our process from a later one with the same PID. */
  writtenAt: number;
}

export function readPidfile(paths: StackPaths, component: Component): PidfileEntry | null {
  const file = pidFile(paths, component);
  try {
    const parsed = parsePidfile(readFileSync(file, "utf8"));
    return parsed === null ? null : { ...parsed, writtenAt: statSync(file).mtimeMs };
  } catch {
    return null;
  }
}

export interface ProcStat {
  state: string;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat). */
  startTicks: number;
}

/** Parses /proc/PID/stat. The command name is in parentheses and may itself contain spaces or ')'. */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(" ");
  const state = fields[0];
  const startTicks = Number(fields[19]);
  if (!state || !Number.isFinite(startTicks)) return null;
  return { state, startTicks };
}

function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

let bootTimeMs: number | undefined;
function bootTime(): number {
  if (bootTimeMs === undefined) {
    const m = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
    bootTimeMs = m ? Number(m[1]) * 1000 : 0;
  }
  return bootTimeMs;
}

// USER_HZ is 100 on every Linux ABI Node supports; /proc reports start times in these ticks.
const TICKS_PER_SECOND = 100;
// For pid files without start ticks (written before 2026-12-05): btime has one-second resolution,
// and the wall clock drifts from the boot-based one (13 s in 7 hours on one VM); a PID reused
// minutes later is what we guard against.
const START_SLACK_MS = 60_000;

/**
 * Whether a process is alive. A killed daemon stays a zombie (state Z) until its parent or PID 1
 * reaps it, and `kill -0` succeeds on zombies, so we read the state from /proc instead. A process
 * that reused the PID is told apart by its start time: exactly, by `startTicks` (the pid file's
 * record of it: no clock involved), or else by `startedBefore` (the pid file's mtime; wall clock
 * and boot-based clock may drift apart — 13 s after 7 hours on one VM — hence the slack).
 */
export function isAlive(pid: number, startedBefore?: number, startTicks?: number): boolean {
  const stat = readProcStat(pid);
  if (!stat || stat.state === "Z" || stat.state === "X" || stat.state === "x") return false;
  if (startTicks !== undefined) return stat.startTicks === startTicks;
  if (startedBefore !== undefined) {
    const startedAt = bootTime() + (stat.startTicks * 1000) / TICKS_PER_SECOND;
    if (startedAt > startedBefore + START_SLACK_MS) return false;
  }
  return true;
}

/** The PID recorded for a component if that process is still running, else null. */
export function runningPid(paths: StackPaths, component: Component): number | null {
  const entry = readPidfile(paths, component);
  return entry && isAlive(entry.pid, entry.writtenAt, entry.startTicks) ? entry.pid : null;
}

export interface StackRecord {
  version: 1;
  dir: string;
  settings: StackSettings;
  fsid: string;
  env: Record<string, string>;
  pids: Partial<Record<Component, number>>;
  startedAt: string;
  /** Seconds from the start of `up` until everything reported ready. */
  readySeconds: number;
}

/** stack.json is written only after a complete start, so its presence means "bootstrapped". */
export function readStackRecord(paths: StackPaths): StackRecord | null {
  try {
    const record = JSON.parse(readFileSync(paths.stackJson, "utf8")) as StackRecord;
    if (record.version !== 1) return null;
    // Recorded before ensembles existed: it ran one server.
    record.settings.zkEnsemble ??= 1;
    return record;
  } catch {
    return null;
  }
}

export function writeStackRecord(paths: StackPaths, record: StackRecord): void {
  writeAtomic(paths.stackJson, `${JSON.stringify(record, null, 2)}\n`);
}

export function connectionEnv(paths: StackPaths, settings: StackSettings): Record<string, string> {
  return { PVC_ZK_CONNECT: zkConnectString(zkServers(paths, settings)), CEPH_CONF: paths.cephConf };
}

/** POSIX-shell quoting; plain words stay bare so the output reads like the docs. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_/.:,@%+=-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

export function renderEnv(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
    .join("");
}

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function rmIfExists(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

export function ensureDirs(paths: StackPaths): void {
  for (const d of [paths.logs, paths.pids, paths.run]) mkdirSync(d, { recursive: true });
}

export function resolveStackDir(dir: string): string {
  return checkStateDir(resolve(dir));
}

/** Components a stack with these settings runs: each ZooKeeper server, Ceph, the sim only with hollow nodes on. */
export function expectedComponents(settings: StackSettings): Component[] {
  return [
    ...zkComponents(settings),
    ...COMPONENTS.filter((c) => c !== "zookeeper" && (c !== "sim" || settings.nodes !== null)),
  ];
}
