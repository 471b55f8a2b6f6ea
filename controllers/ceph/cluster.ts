/**
 * The CephCluster loop: what PVC's primary node daemon kept in ZooKeeper about the cluster as a
 * whole, refreshed every max(cephPollIntervalMs, 5 s) on the leader, in one multi per refresh
 * and zero writes when nothing changed:
 *
 * - `/ceph`: the last `ceph status` text; `/ceph/radosdf`: the last `rados df` text;
 * - `/ceph/osds/<id>` (value ''), with `node` (the CRUSH host), `device` (from `ceph osd
 *   metadata`) and `stats`: PVC's merge of `ceph osd dump` (uuid, up, in, primary_affinity),
 *   `ceph osd df` (utilization, var, pgs, kb, weight, reweight) and `ceph osd status` (node, used,
 *   avail, wr_ops, wr_data, rd_ops, rd_data, state). OSDs that left the cluster leave the mirror.
 *
 * There is no OSD kind: OSD in/out and cluster flags are imperative operations (cluster-ops.ts,
 * called by the facade), which call `refreshCephCluster` afterwards so that the answer reflects
 * them. The loop itself plans against the mirror of `/ceph` it shares with the Ceph kinds
 * (keys.ts), so a refresh that changes nothing costs the CLI calls and no ZooKeeper round trip.
 */
import type { CephClient } from "../../src/ceph/client.ts";
import type { PvcKeys } from "../../src/pvc/keys.ts";
import { planTreeSync } from "../../src/pvc/tree-sync.ts";
import { Controller } from "../../src/runtime/controller.ts";
import type { ZkClient } from "../../src/zk/client.ts";
import type { ControllerContext, KindController } from "../types.ts";
import { CephKeys } from "./keys.ts";

export const CEPH_CLUSTER_KEY = "cluster";

/** Rows of `ceph osd status` (a table even with --format json on Pacific), by OSD id. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colour codes are the point
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;

export function parseOsdStatusTable(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const line of text.split("\n")) {
    const t = line.replace(ANSI_COLOUR, "").replace(/\|/g, " ").trim().split(/\s+/);
    if (t.length < 9 || !/^\d+$/.test(t[0])) continue;
    out.set(t[0], {
      node: t[1].split(".")[0],
      used: t[2],
      avail: t[3],
      wr_ops: t[4],
      wr_data: t[5],
      rd_ops: t[6],
      rd_data: t[7],
      state: t[8],
    });
  }
  return out;
}

/** The desired `/ceph/osds` subtree (including `/ceph/osds` itself) from the CLIs' outputs. */
export async function desiredOsdTree(ceph: CephClient, pvc: PvcKeys): Promise<Map<string, string>> {
  const [dump, tree, metadata, statusText] = await Promise.all([
    ceph.osdDump(),
    ceph.osdTree(),
    ceph.runner.json("ceph", ["osd", "metadata"]) as Promise<Record<string, unknown>[]>,
    ceph.runner.run("ceph", ["osd", "status"]).then((r) => r.stdout),
  ]);
  // `ceph osd df` hangs without a mgr (measured): only ask when there are OSDs.
  const df = dump.osds.length > 0 ? await ceph.osdDf() : undefined;
  const status = parseOsdStatusTable(statusText);
  const hostOf = new Map<number, string>();
  for (const n of tree.nodes) if (n.type === "host") for (const c of n.children) hostOf.set(c, n.name);
  const metaOf = new Map(metadata.map((m) => [Number(m.id), m]));
  const dfOf = new Map(
    (df?.raw.nodes as Record<string, unknown>[] | undefined)?.map((n) => [Number(n.id), n]) ?? [],
  );
  const desired = new Map<string, string>([[pvc.cephOsds(), ""]]);
  for (const osd of dump.osds) {
    const id = osd.osd;
    const raw =
      ((dump.raw.osds as Record<string, unknown>[] | undefined) ?? []).find((o) => o.osd === id) ?? {};
    const d = dfOf.get(id) ?? {};
    const meta = metaOf.get(id) ?? {};
    const stats: Record<string, unknown> = {
      uuid: raw.uuid,
      up: raw.up,
      in: raw.in,
      primary_affinity: raw.primary_affinity,
      utilization: d.utilization,
      var: d.var,
      pgs: d.pgs,
      kb: d.kb,
      weight: d.crush_weight,
      reweight: d.reweight,
      ...(status.get(String(id)) ?? { node: hostOf.get(id) ?? "" }),
    };
    const device = String(meta.bluestore_bdev_dev_node ?? meta.bluestore_bdev_path ?? meta.devices ?? "");
    desired.set(pvc.cephOsd(id), "");
    desired.set(pvc.cephOsdKey(id, "node"), String(stats.node ?? hostOf.get(id) ?? ""));
    desired.set(pvc.cephOsdKey(id, "device"), device);
    desired.set(pvc.cephOsdKey(id, "stats"), JSON.stringify(stats));
  }
  return desired;
}

