/**
 * The fault suite's mixed workload: networks, CephVolumes, CephSnapshots and VMs whose XML names
 * RBD disks, declared in units of four (a network, a volume, a snapshot of it, a VM using it),
 * applied over the declarative API with retries (the server may be dead or without ZooKeeper for
 * a while: an apply is repeated until one is acknowledged), then checked for convergence.
 */
import { randomUUID } from "node:crypto";

export const GROUP_PATH = "/apis/pvc.parallelvirtualcluster.org/v1";
const API_VERSION = "pvc.parallelvirtualcluster.org/v1";

/** The one Ceph pool every scenario's volumes live in (created by the runner). */
export const FAULT_POOL = "faults";

export interface Declared {
  kind: string;
  plural: string;
  name: string;
  spec: Record<string, unknown>;
}

export interface Workload {
  prefix: string;
  /** The Ceph pool of its volumes (one per store root: a pool belongs to one reconciler). */
  pool: string;
  objects: Declared[];
  /** Network VNIs, volume names, VM uuids by name: what the checks look for in PVC's keys and Ceph. */
  vnis: number[];
  volumes: string[];
  /** `volume@snapshot`. */
  snapshots: string[];
  vms: Array<{ name: string; uuid: string; volume: string }>;
}

/**
 * Hook for kinds that land later (provisioning from a profile is being built on another branch):
 * a function returning more objects per unit joins the workload without changing the scenarios.
 */
export type ExtraObjects = (prefix: string, unit: number) => Declared[];
const extraObjects: ExtraObjects[] = [];
export function addWorkloadKind(extra: ExtraObjects): void {
  extraObjects.push(extra);
}

let nextVni = 20_000;

function vmXml(name: string, uuid: string, pool: string, volume: string): string {
  return `<domain type='kvm'><name>${name}</name><uuid>${uuid}</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu><devices><disk type='network' device='disk'><driver name='qemu' discard='unmap'/><source protocol='rbd' name='${pool}/${volume}'><host name='127.0.0.1' port='6789'/></source><target dev='sda' bus='scsi'/></disk></devices></domain>`;
}

/** About `count` objects (rounded up to whole units), names starting with `prefix`. */
export function mixedWorkload(prefix: string, count: number, pool = FAULT_POOL): Workload {
  const w: Workload = { prefix, pool, objects: [], vnis: [], volumes: [], snapshots: [], vms: [] };
  const units = Math.max(1, Math.ceil(count / 4));
  const later: Declared[] = [];
  for (let u = 0; u < units; u++) {
    const vni = nextVni++;
    // vni < 65,536: two octets of it make a /24 no other network of the suite has.
    const net = `10.${(vni >> 8) & 255}.${vni & 255}`;
    w.vnis.push(vni);
    w.objects.push({
      kind: "Network",
      plural: "networks",
      name: `${prefix}n${u}`,
      spec: {
        vni,
        type: "managed",
        description: `${prefix}n${u}`,
        ipv4: { network: `${net}.0/24`, gateway: `${net}.1` },
      },
    });
    const volume = `${prefix}v${u}`;
    w.volumes.push(volume);
    w.objects.push({
      kind: "CephVolume",
      plural: "cephvolumes",
      name: `${pool}.${volume}`,
      spec: { pool, name: volume, size: "16M" },
    });
    w.snapshots.push(`${volume}@s`);
    later.push({
      kind: "CephSnapshot",
      plural: "cephsnapshots",
      name: `${pool}.${volume}@s`,
      spec: { pool, volume, name: "s" },
    });
    const vm = { name: `${prefix}vm${u}`, uuid: randomUUID(), volume };
    w.vms.push(vm);
    later.push({
      kind: "VirtualMachine",
      plural: "virtualmachines",
      name: vm.name,
      spec: { xml: vmXml(vm.name, vm.uuid, pool, volume), runState: "start" },
    });
    for (const extra of extraObjects) later.push(...extra(prefix, u));
  }
  // Dependencies first: what a VM or a snapshot names exists before it is applied.
  w.objects.push(...later);
  return w;
}

/** `count` CephVolumes only (what an OSD outage stops). */
export function volumeWorkload(prefix: string, count: number, pool = FAULT_POOL): Workload {
  const w: Workload = { prefix, pool, objects: [], vnis: [], volumes: [], snapshots: [], vms: [] };
  for (let i = 0; i < count; i++) {
    const volume = `${prefix}v${i}`;
    w.volumes.push(volume);
    w.objects.push({
      kind: "CephVolume",
      plural: "cephvolumes",
      name: `${pool}.${volume}`,
      spec: { pool, name: volume, size: "16M" },
    });
  }
  return w;
}

