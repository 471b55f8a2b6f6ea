/**
 * Runs kind controllers against the real ZooKeeper without the HTTP server or leader election:
 * a store under a unique root (or a given one), informers for every kind, and the controllers
 * given. Tests and benchmarks share it, so they all wire a controller the way the app does.
 */
import pino from "pino";
import { controllerContext } from "../../controllers/context.ts";
import type { ControllerContext, ControllerSettings, KindController } from "../../controllers/types.ts";
import { CephClient } from "../../src/ceph/client.ts";
import { PvcKeys } from "../../src/pvc/keys.ts";
import { KINDS } from "../../src/resources/kinds.ts";
import { storeChecks } from "../../src/resources/store-checks.ts";
import type { Resource } from "../../src/resources/types.ts";
import { checkImmutable, validateResource } from "../../src/resources/validate.ts";
import type { Controller } from "../../src/runtime/controller.ts";
import { RuntimeMetrics } from "../../src/runtime/metrics.ts";
import { EventRecorder } from "../../src/store/events.ts";
import { Informer, typedInformers } from "../../src/store/informer.ts";
import { ResourceStore } from "../../src/store/store.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { cephConf, uniqueRoot, zkConnect } from "./env.ts";

export interface Harness {
  zk: ZkClient;
  store: ResourceStore;
  pvc: PvcKeys;
  events: EventRecorder;
  controllers: Controller[];
  informer(kind: string): Informer;
  /** Waits until the object satisfies `cond` (read from the store, not a cache). */
  waitFor(
    kind: string,
    name: string,
    cond: (r: Resource | null) => boolean,
    ms?: number,
  ): Promise<Resource | null>;
  /** Stops controllers and informers, removes the root (unless `keepRoot`), closes the client. */
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The Ceph client of the controllers (default: one on CEPH_CONF). */
  ceph?: CephClient;
  /** Run on this root instead of a unique one (e.g. to share it with another process). */
  root?: string;
  /** `close()` leaves the root in ZooKeeper (for a later harness on the same root). */
  keepRoot?: boolean;
  settings?: Partial<ControllerSettings>;
}

export async function startHarness(
  label: string,
  kindControllers: KindController[],
  options: HarnessOptions = {},
): Promise<Harness> {
  const zk = await ZkClient.connect({ connectString: zkConnect() });
  const root = options.root ?? uniqueRoot(label);
  const store = new ResourceStore(zk, {
    root: `${root}/store`,
    kinds: KINDS,
    validate: validateResource,
    validateUpdate: checkImmutable,
    ...storeChecks(async (kind) => (await store.list(kind)).items),
    // As the app does: the finalizers the controllers declare are added on create.
    defaultFinalizers: Object.fromEntries(kindControllers.map((k) => [k.kind, k.finalizers ?? []])),
  });
  await store.init();
  const pvc = new PvcKeys(`${root}/pvc`);
  const informers = new Map(KINDS.map((k) => [k.kind, new Informer(store, k.kind)]));
  await Promise.all([...informers.values()].map((i) => i.start()));
  const events = new EventRecorder(zk, store.layout);
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const ctx: ControllerContext = controllerContext({
    zk,
    store,
    informer: typedInformers((kind) => {
      const i = informers.get(store.kindInfo(kind).kind);
      if (!i) throw new Error(`no informer for ${kind}`);
      return i;
    }),
    events,
    pvc,
    metrics: new RuntimeMetrics(),
    logger,
    settings: { resyncPeriodMs: 0, cephPollIntervalMs: 1000, concurrency: 16, ...options.settings },
    ceph: options.ceph ?? new CephClient({ conf: cephConf() }),
  });
  const controllers = kindControllers.map((k) => k.create(ctx));
  await Promise.all(controllers.map((c) => c.start()));
  return {
    zk,
    store,
    pvc,
    events,
    controllers,
    informer: ctx.informer,
    async waitFor(kind, name, cond, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const r = await store.tryGet(kind, name);
        if (cond(r)) return r;
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for ${kind} ${name}: last seen ${JSON.stringify(r?.status ?? r)}`,
          );
        await new Promise((res) => setTimeout(res, 20));
      }
    },
    async close() {
      await Promise.all(controllers.map((c) => c.stop()));
      for (const i of informers.values()) i.stop();
      if (!options.keepRoot) await zk.deleteRecursive(root).catch(() => undefined);
      zk.close();
    },
  };
}
