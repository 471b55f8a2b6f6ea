/**
 * `stack up`: a fresh start (bootstrap) or, for a dir that was started before, a restart of whatever
 * is not running (resume); which component starts when and what counts as ready. The components
 * live in their own modules; down.ts and status.ts do the rest.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { ErrorCodes, PvcError } from "../errors.ts";
import type { CephContext, CephDaemon } from "./ceph.ts";
import {
  bootstrapCeph,
  cephHealthLine,
  startMgr,
  startMon,
  startOsd,
  waitCephDaemons,
  waitCephReady,
  writeCephConfig,
} from "./ceph.ts";
import { ALL_ZK_COMPONENTS, type ZkServer, zkConnectString, zkPortsByName, zkServers } from "./ensemble.ts";
import { startHollowNodes, waitHollowNodes } from "./hollow-nodes.ts";
import { ensurePackages } from "./install.ts";
import { Launch } from "./launch.ts";
import { assertPortsFree } from "./ports.ts";
import type { Daemon } from "./process.ts";
import type { StackSettings } from "./settings.ts";
import { validateSettings } from "./settings.ts";
import type { Component, StackPaths, StackRecord } from "./state.ts";
import {
  COMPONENTS,
  connectionEnv,
  ensureDirs,
  expectedComponents,
  isAlive,
  readStackRecord,
  renderEnv,
  resolveStackDir,
  rmIfExists,
  runningPid,
  stackPaths,
  writeAtomic,
  writeStackRecord,
} from "./state.ts";
import { startZookeeper, waitZookeeper, writeZookeeperConfig } from "./zookeeper.ts";

export type Progress = (message: string) => void;

export interface UpOptions {
  dir: string;
  settings: StackSettings;
  install: boolean;
  progress: Progress;
}

export interface UpResult {
  env: Record<string, string>;
  envText: string;
  record: StackRecord;
  /** True when everything was already running and nothing was started. */
  alreadyRunning: boolean;
}

/** One lock per state dir, so two `up`s cannot bootstrap the same cluster at once. */
function acquireLock(paths: StackPaths): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(paths.lock, `${process.pid}\n`, { flag: "wx" });
      return () => rmIfExists(paths.lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(readFileSync(paths.lock, "utf8").trim());
      if (holder > 0 && isAlive(holder)) {
        throw new PvcError(
          ErrorCodes.STACK_START_FAILED,
          `another pvcctl (pid ${holder}) is starting the stack in ${paths.dir}`,
        );
      }
      rmIfExists(paths.lock); // left by a killed `up`
    }
  }
  throw new PvcError(ErrorCodes.STACK_START_FAILED, `could not lock ${paths.lock}`);
}

export async function stackUp(opts: UpOptions): Promise<UpResult> {
  const dir = resolveStackDir(opts.dir);
  const paths = stackPaths(dir);
  mkdirSync(dir, { recursive: true });
  ensureDirs(paths);
  const release = acquireLock(paths);
  try {
    const record = readStackRecord(paths);
    if (record) return await resume(paths, record, opts);
    return await bootstrap(paths, validateSettings(opts.settings), opts);
  } finally {
    release();
  }
}

async function bootstrap(paths: StackPaths, settings: StackSettings, opts: UpOptions): Promise<UpResult> {
  const { progress } = opts;
  const leftovers = [...ALL_ZK_COMPONENTS, ...COMPONENTS.filter((c) => c !== "zookeeper")].filter(
    (c) => runningPid(paths, c) !== null,
  );
  if (leftovers.length > 0) {
    throw new PvcError(
      ErrorCodes.STACK_START_FAILED,
      `${paths.dir} has running ${leftovers.join(", ")} but no complete stack; run \`pvcctl stack down --dir ${paths.dir}\` first`,
    );
  }
  if (opts.install) await ensurePackages(progress);
  const servers = zkServers(paths, settings);
  await assertPortsFree({
    ...zkPortsByName(servers),
    "mon port": settings.monPort,
    "mon v2 port": settings.monV2Port,
  });

  const t0 = performance.now();
  const zkWhat = servers.length === 1 ? "zookeeper" : `a zookeeper ensemble of ${servers.length}`;
  progress(
    `starting ${zkWhat} on ${zkConnectString(servers)} and ceph (mon ${settings.monV2Port}/${settings.monPort}) in ${paths.dir}`,
  );
  // A fresh start: data of an earlier failed attempt goes; logs stay (they may explain that failure).
  for (const d of [paths.ceph, paths.zk, paths.run, paths.pids]) rmSync(d, { recursive: true, force: true });
  for (const f of [paths.simReady, paths.env]) rmIfExists(f);
  ensureDirs(paths);
  const fsid = randomUUID();
  const ctx: CephContext = { paths, settings };
  for (const server of servers) writeZookeeperConfig(server, servers);
  writeCephConfig(ctx, fsid);

  const launch = new Launch(paths);
  const unguard = launch.guardSignals();
  try {
    await launch.parallel([
      async () => {
        await startZookeepers(paths, servers, servers, launch);
        progress(`${zkWhat} serving (${secondsSince(t0)} s)`);
        if (settings.nodes !== null) {
          launch.record("sim", await startHollowNodes(paths, zkConnectString(servers), settings.nodes));
          await waitHollowNodes(paths, launch.check);
          progress(`hollow nodes registered (${secondsSince(t0)} s)`);
        }
      },
      async () => {
        await bootstrapCeph(ctx, fsid, randomUUID(), (name, d) => launch.record(name, d), launch.check);
        await waitCephDaemons(ctx, ["mgr", "osd"], launch.check);
        const health = await waitCephReady(ctx, launch.check);
        progress(`ceph ${cephHealthLine(health)} (${secondsSince(t0)} s)`);
      },
    ]);
  } catch (err) {
    progress("start failed; stopping what was started (logs kept)");
    await launch.stopAll();
    for (const d of [paths.ceph, paths.zk, paths.run]) rmSync(d, { recursive: true, force: true });
    throw err;
  } finally {
    unguard();
  }
  return finish(paths, settings, fsid, t0, launch, false, progress);
}

