/**
 * Builds the ControllerContext from the long-lived parts (the app's composition root and the test
 * harness both use it, so a new field reaches every controller the same way).
 */
import type { Logger } from "pino";
import type { CephClient } from "../src/ceph/client.ts";
import { ImagePoller } from "../src/ceph/image-poller.ts";
import type { PvcKeys } from "../src/pvc/keys.ts";
import type { RuntimeMetrics } from "../src/runtime/metrics.ts";
import { MirrorSet } from "../src/runtime/mirror.ts";
import { type EventRecorder, objectEvents } from "../src/store/events.ts";
import type { InformerOf } from "../src/store/informer.ts";
import type { ResourceStore } from "../src/store/store.ts";
import type { ZkClient } from "../src/zk/client.ts";
import type { ControllerContext, ControllerSettings } from "./types.ts";

export interface ContextParts {
  zk: ZkClient;
  store: ResourceStore;
  informer: InformerOf;
  events: EventRecorder;
  pvc: PvcKeys;
  metrics: RuntimeMetrics;
  logger: Logger;
  settings: ControllerSettings;
  ceph: CephClient;
}

export function controllerContext(parts: ContextParts): ControllerContext {
  const { store, events, logger } = parts;
  return {
    ...parts,
    mirrors: new MirrorSet(parts.zk),
    cephImages: new ImagePoller(parts.ceph, { intervalMs: parts.settings.cephPollIntervalMs, logger }),
    eventsOf: (obj) =>
      objectEvents(events, store.kindInfo(obj.kind).plural, obj.metadata.name, (err) =>
        logger.warn({ err, kind: obj.kind, name: obj.metadata.name }, "recording an event failed"),
      ),
  };
}
