/**
 * What the VirtualMachine controller's steps share: the context, the informer and claims, the
 * mirrors of the PVC subtrees it reads (`/domains`, which it writes, and `/nodes`, `/ceph`,
 * `/networks`, which it only reads), and its timings.
 */
import type { CephClient } from "../../src/ceph/client.ts";
import type { VirtualMachine } from "../../src/resources/specs.ts";
import type { Mirror } from "../../src/runtime/mirror.ts";
import type { Informer } from "../../src/store/informer.ts";
import type { TreeCache } from "../../src/zk/tree-cache.ts";
import type { ControllerContext, VmTimings } from "../types.ts";
import type { VmClaims } from "./claims.ts";

export const VM_FINALIZER = "pvc.parallelvirtualcluster.org/virtualmachine";

export type { VmTimings } from "../types.ts";

export const DEFAULT_VM_TIMINGS: VmTimings = { shutdownTimeoutMs: 90_000, stopConfirmMs: 10_000 };

export interface VmViews {
  domains: TreeCache;
  nodes: TreeCache;
  ceph: TreeCache;
  networks: TreeCache;
}

export interface VmParts {
  ctx: ControllerContext;
  informer: Informer<VirtualMachine>;
  claims: VmClaims;
  mirrors: { domains: Mirror; nodes: Mirror; ceph: Mirror; networks: Mirror };
  timings: VmTimings;
}

/** The caches of the four mirrors, once each holds its subtree. */
export async function readyViews(parts: VmParts): Promise<VmViews> {
  const m = parts.mirrors;
  const [domains, nodes, ceph, networks] = await Promise.all([
    m.domains.ready(),
    m.nodes.ready(),
    m.ceph.ready(),
    m.networks.ready(),
  ]);
  return { domains, nodes, ceph, networks };
}

/** The Ceph client (deleting disks flushes their locks with it). */
export function cephOf(ctx: ControllerContext): CephClient {
  return ctx.ceph;
}

export function timingsOf(ctx: ControllerContext): VmTimings {
  return { ...DEFAULT_VM_TIMINGS, ...ctx.settings.vmTimings };
}

/** Whether a VM object exists and is not being deleted. */
export const isLive = (vm: VirtualMachine | undefined): vm is VirtualMachine =>
  vm !== undefined && !vm.metadata.deletionTimestamp;