/** Everything the loop keeps: `/ceph` (status text), `/ceph/radosdf` and the `/ceph/osds` subtree. */
async function desiredClusterKeys(ceph: CephClient, pvc: PvcKeys): Promise<Map<string, string>> {
  const [statusText, radosText, osds] = await Promise.all([
    ceph.statusText(),
    ceph.radosDfText(),
    desiredOsdTree(ceph, pvc),
  ]);
  const desired = new Map(osds);
  desired.set(pvc.ceph(), statusText);
  desired.set(pvc.cephRadosdf(), radosText);
  return desired;
}

/**
 * One refresh of `/ceph`, `/ceph/radosdf` and `/ceph/osds`, planned against a fresh read of those
 * keys and written in one multi; returns the changed paths. CephClusterOps calls it after OSD and
 * flag commands, so it needs no controller context.
 */
export async function refreshCephCluster(deps: {
  zk: ZkClient;
  pvc: PvcKeys;
  ceph: CephClient;
}): Promise<string[]> {
  const { zk, pvc, ceph } = deps;
  const desired = await desiredClusterKeys(ceph, pvc);
  await zk.mkdirp(pvc.ceph());
  const observed = new Map<string, string>();
  const paths = [pvc.ceph(), pvc.cephRadosdf(), ...(await zk.listTree(pvc.cephOsds()).catch(() => []))];
  await Promise.all(
    paths.map(async (p) => {
      const node = await zk.tryGet(p);
      if (node) observed.set(p, node.data);
    }),
  );
  const plan = planTreeSync(desired, observed);
  if (plan.ops.length > 0) await zk.multi(plan.ops);
  return plan.changed;
}

/** The controller's refresh: the same keys, planned against the shared mirror of `/ceph` (no reads). */
class CephClusterLoop {
  readonly #ctx: ControllerContext;
  readonly keys: CephKeys;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.keys = new CephKeys(ctx);
  }

  async refresh(): Promise<string[]> {
    const { ceph, pvc } = this.#ctx;
    const desired = await desiredClusterKeys(ceph, pvc);
    const cache = await this.keys.ready();
    const observed = new Map(cache.subtree(pvc.cephOsds()));
    for (const p of [pvc.ceph(), pvc.cephRadosdf()]) {
      const node = cache.get(p);
      if (node) observed.set(p, node.data);
    }
    const plan = planTreeSync(desired, observed);
    if (plan.ops.length > 0) await this.keys.commit(plan.ops);
    return plan.changed;
  }
}

export const cephClusterController: KindController = {
  kind: "CephCluster",
  create(ctx: ControllerContext): Controller {
    const every = Math.max(ctx.settings.cephPollIntervalMs, 5000);
    const loop = new CephClusterLoop(ctx);
    const controller = new Controller({
      kind: "CephCluster",
      reconcile: async () => {
        await loop.refresh();
        return { requeueAfter: every };
      },
      concurrency: 1,
      resyncPeriodMs: 0,
      metrics: ctx.metrics,
      logger: ctx.logger,
    });
    // Held while running; no key of it wakes the loop (it looks every interval).
    controller.useMirror(loop.keys.mirror, () => undefined);
    controller.resync(() => [CEPH_CLUSTER_KEY]);
    return controller;
  },
};
