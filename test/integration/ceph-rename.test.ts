/**
 * The volume rename as the CephVolume controller's own work (issue 13, item 4), on the real
 * one-node Ceph and ZooKeeper, with no facade: a CephVolume created with the rename-from and
 * image-id annotations retires the old object, renames the image, has its snapshots adopted by
 * new CephSnapshots, retires the old snapshot objects and deletes the old volume object, saying
 * what it waits for in its conditions meanwhile; it resumes from a half-done rename (the image
 * already renamed, a new snapshot object already made) without doing anything twice; and an
 * object made later under the old name, for another image, is never touched.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { IMAGE_ID_ANNOTATION, RENAME_FROM_ANNOTATION } from "../../controllers/ceph/common.ts";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephSnapshotController } from "../../controllers/ceph/snapshot.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { CephClient } from "../../src/ceph/client.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";
import { cephConf } from "../helpers/env.ts";

const API = "pvc.parallelvirtualcluster.org/v1";

const holds = (type: string, reason?: string) => (r: Resource | null) =>
  (r?.status?.conditions ?? []).some(
    (c) => c.type === type && c.status === "True" && (reason === undefined || c.reason === reason),
  );
const isReady = (r: Resource | null) =>
  r?.status?.observedGeneration === r?.metadata.generation && holds("Ready")(r);
const isMirrored = (r: Resource | null) => isReady(r) && holds("Mirrored")(r);

describe("CephVolume rename-from: the controller of the new object does the whole rename", () => {
  let h: Harness;
  let ceph: CephClient;
  const pool = `ren${process.pid}`;

  const volume = (name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) => ({
    apiVersion: API,
    kind: "CephVolume",
    metadata: { name: `${pool}.${name}`, ...(annotations ? { annotations } : {}) },
    spec: { pool, ...spec },
  });
  const snapshot = (volumeName: string, name: string, annotations?: Record<string, string>) => ({
    apiVersion: API,
    kind: "CephSnapshot",
    metadata: { name: `${pool}.${volumeName}@${name}`, ...(annotations ? { annotations } : {}) },
    spec: { pool, volume: volumeName },
  });
  const renaming = (from: string, id: string) => ({
    [RENAME_FROM_ANNOTATION]: from,
    [IMAGE_ID_ANNOTATION]: id,
  });
  const zkGet = async (path: string) => (await h.zk.tryGet(path))?.data ?? null;
  const snapIds = async (image: string) =>
    new Map((await ceph.snapLs(pool, image)).map((s) => [s.name, s.id] as const));

  /** A volume with snapshots, all Ready and Mirrored; returns the image id. */
  async function volumeWithSnapshots(name: string, snaps: string[]): Promise<string> {
    await h.store.create(volume(name, { size: "8M" }));
    const made = await h.waitFor("CephVolume", `${pool}.${name}`, isMirrored, 30_000);
    for (const s of snaps) await h.store.create(snapshot(name, s));
    for (const s of snaps) await h.waitFor("CephSnapshot", `${pool}.${name}@${s}`, isReady, 30_000);
    return String(made?.status?.imageId);
  }

  /** What a finished rename leaves: one image (same id, same snapshots), objects and keys moved. */
  async function assertRenamed(from: string, to: string, id: string, snaps: Map<string, number>) {
    assert.equal((await ceph.rbdInfo(pool, to)).id, id, "the same image, not a copy");
    await assert.rejects(ceph.rbdInfo(pool, from), { code: "CEPH_ENOENT" });
    assert.deepEqual(await snapIds(to), snaps, "the same snapshots");
    const moved = await h.store.get("CephVolume", `${pool}.${to}`);
    assert.equal(moved.status?.imageId, id);
    assert.equal(await h.store.tryGet("CephVolume", `${pool}.${from}`), null, "the old object is gone");
    for (const [s, snapId] of snaps) {
      const adopted = await h.waitFor("CephSnapshot", `${pool}.${to}@${s}`, isReady, 10_000);
      assert.equal(adopted?.status?.snapId, snapId, `${s} adopted, not taken again`);
      assert.equal(
        await h.store.tryGet("CephSnapshot", `${pool}.${from}@${s}`),
        null,
        `old ${s} object gone`,
      );
      assert.equal(await zkGet(h.pvc.cephSnapshot(pool, to, s)), "");
    }
    assert.equal(JSON.parse((await zkGet(h.pvc.cephVolumeStats(pool, to))) ?? "{}").id, id);
    assert.equal(await zkGet(h.pvc.cephVolume(pool, from)), null, "the old keys are gone");
    assert.equal(await zkGet(h.pvc.cephVolumeSnapshots(pool, from)), null);
  }

  before(async () => {
    ceph = new CephClient({ conf: cephConf() });
    h = await startHarness("cephrename", [cephPoolController, cephVolumeController, cephSnapshotController], {
      ceph,
    });
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

  test("created with rename-from: old object retired and deleted, image renamed, snapshots adopted", async () => {
    const id = await volumeWithSnapshots("src", ["s1", "s2"]);
    const snaps = await snapIds("src");
    // Every reason the new object reports, as the informer sees its status.
    const reasons = new Set<string>();
    const informer = h.informer("CephVolume");
    const seen = (r: Resource) => {
      if (r.metadata.name !== `${pool}.dst`) return;
      for (const c of r.status?.conditions ?? [])
        if (c.status === "True") reasons.add(`${c.type}/${c.reason}`);
    };
    informer.on("add", seen);
    informer.on("update", seen);
    await h.store.create(volume("dst", { name: "dst", size: "8M" }, renaming("src", id)));
    await h.waitFor("CephVolume", `${pool}.src`, (r) => r === null, 30_000);
    const done = await h.waitFor("CephVolume", `${pool}.dst`, isMirrored, 30_000);
    informer.off("add", seen);
    informer.off("update", seen);
    assert.ok(reasons.has("Reconciling/Renaming"), `progress reported: ${[...reasons].join(", ")}`);
    assert.match(String(done?.status?.conditions?.find((c) => c.type === "Ready")?.message), /dst/);
    await assertRenamed("src", "dst", id, snaps);
    // The old object's deletionPolicy was Delete: it was retired first, so the image survived it.
    const events = await h.events.list("cephvolumes", `${pool}.dst`);
    assert.ok(events.some((e) => e.reason === "Renamed"));
  });

  test("resumes a half-done rename (image renamed, one snapshot object made) without doing anything twice", async () => {
    const id = await volumeWithSnapshots("half", ["a", "b"]);
    const snaps = await snapIds("half");
    // As if a controller had died mid-rename: the old object retired, the image renamed, the
    // first snapshot's new object made; nothing recorded on the new volume object yet.
    await h.store.patch("CephVolume", `${pool}.half`, {
      spec: { deletionPolicy: "Retain", onExternalDelete: "report" },
    });
    await h.waitFor(
      "CephVolume",
      `${pool}.half`,
      (r) => r?.status?.observedGeneration === r?.metadata.generation,
    );
    await ceph.rbdRename(pool, "half", "whole");
    await h.store.create(snapshot("whole", "a", { "pvc.parallelvirtualcluster.org/adopt": "true" }));
    await h.store.create(volume("whole", { name: "whole", size: "8M" }, renaming("half", id)));
    await h.waitFor("CephVolume", `${pool}.half`, (r) => r === null, 30_000);
    await h.waitFor("CephVolume", `${pool}.whole`, isMirrored, 30_000);
    await assertRenamed("half", "whole", id, snaps);
  });

  test("an object made later under the old name, for another image, is left alone", async () => {
    await h.store.create(volume("src", { size: "4M" }));
    const newcomer = await h.waitFor("CephVolume", `${pool}.src`, isMirrored, 30_000);
    // The finished rename's object looks again (as on a resync or a restart).
    const volumes = h.controllers[1];
    assert.equal(volumes.kind, "CephVolume");
    const outcome = await volumes.enqueue(`${pool}.dst`);
    assert.equal(outcome.result, "success");
    const still = await h.store.get("CephVolume", `${pool}.src`);
    assert.equal(still.metadata.deletionTimestamp, undefined, "not deleted");
    assert.equal(still.spec.deletionPolicy, "Delete", "not retired");
    assert.equal(still.status?.imageId, newcomer?.status?.imageId);
    assert.ok(await ceph.rbdInfo(pool, "src"));
  });

  test("cleanup: every volume and snapshot object deleted, images with them", async () => {
    for (const s of ["dst@s1", "dst@s2", "whole@a", "whole@b"])
      await h.store.delete("CephSnapshot", `${pool}.${s}`);
    for (const s of ["dst@s1", "dst@s2", "whole@a", "whole@b"])
      await h.waitFor("CephSnapshot", `${pool}.${s}`, (r) => r === null, 30_000);
    for (const v of ["dst", "whole", "src"]) await h.store.delete("CephVolume", `${pool}.${v}`);
    for (const v of ["dst", "whole", "src"])
      await h.waitFor("CephVolume", `${pool}.${v}`, (r) => r === null, 30_000);
    assert.deepEqual(await ceph.rbdLs(pool), []);
  });
});