/** A bootstrapped dir: start whatever is not running, from the data it already has. */
async function resume(paths: StackPaths, record: StackRecord, opts: UpOptions): Promise<UpResult> {
  const settings = record.settings;
  const stopped = expectedComponents(settings).filter((c) => runningPid(paths, c) === null);
  const t0 = performance.now();
  if (stopped.length === 0) {
    opts.progress(`stack already running in ${paths.dir}`);
    return finish(paths, settings, record.fsid, t0, new Launch(paths), true, opts.progress);
  }
  opts.progress(`restarting ${stopped.join(", ")} in ${paths.dir} with its recorded settings`);
  if (opts.install) await ensurePackages(opts.progress);
  const servers = zkServers(paths, settings);
  const stoppedZk = servers.filter((s) => stopped.includes(s.component));
  const ports: Record<string, number> = zkPortsByName(stoppedZk);
  if (stopped.includes("mon"))
    Object.assign(ports, { "mon port": settings.monPort, "mon v2 port": settings.monV2Port });
  await assertPortsFree(ports);

  const ctx: CephContext = { paths, settings };
  const launch = new Launch(paths);
  const unguard = launch.guardSignals();
  try {
    const starters: Partial<Record<Component, () => Promise<Daemon>>> = {
      mon: () => startMon(ctx),
      mgr: () => startMgr(ctx),
      osd: () => startOsd(ctx),
    };
    for (const c of stopped) {
      const start = starters[c];
      if (start) launch.record(c, await start());
    }
    await launch.parallel([
      async () => {
        await startZookeepers(paths, stoppedZk, servers, launch);
        if (settings.nodes !== null && stopped.includes("sim")) {
          launch.record("sim", await startHollowNodes(paths, zkConnectString(servers), settings.nodes));
          await waitHollowNodes(paths, launch.check);
        }
      },
      async () => {
        const restarted = stopped.filter((c): c is CephDaemon => c === "mon" || c === "mgr" || c === "osd");
        await waitCephDaemons(ctx, restarted, launch.check);
        const health = await waitCephReady(ctx, launch.check);
        opts.progress(`ceph ${cephHealthLine(health)}`);
      },
    ]);
  } catch (err) {
    opts.progress("restart failed; stopping what this run started (logs kept)");
    await launch.stopAll();
    throw err;
  } finally {
    unguard();
  }
  return finish(paths, settings, record.fsid, t0, launch, false, opts.progress);
}

/**
 * Starts `starting` (all of the servers, or the stopped ones of a running stack) and waits until
 * every server serves: ensemble members only serve once a quorum of them runs, so they are started
 * together and waited on together.
 */
async function startZookeepers(
  paths: StackPaths,
  starting: readonly ZkServer[],
  all: readonly ZkServer[],
  launch: Launch,
): Promise<void> {
  for (const server of starting) launch.record(server.component, await startZookeeper(paths, server));
  await Promise.all(all.map((server) => waitZookeeper(paths, server, launch.check)));
}

function secondsSince(t0: number): string {
  return ((performance.now() - t0) / 1000).toFixed(1);
}

function finish(
  paths: StackPaths,
  settings: StackSettings,
  fsid: string,
  t0: number,
  launch: Launch,
  alreadyRunning: boolean,
  progress: Progress,
): UpResult {
  const env = connectionEnv(paths, settings);
  const envText = renderEnv(env);
  const pids: Partial<Record<Component, number>> = {};
  for (const c of expectedComponents(settings)) {
    const pid = runningPid(paths, c);
    if (pid !== null) pids[c] = pid;
  }
  const previous = readStackRecord(paths);
  const readySeconds = alreadyRunning && previous ? previous.readySeconds : Number(secondsSince(t0));
  const record: StackRecord = {
    version: 1,
    dir: paths.dir,
    settings,
    fsid,
    env,
    pids,
    startedAt: alreadyRunning && previous ? previous.startedAt : new Date().toISOString(),
    readySeconds,
  };
  if (!alreadyRunning) {
    writeAtomic(paths.env, envText);
    writeStackRecord(paths, record);
    progress(`stack ready in ${readySeconds} s (started ${[...launch.started.keys()].join(", ")})`);
  }
  return { env, envText, record, alreadyRunning };
}
