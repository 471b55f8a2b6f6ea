/**
 * `spec.driftPolicy` on the Ceph kinds, on the real one-node Ceph and ZooKeeper. What the
 * controllers put back today, changed behind their back: a CephVolume's PVC `stats` key (as a
 * tool writing ZooKeeper would), a CephVolume's size and a CephPool's pg count (with the rbd and
 * ceph CLIs). Under Repair (the default) each is put back; under Report each is kept, the
 * resource shows Drifted naming it, with a DriftDetected event, until the policy goes back to
 * Repair (a spec change), which puts it back and ends the drift.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { CephClient } from "../../src/ceph/client.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";
import { cephConf } from "../helpers/env.ts";

const API = "pvc.parallelvirtualcluster.org/v1";
const MiB = 1024 * 1024;

const condition = (r: Resource<unknown> | null, type: string) =>
  (r?.status?.conditions ?? []).find((c) => c.type === type);
const isReady = (r: Resource<unknown> | null) =>
  condition(r, "Ready")?.status === "True" &&
  condition(r, "Ready")?.observedGeneration === r?.metadata.generation;
const isMirrored = (r: Resource<unknown> | null) => isReady(r) && condition(r, "Mirrored")?.status === "True";
const isDrifted = (r: Resource<unknown> | null) => condition(r, "Drifted")?.status === "True";

describe("driftPolicy on the Ceph kinds", () => {
  let h: Harness;
  let ceph: CephClient;
  const pool = `dp${process.pid}`;

  async function until(what: string, cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const zkGet = async (path: string) => (await h.zk.tryGet(path))?.data ?? null;
  const reasons = async (plural: string, name: string) =>
    (await h.events.list(plural, name)).map((e) => e.reason);

  async function volume(name: string, spec: Record<string, unknown> = {}): Promise<Resource> {
    await h.store.create({
      apiVersion: API,
      kind: "CephVolume",
      metadata: { name: `${pool}.${name}` },
      spec: { pool, size: "8M", ...spec },
    });
    const made = await h.waitFor("CephVolume", `${pool}.${name}`, isMirrored, 30_000);
    assert.ok(made);
    return made;
  }

  before(async () => {
    ceph = new CephClient({ conf: cephConf() });
    h = await startHarness("driftceph", [cephPoolController, cephVolumeController], { ceph });
    await h.store.create({
      apiVersion: API,
      kind: "CephPool",
      metadata: { name: pool },
      spec: { pgs: 8, replication: { copies: 1, minCopies: 1 } },
    });
    await h.waitFor("CephPool", pool, isReady, 30_000);
  });
  after(async () => {
    await h.close();
    await ceph.poolRm(pool).catch(() => undefined);
  });

  test("CephVolume, Repair: PVC's stats key written out of band is put back", async () => {
    const made = await volume("fixed");
    const stats = h.pvc.cephVolumeStats(pool, "fixed");
    const written = await zkGet(stats);
    await h.zk.set(stats, "{}");
    await until("the stats key put back", async () => (await zkGet(stats)) === written);
    assert.equal(JSON.parse(written ?? "{}").id, made.status?.imageId);
    assert.ok((await reasons("cephvolumes", `${pool}.fixed`)).includes("DriftRepaired"));
    assert.equal(isDrifted(await h.store.get("CephVolume", `${pool}.fixed`)), false);
  });

  test("CephVolume, Report: the key is kept and named by Drifted until the policy is Repair again", async () => {
    await volume("kept", { driftPolicy: "Report" });
    const name = `${pool}.kept`;
    const stats = h.pvc.cephVolumeStats(pool, "kept");
    const written = await zkGet(stats);
    await h.zk.set(stats, '{"edited":"by hand"}');
    const drifted = await h.waitFor("CephVolume", name, isDrifted, 20_000);
    assert.match(String(condition(drifted, "Drifted")?.message), new RegExp(stats));
    assert.deepEqual(drifted?.status?.drift, [stats]);
    assert.ok(isReady(drifted), "still Ready: the image is fine");
    assert.equal(await zkGet(stats), '{"edited":"by hand"}', "kept");
    assert.ok((await reasons("cephvolumes", name)).includes("DriftDetected"));

    await h.store.patch("CephVolume", name, { spec: { driftPolicy: "Repair" } });
    const repaired = await h.waitFor("CephVolume", name, (r) => isMirrored(r) && !isDrifted(r), 20_000);
    assert.equal(await zkGet(stats), written);
    assert.equal(repaired?.status?.drift, undefined);
  });

  test("CephVolume, Report: a size changed with rbd resize is kept and named (Repair grows it back: ceph-controllers)", async () => {
    await volume("grown", { driftPolicy: "Report" });
    const name = `${pool}.grown`;
    await ceph.rbdResize(pool, "grown", 16 * MiB);
    const drifted = await h.waitFor("CephVolume", name, isDrifted, 20_000);
    assert.match(String(condition(drifted, "Drifted")?.message), /size 16777216 \(want 8388608\)/);
    assert.equal(drifted?.status?.sizeBytes, 16 * MiB, "the status says what the image is");
    assert.equal((await ceph.rbdInfo(pool, "grown")).size, 16 * MiB, "kept");

    // Back to Repair: shrinking needs allowShrink, which the same change gives.
    await h.store.patch("CephVolume", name, { spec: { driftPolicy: "Repair", allowShrink: true } });
    await h.waitFor("CephVolume", name, (r) => isMirrored(r) && !isDrifted(r), 20_000);
    assert.equal((await ceph.rbdInfo(pool, "grown")).size, 8 * MiB);
  });

  test("CephPool, Report: pg_num changed with the ceph CLI is kept and named (Repair puts it back: ceph-controllers)", async () => {
    await h.store.patch("CephPool", pool, { spec: { driftPolicy: "Report" } });
    await h.waitFor("CephPool", pool, isReady, 20_000);
    await ceph.poolSet(pool, "pg_num", 9);
    const drifted = await h.waitFor("CephPool", pool, isDrifted, 20_000);
    assert.match(String(condition(drifted, "Drifted")?.message), /pg_num_target 9 \(want 8\)/);
    assert.ok((await reasons("cephpools", pool)).includes("DriftDetected"));
    assert.equal((await ceph.poolLsDetail()).find((p) => p.name === pool)?.pgNumTarget, 9, "kept");

    await h.store.patch("CephPool", pool, { spec: { driftPolicy: "Repair" } });
    await h.waitFor("CephPool", pool, (r) => isReady(r) && !isDrifted(r), 20_000);
    assert.equal((await ceph.poolLsDetail()).find((p) => p.name === pool)?.pgNumTarget, 8);
  });

  test("cleanup", async () => {
    for (const v of ["fixed", "kept", "grown"]) await h.store.delete("CephVolume", `${pool}.${v}`);
    for (const v of ["fixed", "kept", "grown"])
      await h.waitFor("CephVolume", `${pool}.${v}`, (r) => r === null, 30_000);
  });
});