/** One server-side apply; the HTTP status, 0 when the server did not answer. */
export async function applyOnce(url: string, o: Declared): Promise<number> {
  const body = { apiVersion: API_VERSION, kind: o.kind, metadata: { name: o.name }, spec: o.spec };
  const res = await fetch(`${url}${GROUP_PATH}/${o.plural}/${encodeURIComponent(o.name)}?apply=true`, {
    method: "PATCH",
    headers: { "content-type": "application/apply-patch+yaml" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  }).catch(() => undefined);
  if (!res) return 0;
  await res.arrayBuffer();
  return res.status;
}

/**
 * Applies every object, `concurrency` at a time, each until acknowledged (2xx); `urls()` gives the
 * servers to try (replicas: the next one on failure). A 4xx is a bug in the workload: thrown.
 */
export async function applyAll(
  urls: () => string[],
  objects: readonly Declared[],
  options: { concurrency?: number; deadlineMs?: number; progress?: { acked: number } } = {},
): Promise<void> {
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const o = objects[next++];
      for (let attempt = 0; ; attempt++) {
        const list = urls();
        const status = await applyOnce(list[attempt % list.length], o);
        if (status >= 200 && status < 300) {
          if (options.progress) options.progress.acked++;
          break;
        }
        if (status >= 400 && status < 500 && status !== 409 && status !== 429) {
          throw new Error(`apply of ${o.kind} ${o.name} refused: HTTP ${status}`);
        }
        if (Date.now() > deadline) throw new Error(`apply of ${o.kind} ${o.name} not acknowledged in time`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, objects.length) }, worker));
}

interface Listed {
  items: Array<{
    metadata: { name: string; generation: number };
    spec: unknown;
    status?: { conditions?: Array<{ type: string; status: string; observedGeneration?: number }> };
  }>;
}

export interface StoreView {
  /** Declared objects missing from the store. */
  missing: string[];
  /** Present but not Ready for their generation. */
  notReady: string[];
  /** Each object's spec as stored (after defaults), by `plural/name`. */
  specs: Map<string, unknown>;
}

/** What the store holds of `objects` (one list per kind); null when the server did not answer. */
export async function storeView(url: string, objects: readonly Declared[]): Promise<StoreView | null> {
  const plurals = [...new Set(objects.map((o) => o.plural))];
  const byKey = new Map<string, Listed["items"][number]>();
  for (const plural of plurals) {
    const res = await fetch(`${url}${GROUP_PATH}/${plural}`, { signal: AbortSignal.timeout(30_000) }).catch(
      () => undefined,
    );
    if (res?.status !== 200) return null;
    for (const item of ((await res.json()) as Listed).items)
      byKey.set(`${plural}/${item.metadata.name}`, item);
  }
  const view: StoreView = { missing: [], notReady: [], specs: new Map() };
  for (const o of objects) {
    const key = `${o.plural}/${o.name}`;
    const item = byKey.get(key);
    if (!item) {
      view.missing.push(key);
      continue;
    }
    view.specs.set(key, item.spec);
    const ready = (item.status?.conditions ?? []).some(
      (c) => c.type === "Ready" && c.status === "True" && c.observedGeneration === item.metadata.generation,
    );
    if (!ready) view.notReady.push(key);
  }
  return view;
}

/**
 * Waits until every object is Ready (re-applying any the store lost is NOT done: a lost object
 * is what the suite counts). Returns the last view and the time it took.
 */
export async function awaitConverged(
  urls: () => string[],
  objects: readonly Declared[],
  timeoutMs: number,
): Promise<{ view: StoreView | null; ms: number; converged: boolean }> {
  const started = Date.now();
  let view: StoreView | null = null;
  for (let i = 0; ; i++) {
    const list = urls();
    view = await storeView(list[i % list.length], objects);
    if (view && view.missing.length === 0 && view.notReady.length === 0) {
      return { view, ms: Date.now() - started, converged: true };
    }
    if (Date.now() - started > timeoutMs) return { view, ms: Date.now() - started, converged: false };
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Deletes `objects` (dependents first) and waits until the store has none of them: a scenario of
 * many runs keeps its store small, so each restart reconciles one run's objects, not all of them.
 * Returns the names still there when `timeoutMs` ran out.
 */
export async function deleteAll(
  url: string,
  objects: readonly Declared[],
  timeoutMs = 120_000,
): Promise<string[]> {
  const path = (o: Declared) => `${url}${GROUP_PATH}/${o.plural}/${encodeURIComponent(o.name)}`;
  for (const o of [...objects].reverse()) {
    await fetch(path(o), { method: "DELETE", signal: AbortSignal.timeout(15_000) }).catch(() => undefined);
  }
  const deadline = Date.now() + timeoutMs;
  let left = [...objects];
  while (left.length > 0 && Date.now() < deadline) {
    const status = await Promise.all(
      left.map((o) =>
        fetch(path(o), { signal: AbortSignal.timeout(15_000) }).then(
          (r) => r.status,
          () => 0,
        ),
      ),
    );
    left = left.filter((_, i) => status[i] !== 404);
    if (left.length > 0) await new Promise((r) => setTimeout(r, 500));
  }
  return left.map((o) => `${o.plural}/${o.name}`);
}
