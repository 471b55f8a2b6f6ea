/**
 * `stack down`: stop every process of a stack by PID (SIGTERM, then SIGKILL), then sweep for strays;
 * with --purge also delete the state dir, but only one that holds nothing a stack would not write.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { ErrorCodes, PvcError } from "../errors.ts";
import { ALL_ZK_COMPONENTS, allZooCfgs } from "./ensemble.ts";
import { processesWithArg, stopProcess } from "./process.ts";
import type { Progress } from "./stack.ts";
import type { Component } from "./state.ts";
import { removePidfile, resolveStackDir, rmIfExists, runningPid, stackPaths } from "./state.ts";

export interface DownResult {
  stopped: Component[];
  strays: number[];
  purged: boolean;
}

/**
 * Stops every component by PID: the sim first (it is a ZooKeeper client), then osd/mgr/every ZooKeeper server,
 * the mon last so the OSD can still tell it that it is going down.
 */
export async function stackDown(opts: {
  dir: string;
  purge: boolean;
  progress: Progress;
}): Promise<DownResult> {
  const dir = resolveStackDir(opts.dir);
  const paths = stackPaths(dir);
  const result: DownResult = { stopped: [], strays: [], purged: false };
  if (!existsSync(dir)) {
    opts.progress(`no stack in ${dir}`);
    return result;
  }
  const stop = async (component: Component) => {
    const pid = runningPid(paths, component);
    if (pid !== null) {
      await stopProcess(pid);
      result.stopped.push(component);
    }
    removePidfile(paths, component);
  };
  await stop("sim");
  await Promise.all([...(["osd", "mgr"] as const), ...ALL_ZK_COMPONENTS].map(stop));
  await stop("mon");
  result.strays = processesWithArg([paths.cephConf, ...allZooCfgs(paths), paths.simReady]);
  await Promise.all(result.strays.map((pid) => stopProcess(pid, 2000)));
  for (const f of [paths.simReady, paths.env, paths.lock]) rmIfExists(f);
  opts.progress(
    result.stopped.length > 0 || result.strays.length > 0
      ? `stopped ${[...result.stopped, ...result.strays.map((p) => `pid ${p}`)].join(", ")}`
      : `nothing was running in ${dir}`,
  );
  if (opts.purge) {
    assertLooksLikeStackDir(dir);
    rmSync(dir, { recursive: true, force: true });
    result.purged = true;
    opts.progress(`removed ${dir}`);
  } else {
    opts.progress(`data and logs kept in ${dir}`);
  }
  return result;
}

const STACK_ENTRIES = new Set([
  "ceph",
  "zookeeper",
  "logs",
  "pids",
  "run",
  "env",
  "stack.json",
  "sim.ready",
  "up.lock",
]);

/** `--purge` deletes recursively; refuse a dir holding anything a stack would not have written. */
function assertLooksLikeStackDir(dir: string): void {
  const foreign = readdirSync(dir).filter((e) => !STACK_ENTRIES.has(e));
  if (foreign.length > 0) {
    throw new PvcError(
      ErrorCodes.CONFIG_INVALID,
      `not purging ${dir}: it holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", ..." : ""}, which a stack does not create`,
    );
  }
}
