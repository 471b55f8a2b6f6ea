/**
 * The composition root: builds every long-lived part from the config, in dependency order, and
 * takes them down in reverse. Nothing else in the project constructs these parts for real.
 *
 *   ZooKeeper → store (all kinds, validateResource) → informers + watch caches (synced)
 *     → events, PVC keys, Ceph client → leader election + manager (kind controllers, owner GC)
 *     → HTTP server
 *
 * Every replica serves the API; only the elected leader runs the controllers and the garbage
 * collector (the manager starts and stops them with leadership).
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { WatchCache } from "../api/apis/watch-cache.ts";
import { createLogger } from "../api/logging.ts";
import { buildServer } from "../api/server.ts";
import { EndedSessions } from "../api/sessions.ts";
import type { FacadePlugin } from "../api/v1/facade.ts";
import { cephClusterOps } from "../controllers/ceph/cluster-ops.ts";
import { controllerContext } from "../controllers/context.ts";
import { kindControllers as defaultControllers } from "../controllers/index.ts";
import type { ControllerContext, ControllerSettings, KindController } from "../controllers/types.ts";
import { CephClient } from "./ceph/client.ts";
import { registerCephReachability } from "./ceph/metrics.ts";
import type { Config } from "./config.ts";
import { ErrorCodes, PvcError } from "./errors.ts";
import { guardStore, startGitOps } from "./gitops/index.ts";
import { PvcKeys } from "./pvc/keys.ts";
import { liveView, sizeOrAbsent } from "./pvc/live-view.ts";
import { NodeHeartbeats } from "./pvc/node-heartbeats.ts";
import { PvcReader } from "./pvc/reader.ts";
import { KINDS, lookupKind } from "./resources/kinds.ts";
import { storeChecks } from "./resources/store-checks.ts";
import { checkImmutable, validateResource } from "./resources/validate.ts";
import { LeaderElector } from "./runtime/leader.ts";
import { Manager } from "./runtime/manager.ts";
import { RuntimeMetrics } from "./runtime/metrics.ts";
import { EventFeed } from "./store/event-feed.ts";
import { EventRecorder } from "./store/events.ts";
import { GarbageCollector } from "./store/gc.ts";
import { Informer, typedInformers } from "./store/informer.ts";
import { ResourceStore } from "./store/store.ts";
import { ZkClient } from "./zk/client.ts";

export interface AppOptions {
  /** Default: a pino logger at the config's log level, to stdout. */
  logger?: Logger;
  /** Default: controllers/index.ts. */
  kindControllers?: readonly KindController[];
  /** The Ceph client of the controllers and the facade (default: one on the config's ceph.conf). */
  ceph?: CephClient;
  /** Overrides of the controllers' settings (tests: shorter waits). */
  settings?: Partial<ControllerSettings>;
  /** Facade groups besides api/v1/groups.ts (tests). */
  extraFacadeGroups?: Record<string, FacadePlugin>;
  /** Identity in the leader election (default host:pid). */
  identity?: string;
  /** Node's process metrics in /metrics (default true). */
  processMetrics?: boolean;
  /** Events kept per kind for resuming watches. */
  watchHistory?: number;
}

export interface App {
  /** Where the API listens, e.g. `http://127.0.0.1:7370`. */
  url: string;
  server: FastifyInstance;
  zk: ZkClient;
  store: ResourceStore;
  informers: ReadonlyMap<string, Informer>;
  manager: Manager;
  elector: LeaderElector;
  metrics: RuntimeMetrics;
  logger: Logger;
  /** Graceful: stops the controllers (leaving the election), the server, the informers, ZooKeeper. */
  close(): Promise<void>;
}

/** Undo steps of a start that may fail half-way, run in reverse. */
class Teardown {
  readonly #steps: Array<() => void | Promise<void>> = [];
  add(step: () => void | Promise<void>): void {
    this.#steps.push(step);
  }
  async run(log: Logger): Promise<void> {
    for (const step of this.#steps.reverse()) {
      try {
        await step();
      } catch (err) {
        log.warn({ err }, "shutdown step failed");
      }
    }
    this.#steps.length = 0;
  }
}

