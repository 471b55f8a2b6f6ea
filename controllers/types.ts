/**
 * What every kind controller gets from the composition root (src/app.ts), and what it gives
 * back. A kind is one schema + one controller factory here + one facade file in api/v1/.
 */
import type { Logger } from "pino";
import type { CephClient } from "../src/ceph/client.ts";
import type { ImagePoller } from "../src/ceph/image-poller.ts";
import type { PvcKeys } from "../src/pvc/keys.ts";
import type { ObjectOf } from "../src/resources/specs.ts";
import type { Controller } from "../src/runtime/controller.ts";
import type { RuntimeMetrics } from "../src/runtime/metrics.ts";
import type { MirrorSet } from "../src/runtime/mirror.ts";
import type { EventRecorder, ObjectEvents } from "../src/store/events.ts";
import type { Informer } from "../src/store/informer.ts";
import type { ResourceStore } from "../src/store/store.ts";
import type { ZkClient } from "../src/zk/client.ts";

/** The VirtualMachine controller's waits (the manual's shutdown timeout; a delete's stop confirmation). */
export interface VmTimings {
  /** A graceful shutdown becomes a stop after this long (the manual: 90 s). */
  shutdownTimeoutMs: number;
  /** On delete, how long the node's confirmation of the stop is awaited before undefining anyway. */
  stopConfirmMs: number;
}

export interface ControllerSettings {
  /** Period of the full resync of every key (jittered). */
  resyncPeriodMs: number;
  /** How often Ceph-side state is polled for drift. */
  cephPollIntervalMs: number;
  /** Keys reconciled at once per controller. */
  concurrency: number;
  /** Other VM waits than the manual's (tests shorten them). */
  vmTimings?: Partial<VmTimings>;
}

export interface ControllerContext {
  zk: ZkClient;
  store: ResourceStore;
  /** Started, synced informers for every kind, by kind name, typed by kind (ObjectOf). */
  informer<K extends string>(kind: K): Informer<ObjectOf<K>>;
  events: EventRecorder;
  /** The events of one object (written after the verdict; a failure is logged, never thrown). */
  eventsOf(obj: { kind: string; metadata: { name: string } }): ObjectEvents;
  /** The mirrors of PVC subtrees (one per root, shared by the kinds that use it). */
  mirrors: MirrorSet;
  /** PVC's own keys (the contract with the node daemons). */
  pvc: PvcKeys;
  metrics: RuntimeMetrics;
  logger: Logger;
  settings: ControllerSettings;
  /** The Ceph CLIs (tests inject a subclass to act between an intent and its command). */
  ceph: CephClient;
  /**
   * The `rbd ls -l` poller the Ceph kinds share (one listing per pool per `cephPollIntervalMs`
   * whatever the number of kinds that watch it); subscribe through `Controller.watch`.
   */
  cephImages: ImagePoller;
}

export interface KindController {
  kind: string;
  /**
   * Finalizers the store puts on every new object of the kind, so the controller need not add
   * them with a write of its own before it may act (it still adds them to older objects).
   */
  finalizers?: readonly string[];
  /** Builds the controller; the manager starts and stops it with leadership. */
  create(ctx: ControllerContext): Controller;
}
