/**
 * GitOps: a watched folder of manifests that the store converges to (see sync.ts for one sync,
 * guard.ts for the protection of the folder's objects, inventory.ts for what the folder owns).
 *
 *     const gitops = await startGitOps({ dir, store, informer, events, logger, manager });
 *     apiStore = gitops.guard(store);   // what the HTTP API and the /api/v1 facade write through
 *
 * The sync runs as a controller of its own (kind GitOpsSync, one key: the folder's name), so it
 * runs only on the leading replica, never twice at once, and retries with backoff when ZooKeeper
 * fails. It is woken by the folder (watch.ts; debounced, so that an editor's save or a `git pull`
 * is one sync), by a change to an object the folder owns that differs from the folder (drift,
 * or a write let through in `revert` mode), and by a periodic resync.
 */
import { EventEmitter } from "node:events";
import { basename, resolve } from "node:path";
import type { Logger } from "pino";
import { ErrorCodes, PvcError } from "../errors.ts";
import type { Resource } from "../resources/types.ts";
import { Controller } from "../runtime/controller.ts";
import type { Manager } from "../runtime/manager.ts";
import type { RuntimeMetrics } from "../runtime/metrics.ts";
import { EventRecorder } from "../store/events.ts";
import type { Informer } from "../store/informer.ts";
import type { ResourceStore } from "../store/store.ts";
import type { ZkClient } from "../zk/client.ts";
import { GITOPS_DIR_ENV } from "./env.ts";
import { guardStore } from "./guard.ts";
import { checkSettings, DEFAULT_SETTINGS, type SettingsInput } from "./settings.ts";
import { GITOPS_KIND, ownedFieldsMatch, runSync, type SyncResult, syncMemory } from "./sync.ts";
import { FolderWatch } from "./watch.ts";

export { guardStore } from "./guard.ts";
export type { SyncResult } from "./sync.ts";

export interface GitOpsOptions {
  /** The folder to watch. */
  dir: string;
  /** Name of the GitOpsSync object (default: the folder's name). */
  name?: string;
  /** The plain store (the folder writes its own objects; the guard is for other writers). */
  store: ResourceStore;
  /** Started informers by kind: changes to owned objects that differ from the folder wake a sync. */
  informer?: (kind: string) => Informer;
  events?: EventRecorder;
  logger?: Logger;
  metrics?: RuntimeMetrics;
  /** Runs the sync only while this replica leads; without one it starts at once. */
  manager?: Manager;
  /** Quiet time after the last file event before syncing (default 50 ms). */
  debounceMs?: number;
  /** Full sync period even without events (default 5 min; 0 disables). */
  resyncPeriodMs?: number;
  /** Server-side settings (the folder's .pvc-gitops.yaml overrides them). */
  settings?: SettingsInput;
}

export interface GitOpsEvents {
  synced: [result: SyncResult];
}

export interface GitOps extends EventEmitter<GitOpsEvents> {
  readonly name: string;
  readonly dir: string;
  readonly controller: Controller;
  /** `store` with writes to folder-owned objects refused (see guard.ts): give it to the API and the facade. */
  guard(store: ResourceStore): ResourceStore;
  /** Syncs now (through the queue) and returns the result; `force` prunes past the guard once. */
  syncNow(options?: { force?: boolean }): Promise<SyncResult | undefined>;
  lastResult(): SyncResult | undefined;
  stop(): Promise<void>;
}

/** A GitOpsSync name from a folder name: `manifests`, `prod_cluster`, … */
export function syncNameFor(dir: string): string {
  const base = basename(resolve(dir))
    .replace(/[^A-Za-z0-9_.+-]/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "");
  return base || "gitops";
}

/** Folders watched in this process, so that a second start for one folder is refused, not doubled. */
const running = new Map<string, GitOps>();