function listenUrl(server: FastifyInstance, https: boolean): string {
  const address = server.server.address();
  if (address === null || typeof address === "string") return String(address);
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `${https ? "https" : "http"}://${host}:${address.port}`;
}

export async function startApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger({ level: config.reconciler.logLevel });
  const teardown = new Teardown();
  try {
    return await assemble(config, options, logger, teardown);
  } catch (err) {
    await teardown.run(logger);
    throw err;
  }
}

async function assemble(
  config: Config,
  options: AppOptions,
  logger: Logger,
  teardown: Teardown,
): Promise<App> {
  const metrics = new RuntimeMetrics({ processMetrics: options.processMetrics ?? true });
  const zk = await ZkClient.connect({
    connectString: config.zookeeper.connectString,
    sessionTimeoutMs: config.zookeeper.sessionTimeoutMs,
    onCall: metrics.zkOnCall(),
  });
  teardown.add(() => zk.close());
  zk.on("state", (state) => logger.info({ state }, "zookeeper session state"));

  const store = new ResourceStore(zk, {
    root: config.reconciler.storeRoot,
    kinds: KINDS.map((k) => ({ kind: k.kind, plural: k.plural })),
    validate: validateResource,
    validateUpdate: checkImmutable,
    // A closure: it lists through the store once built.
    ...storeChecks(async (kind) => (await store.list(kind)).items),
    defaultFinalizers: Object.fromEntries(
      (options.kindControllers ?? defaultControllers).map((k) => [k.kind, k.finalizers ?? []]),
    ),
  });
  await store.init();

  const informers = new Map<string, Informer>();
  const caches = new Map<string, WatchCache>();
  for (const info of KINDS) {
    const informer = new Informer(store, info.kind);
    informer.on("error", (err) => logger.warn({ err, kind: info.kind }, "informer: read failed, retrying"));
    informers.set(info.kind, informer);
    caches.set(
      info.kind,
      new WatchCache(informer, {
        capacity: options.watchHistory,
        // The kind folder's pzxid: the zxid of its last create or delete.
        kindRv: async () => (await zk.exists(store.layout.kindDir(info.plural)))?.pzxid ?? "0",
        onError: (err) =>
          logger.warn({ err, kind: info.kind }, "watch cache: could not read a deletion's version"),
      }),
    );
  }
  teardown.add(() => {
    for (const c of caches.values()) c.close();
    for (const i of informers.values()) i.stop();
  });
  await Promise.all([...informers.values()].map((i) => i.start()));
  await Promise.all([...caches.values()].map((c) => c.settled()));

  const byKind =
    <T>(map: Map<string, T>, what: string) =>
    (kind: string): T => {
      const found = map.get(lookupKind(kind)?.kind ?? kind);
      if (!found) throw new PvcError(ErrorCodes.NOT_FOUND, `no ${what} for kind ${JSON.stringify(kind)}`);
      return found;
    };
  const informer = typedInformers(byKind(informers, "informer"));
  const events = new EventRecorder(zk, store.layout);
  // Every event as it is recorded, by any replica (the status page's events and drift plot).
  const eventFeed = new EventFeed(zk, store.layout, {
    kindOfPlural: (plural) => lookupKind(plural)?.kind,
    onError: (err) => logger.warn({ err }, "event feed: could not read an event"),
  });
  await eventFeed.start();
  teardown.add(() => eventFeed.stop());
  const pvc = new PvcKeys(config.reconciler.pvcRoot);
  const reader = new PvcReader(zk, pvc);
  const heartbeats = new NodeHeartbeats(zk, pvc, logger);
  await heartbeats.start();
  teardown.add(() => heartbeats.stop());

  const elector = new LeaderElector({
    zk,
    path: store.layout.coordination("leader"),
    identity: options.identity ?? `${hostname()}:${process.pid}`,
    logger,
  });
  // One Ceph client for the controllers and the facade's cluster operations (a test may give its own).
  const ceph =
    options.ceph ?? new CephClient({ conf: config.reconciler.cephConf, onCall: metrics.cephOnCall() });
  const ctx: ControllerContext = controllerContext({
    zk,
    store,
    informer,
    events,
    pvc,
    metrics,
    logger,
    settings: {
      resyncPeriodMs: config.reconciler.resyncPeriodMs,
      cephPollIntervalMs: config.reconciler.cephPollIntervalMs,
      concurrency: config.reconciler.controllerConcurrency,
      ...options.settings,
    },
    ceph,
  });
  registerCephReachability(metrics.registry, ceph.reachability);
  const manager = new Manager({
    controllers: (options.kindControllers ?? defaultControllers).map((k) => k.create(ctx)),
    elector,
    metrics,
    logger,
  });
  // Owner garbage collection acts on the cluster's state: leader only, a fresh index per term.
  let gc: GarbageCollector | undefined;
  manager.on("leading", () => {
    gc = new GarbageCollector(store, informers, {
      onError: (err) => logger.warn({ err }, "garbage collector: delete failed"),
    });
    gc.start().catch((err) => logger.error({ err }, "garbage collector: start failed"));
  });
  manager.on("following", () => {
    gc?.stop();
    gc = undefined;
  });
  const stopManager = async () => {
    await manager.stop();
    gc?.stop();
  };

  const readiness = () => {
    const reasons: string[] = [];
    if (zk.state !== "connected") reasons.push(`zookeeper ${zk.state}`);
    for (const [kind, i] of informers) if (!i.synced) reasons.push(`informer ${kind} not synced`);
    return { ready: reasons.length === 0, reasons };
  };
  const ssl = config.api.ssl;
  // A logout ends its session on every replica: the ended ones are recorded under the store root.
  const endedSessions = config.api.auth.enabled
    ? new EndedSessions(zk, store.layout.coordination("ended-sessions"), { logger })
    : undefined;
  teardown.add(() => endedSessions?.stop());
  await endedSessions?.start();
  const server = await buildServer({
    logger,
    auth: {
      enabled: config.api.auth.enabled,
      secretKey: config.api.auth.secretKey,
      tokens: config.api.auth.tokens.map((t) => t.token),
      secureCookie: ssl.enabled,
      endedSessions,
    },
    tls: ssl.enabled ? { key: readFileSync(ssl.keyFile), cert: readFileSync(ssl.certFile) } : undefined,
    // Other writers go through the GitOps write guard: objects a watched folder owns refuse them.
    apis: {
      store: guardStore(store),
      informer: byKind(informers, "informer"),
      watchCache: byKind(caches, "watch cache"),
      events,
    },
    facade: {
      store: guardStore(store),
      informer,
      events,
      pvc: reader,
      heartbeats,
      cephOps: cephClusterOps({ zk, pvc, ceph, reader }),
      waitTimeoutMs: config.reconciler.facadeWaitTimeoutMs,
      logger,
    },
    extraFacadeGroups: options.extraFacadeGroups,
    metrics,
    readiness,
    eventFeed,
    liveView: (obj) =>
      liveView(obj, {
        keys: pvc,
        reader,
        rbdSize: (pool, image) => sizeOrAbsent(() => ceph.rbdInfo(pool, image)),
      }),
  });
  // Open watch streams would hold the server's close: end them first.
  teardown.add(async () => {
    for (const c of caches.values()) c.close();
    await server.close();
  });
  // Undone first: controllers stop (and leadership passes on) while the API still answers.
  teardown.add(stopManager);
  await server.listen({ host: config.api.listenAddress, port: config.api.listenPort }).catch((err) => {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    throw new PvcError(
      ErrorCodes.ADDRESS_IN_USE,
      `cannot listen on ${config.api.listenAddress}:${config.api.listenPort}: the address is in use (another pvcctl serve or up?); choose another port (up --port N; serve: pvc.api.listen_port in its config)`,
      { cause: err },
    );
  });
  const url = listenUrl(server, ssl.enabled);

  if (config.reconciler.gitops.enabled) {
    const gitops = await startGitOps({
      dir: config.reconciler.gitops.dir,
      store,
      informer,
      events,
      logger,
      metrics,
      manager,
    });
    teardown.add(() => gitops.stop());
  }
  await manager.start();
  logger.info(
    { url, store: config.reconciler.storeRoot, zookeeper: config.zookeeper.connectString },
    "serving",
  );

  return {
    url,
    server,
    zk,
    store,
    informers,
    manager,
    elector,
    metrics,
    logger,
    close: () => teardown.run(logger),
  };
}