export async function startGitOps(options: GitOpsOptions): Promise<GitOps> {
  const dir = resolve(options.dir);
  const already = running.get(dir);
  if (already) {
    throw new PvcError(
      ErrorCodes.CONFIG_INVALID,
      `the GitOps folder ${dir} is already watched in this process (sync ${already.name})`,
    );
  }
  const name = options.name ?? syncNameFor(dir);
  const log = options.logger?.child({ component: "gitops", sync: name });
  const server = checkSettings(options.settings ?? {}, "gitops settings");
  const debounceMs = options.debounceMs ?? 50;
  const emitter = new EventEmitter<GitOpsEvents>();
  let last: SyncResult | undefined;
  let forceNext = false;
  const informers = new Map<string, Informer | undefined>();
  const informerOf = (kind: string): Informer | undefined => {
    if (!informers.has(kind)) {
      try {
        informers.set(kind, options.informer?.(kind));
      } catch {
        informers.set(kind, undefined);
      }
    }
    return informers.get(kind);
  };
  // The objects as the informers hold them (once synced): a sync then reads no object back.
  const memory = syncMemory(options.store, name, dir, (kind, objectName) => {
    const informer = informerOf(kind);
    return informer?.synced ? (informer.get(objectName) ?? null) : undefined;
  });

  const controller = new Controller({
    kind: GITOPS_KIND,
    concurrency: 1,
    resyncPeriodMs: options.resyncPeriodMs ?? 300_000,
    metrics: options.metrics,
    logger: options.logger,
    reconcile: async () => {
      const force = forceNext;
      forceNext = false;
      const result = await runSync({
        store: options.store,
        name,
        dir,
        base: DEFAULT_SETTINGS,
        server,
        events: options.events,
        logger: log,
        force,
        memory,
      });
      // Caught mid-write: nothing was done; the write's own event syncs again, and so does this.
      if (result.unsettled) return { requeueAfter: debounceMs };
      last = result;
      emitter.emit("synced", result);
      return undefined;
    },
  });
  // The periodic resync (and the first sync) lists and checks every file, not only those the
  // watch reported: a missed event costs at most one resync period.
  controller.resync(() => {
    memory.folder.invalidate();
    return [name];
  });

  let timer: NodeJS.Timeout | undefined;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void controller.enqueue(name), debounceMs);
  };

  // Drift of an owned object (a write let through in revert mode, or anything else): sync again.
  const unsubscribe: Array<() => void> = [];
  if (options.informer) {
    const kinds = options.store
      .kinds()
      .map((k) => k.kind)
      .filter((k) => k !== GITOPS_KIND);
    for (const kind of kinds) {
      const informer = informerOf(kind);
      if (!informer) continue;
      // What the sync in progress has planned, not what the last one ended with: the objects it
      // releases or prunes are not drift, and must not bring another sync.
      const onChange = (obj: Resource) => {
        const desired = memory.desired.get(`${obj.kind}/${obj.metadata.name}`);
        if (desired && !ownedFieldsMatch(obj, desired)) soon();
      };
      const onDelete = (obj: Resource) => {
        if (memory.desired.has(`${obj.kind}/${obj.metadata.name}`)) soon();
      };
      informer.on("update", onChange);
      informer.on("add", onChange);
      informer.on("delete", onDelete);
      unsubscribe.push(() => {
        informer.off("update", onChange);
        informer.off("add", onChange);
        informer.off("delete", onDelete);
      });
    }
  }

  // Each reported path is all a sync reads (folder.ts); a folder that comes or goes, or a failed
  // watch, has every file checked.
  const watcher = new FolderWatch(dir, {
    path: (path) => {
      memory.folder.touched(path);
      soon();
    },
    rescan: () => {
      memory.folder.invalidate();
      soon();
    },
    error: (err) => log?.warn({ err }, "gitops: folder watch error"),
  });
  await watcher.start();

  if (options.manager) await options.manager.add(controller);
  else await controller.start();

  const gitops = Object.assign(emitter, {
    name,
    dir,
    controller,
    guard: (store: ResourceStore) => guardStore(store),
    async syncNow(o: { force?: boolean } = {}) {
      if (o.force) forceNext = true;
      memory.folder.invalidate();
      await controller.enqueue(name);
      return last;
    },
    lastResult: () => last,
    async stop() {
      if (running.get(dir) === gitops) running.delete(dir);
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      watcher.close();
      await controller.stop({ drain: true });
    },
  });
  running.set(dir, gitops);
  log?.info({ dir }, "gitops: watching");
  return gitops;
}

export { GITOPS_DIR_ENV };

/** What startGitOpsFor needs of a running app (src/app.ts). */
export interface AppParts {
  zk: ZkClient;
  store: ResourceStore;
  informers: ReadonlyMap<string, Informer>;
  manager: Manager;
  metrics?: RuntimeMetrics;
  logger?: Logger;
}

/**
 * The `pvcctl up` hook: watches the folder named by PVC_GITOPS_DIR with the running app's parts
 * (nothing when it is unset, or when the app already watches it). Returns the stop function.
 */
export async function startGitOpsFor(
  app: AppParts,
  dir = process.env[GITOPS_DIR_ENV],
): Promise<() => Promise<void>> {
  if (!dir || running.has(resolve(dir))) return async () => undefined;
  const gitops = await startGitOps({
    dir,
    store: app.store,
    informer: (kind) => {
      const i = app.informers.get(kind);
      if (!i) throw new PvcError(ErrorCodes.NOT_FOUND, `no informer for kind ${kind}`);
      return i;
    },
    events: new EventRecorder(app.zk, app.store.layout),
    logger: app.logger,
    metrics: app.metrics,
    manager: app.manager,
  });
  process.stderr.write(`gitops: watching ${gitops.dir} (pvcctl get syncs ${gitops.name})\n`);
  return () => gitops.stop();
}
