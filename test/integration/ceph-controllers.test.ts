/**
 * CephPool, CephVolume and CephSnapshot controllers on the real one-node Ceph and ZooKeeper:
 * create, pg/replication convergence, resize (grow, refused shrink), clone, snapshots, drift
 * (image removed or resized behind our back, per onExternalDelete), foreign images, pool deletion
 * protection, and PVC's mirror keys after each step. A created volume is Ready (usable) before it
 * is Mirrored (its id and PVC's stats key read by the mirror lane), so what needs those waits for
 * Mirrored.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import {
  ADOPT_ANNOTATION,
  IMAGE_ID_ANNOTATION,
  POOL_FINALIZER,
  RENAME_FROM_ANNOTATION,
} from "../../controllers/ceph/common.ts";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephSnapshotController } from "../../controllers/ceph/snapshot.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { CephClient } from "../../src/ceph/client.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";
import { cephConf } from "../helpers/env.ts";

const API = "pvc.parallelvirtualcluster.org/v1";
const MiB = 1024 * 1024;

const cond = (type: string, reason?: string) => (r: Resource | null) =>
  (r?.status?.conditions ?? []).some(
    (c) => c.type === type && c.status === "True" && (reason === undefined || c.reason === reason),
  );
const isReady = (r: Resource | null) =>
  r?.status?.observedGeneration === r?.metadata.generation && cond("Ready")(r);
const isMirrored = (r: Resource | null) => isReady(r) && cond("Mirrored")(r);

/** A delete or patch of an object a controller may have deleted already. */
function alreadyGone(err: unknown): void {
  if ((err as { code?: string }).code !== "NOT_FOUND") throw err;
}

async function rbd(...args: string[]): Promise<string> {
  return (await execa("rbd", ["--conf", cephConf(), ...args])).stdout;
}
async function rbdInfo(spec: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await rbd("info", spec, "--format", "json"));
  } catch {
    return null;
  }
}

describe("Ceph kind controllers", () => {
  let h: Harness;
  let ceph: CephClient;
  const pool = `ctl${process.pid}`;

  async function poolDetail(name: string) {
    return (await ceph.poolLsDetail()).find((p) => p.name === name);
  }
  async function zkGet(path: string): Promise<string | null> {
    return (await h.zk.tryGet(path))?.data ?? null;
  }
  function volume(
    name: string,
    spec: Record<string, unknown>,
    annotations?: Record<string, string>,
  ): Resource {
    return {
      apiVersion: API,
      kind: "CephVolume",
      metadata: { name: `${pool}.${name}`, ...(annotations ? { annotations } : {}) },
      spec: { pool, ...spec },
    };
  }

  before(async () => {
    ceph = new CephClient({ conf: cephConf() });
    h = await startHarness("cephctl", [cephPoolController, cephVolumeController, cephSnapshotController], {
      ceph,
    });
  });
  after(async () => {
    await h.close();
    await ceph.poolRm(pool).catch(() => undefined);
  });

  test("a CephPool becomes a Ceph pool and PVC's mirror keys", async () => {
    await h.store.create({
      apiVersion: API,
      kind: "CephPool",
      metadata: { name: pool },
      spec: { pgs: 8, replication: { copies: 1, minCopies: 1 } },
    });
    const ready = await h.waitFor("CephPool", pool, isReady, 30_000);
    assert.deepEqual(ready?.metadata.finalizers, [POOL_FINALIZER]);
    const d = await poolDetail(pool);
    assert.ok(d);
    assert.equal(ready?.status?.poolId, d.id);
    assert.equal(d.pgNumTarget, 8);
    assert.equal(d.size, 1);
    assert.equal(d.minSize, 1);
    assert.ok(d.applicationMetadata.rbd, "rbd application enabled");
    assert.equal(await zkGet(h.pvc.cephPool(pool)), "");
    assert.equal(await zkGet(h.pvc.cephPoolKey(pool, "pgs")), "8");
    assert.equal(typeof JSON.parse((await zkGet(h.pvc.cephPoolKey(pool, "stats"))) ?? "x"), "object");
    assert.equal(await zkGet(h.pvc.cephPoolVolumes(pool)), "");
    assert.equal(await zkGet(h.pvc.cephPoolSnapshots(pool)), "");
  });

  test("pg count converges against pg_num_target, and a pg change behind our back is repaired", async () => {
    await h.store.patch("CephPool", pool, { spec: { pgs: 16 } });
    await h.waitFor("CephPool", pool, isReady, 30_000);
    assert.equal((await poolDetail(pool))?.pgNumTarget, 16);
    assert.equal(await zkGet(h.pvc.cephPoolKey(pool, "pgs")), "16");
    // Drift: someone raises pg_num; the poll finds it and sets it back (a small decrease).
    await ceph.poolSet(pool, "pg_num", 17);
    const deadline = Date.now() + 20_000;
    while ((await poolDetail(pool))?.pgNumTarget !== 16) {
      assert.ok(Date.now() < deadline, "pg_num_target was not repaired");
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  test("a CephVolume is Ready after rbd create, then Mirrored from a real rbd info", async () => {
    // Every status the informer delivers, in order, to see Ready come before Mirrored.
    const seen: Array<Record<string, unknown>> = [];
    const record = (r: Resource) => {
      if (r.metadata.name === `${pool}.v1`) seen.push(structuredClone(r.status ?? {}));
    };
    const volumes = h.informer("CephVolume");
    volumes.on("add", record);
    volumes.on("update", record);
    try {
      await h.store.create(volume("v1", { size: "64M" }));
      await h.waitFor("CephVolume", `${pool}.v1`, isMirrored, 30_000);
    } finally {
      volumes.off("add", record);
      volumes.off("update", record);
    }
    const conditionOf = (st: Record<string, unknown>, type: string) =>
      ((st.conditions ?? []) as Array<{ type: string; status: string; reason: string }>).find(
        (c) => c.type === type,
      );
    const firstReady = seen.find((st) => conditionOf(st, "Ready")?.status === "True");
    assert.ok(firstReady, JSON.stringify(seen));
    // Ready first: usable and ours (createdAt), but no id and no stats claimed before rbd info.
    assert.equal(conditionOf(firstReady, "Mirrored")?.status, "False");
    assert.equal(conditionOf(firstReady, "Mirrored")?.reason, "Pending");
    assert.equal(typeof firstReady.createdAt, "string");
    assert.equal(firstReady.pendingCreate, undefined);
    assert.equal(firstReady.sizeBytes, 64 * MiB);
    assert.equal(firstReady.imageId, undefined);
    assert.equal(firstReady.stats, undefined);

    const mirrored = await h.store.get("CephVolume", `${pool}.v1`);
    const raw = await rbdInfo(`${pool}/v1`);
    assert.ok(raw);
    assert.equal(raw.size, 64 * MiB);
    assert.deepEqual(raw.features, ["layering", "exclusive-lock"]);
    assert.equal(mirrored.status?.imageId, raw.id);
    assert.equal(mirrored.status?.createdAt, undefined, "replaced by the id");
    assert.equal(mirrored.status?.sizeBytes, 64 * MiB);
    assert.equal(conditionOf(mirrored.status ?? {}, "Mirrored")?.reason, "Mirrored");
    // PVC's stats key is what rbd info --format json says about this image.
    const stats = JSON.parse((await zkGet(h.pvc.cephVolumeStats(pool, "v1"))) ?? "{}");
    for (const k of ["id", "name", "size", "block_name_prefix", "features", "format", "create_timestamp"])
      assert.deepEqual(stats[k], raw[k], k);
    assert.deepEqual(mirrored.status?.stats, stats, "status.stats is the same rbd info");
    assert.equal(await zkGet(h.pvc.cephVolume(pool, "v1")), "");
    assert.equal(await zkGet(h.pvc.cephVolumeSnapshots(pool, "v1")), "");
  });

  test("growing resizes; shrinking without allowShrink is reported and not done", async () => {
    await h.store.patch("CephVolume", `${pool}.v1`, { spec: { size: "128M" } });
    await h.waitFor("CephVolume", `${pool}.v1`, isReady, 30_000);
    assert.equal((await rbdInfo(`${pool}/v1`))?.size, 128 * MiB);
    assert.equal(JSON.parse((await zkGet(h.pvc.cephVolumeStats(pool, "v1"))) ?? "{}").size, 128 * MiB);

    await h.store.patch("CephVolume", `${pool}.v1`, { spec: { size: "32M" } });
    const st = await h.waitFor("CephVolume", `${pool}.v1`, cond("Stalled", "ShrinkNotAllowed"), 30_000);
    assert.match(String(st?.status?.conditions?.find((c) => c.type === "Stalled")?.message), /allowShrink/);
    assert.equal((await rbdInfo(`${pool}/v1`))?.size, 128 * MiB);

    await h.store.patch("CephVolume", `${pool}.v1`, { spec: { size: "32M", allowShrink: true } });
    await h.waitFor("CephVolume", `${pool}.v1`, isReady, 30_000);
    assert.equal((await rbdInfo(`${pool}/v1`))?.size, 32 * MiB);
  });

  test("a volume resized behind our back is grown back", async () => {
    await rbd("resize", `${pool}/v1`, "--size", "16M", "--allow-shrink", "--no-progress");
    const deadline = Date.now() + 20_000;
    while ((await rbdInfo(`${pool}/v1`))?.size !== 32 * MiB) {
      assert.ok(Date.now() < deadline, "size was not repaired");
      await new Promise((r) => setTimeout(r, 200));
    }
    await h.waitFor(
      "CephVolume",
      `${pool}.v1`,
      (r) => isReady(r) && r?.status?.sizeBytes === 32 * MiB,
      10_000,
    );
  });

  test("clone from a source volume (rbd copy) keeps the source's size", async () => {
    await h.store.create(volume("v1clone", { source: { volume: "v1" } }));
    const ready = await h.waitFor("CephVolume", `${pool}.v1clone`, isReady, 30_000);
    const info = await rbdInfo(`${pool}/v1clone`);
    assert.equal(info?.size, 32 * MiB);
    assert.notEqual(info?.id, (await rbdInfo(`${pool}/v1`))?.id);
    assert.equal(ready?.status?.imageId, info?.id);
  });

  test("a clone whose source comes later copies it once it is there (applied in one batch, any order)", async () => {
    // The clone first: no image and no CephVolume for its source yet.
    await h.store.create(volume("early-clone", { source: { volume: "late-source" } }));
    await h.waitFor("CephVolume", `${pool}.early-clone`, cond("Stalled", "SourceNotFound"), 10_000);
    // The source's object appears: the clone waits for it to be Ready, then copies it.
    await h.store.create(volume("late-source", { size: 16 * MiB }));
    await h.waitFor("CephVolume", `${pool}.early-clone`, isReady, 30_000);
    assert.equal((await rbdInfo(`${pool}/early-clone`))?.size, 16 * MiB);
  });

  test("a clone whose source is one of ours but not yet Ready reports WaitingForSource", async () => {
    // The pool the source needs does not exist, so the source stays not Ready.
    await h.store.create({
      apiVersion: API,
      kind: "CephVolume",
      metadata: { name: `nopool${process.pid}.src` },
      spec: { pool: `nopool${process.pid}`, size: 16 * MiB },
    });
    await h.store.create(
      volume("waiting-clone", { source: { pool: `nopool${process.pid}`, volume: "src" } }),
    );
    await h.waitFor("CephVolume", `${pool}.waiting-clone`, cond("Reconciling", "WaitingForSource"), 10_000);
    assert.equal(await rbdInfo(`${pool}/waiting-clone`), null, "nothing copied");
    await h.store.delete("CephVolume", `${pool}.waiting-clone`);
    await h.store.delete("CephVolume", `nopool${process.pid}.src`);
  });

  test("snapshots: taken once, mirrored, reported when removed behind our back, removed on delete", async () => {
    const name = `${pool}.v1@s1`;
    await h.store.create({
      apiVersion: API,
      kind: "CephSnapshot",
      metadata: { name },
      spec: { pool, volume: "v1" },
    });
    await h.waitFor("CephSnapshot", name, isReady, 30_000);
    const snaps = JSON.parse(await rbd("snap", "ls", `${pool}/v1`, "--format", "json"));
    assert.deepEqual(
      snaps.map((s: { name: string }) => s.name),
      ["s1"],
    );
    assert.equal(await zkGet(h.pvc.cephSnapshot(pool, "v1", "s1")), "");
    assert.equal(JSON.parse((await zkGet(h.pvc.cephSnapshotStats(pool, "v1", "s1"))) ?? "{}").name, "s1");

    await rbd("snap", "rm", `${pool}/v1@s1`, "--no-progress");
    await h.waitFor("CephSnapshot", name, cond("Stalled", "SnapshotLost"), 20_000);
    assert.equal(
      JSON.parse(await rbd("snap", "ls", `${pool}/v1`, "--format", "json")).length,
      0,
      "not retaken",
    );

    await h.store.delete("CephSnapshot", name);
    await h.waitFor("CephSnapshot", name, (r) => r === null, 20_000);
    assert.equal(await zkGet(h.pvc.cephSnapshot(pool, "v1", "s1")), null);

    await h.store.create({
      apiVersion: API,
      kind: "CephSnapshot",
      metadata: { name: `${pool}.v1@s2` },
      spec: { pool, volume: "v1" },
    });
    await h.waitFor("CephSnapshot", `${pool}.v1@s2`, isReady, 30_000);
    await h.store.delete("CephSnapshot", `${pool}.v1@s2`);
    await h.waitFor("CephSnapshot", `${pool}.v1@s2`, (r) => r === null, 20_000);
    assert.equal(JSON.parse(await rbd("snap", "ls", `${pool}/v1`, "--format", "json")).length, 0);
  });

  test("an image removed behind our back is reported (report) or created again (recreate)", async () => {
    await h.store.create(volume("lost", { size: "8M" }));
    await h.store.create(volume("phoenix", { size: "8M", onExternalDelete: "recreate" }));
    await h.waitFor("CephVolume", `${pool}.lost`, isMirrored, 30_000);
    const first = await h.waitFor("CephVolume", `${pool}.phoenix`, isMirrored, 30_000);
    await rbd("rm", `${pool}/lost`, "--no-progress");
    await rbd("rm", `${pool}/phoenix`, "--no-progress");

    const lost = await h.waitFor("CephVolume", `${pool}.lost`, cond("Stalled", "ImageLost"), 20_000);
    assert.match(String(lost?.status?.conditions?.find((c) => c.type === "Stalled")?.message), /report/);
    assert.equal(await rbdInfo(`${pool}/lost`), null, "report does not recreate");

    const again = await h.waitFor(
      "CephVolume",
      `${pool}.phoenix`,
      (r) => isMirrored(r) && r?.status?.imageId !== first?.status?.imageId,
      20_000,
    );
    const info = await rbdInfo(`${pool}/phoenix`);
    assert.equal(info?.id, again?.status?.imageId);
    assert.equal(info?.size, 8 * MiB);
    const events = await h.events.list("cephvolumes", `${pool}.phoenix`);
    assert.ok(events.some((e) => e.reason === "Recreated"));
    await h.store.delete("CephVolume", `${pool}.lost`);
    await h.waitFor("CephVolume", `${pool}.lost`, (r) => r === null, 20_000);
  });

  test("pool stats are refreshed in PVC's shape (ceph df + rados df)", async () => {
    const deadline = Date.now() + 20_000;
    let stats: Record<string, unknown> = {};
    while (!("num_objects" in stats)) {
      assert.ok(Date.now() < deadline, "stats were not refreshed");
      await new Promise((r) => setTimeout(r, 200));
      stats = JSON.parse((await zkGet(h.pvc.cephPoolKey(pool, "stats"))) ?? "{}");
    }
    const keys = ["id", "free_bytes", "used_bytes", "used_percent", "num_objects", "num_object_clones"];
    for (const k of [...keys, "num_object_copies", "num_objects_degraded", "read_ops", "write_bytes"])
      assert.ok(k in stats, k);
    assert.equal(stats.id, (await poolDetail(pool))?.id);
  });

  test("rename-from: the image is renamed by id, or adopted when the rename already happened", async () => {
    await h.store.create(volume("orig", { size: "4M" }));
    const orig = await h.waitFor("CephVolume", `${pool}.orig`, isMirrored, 20_000);
    const id = String(orig?.status?.imageId);
    // What the facade does: the old object may no longer touch the image, then the new one moves it.
    await h.store.patch("CephVolume", `${pool}.orig`, {
      spec: { deletionPolicy: "Retain", onExternalDelete: "report" },
    });
    await h.store.create(
      volume("moved", { size: "4M" }, { [RENAME_FROM_ANNOTATION]: "orig", [IMAGE_ID_ANNOTATION]: id }),
    );
    const moved = await h.waitFor("CephVolume", `${pool}.moved`, isMirrored, 20_000);
    assert.equal(moved?.status?.imageId, id);
    assert.equal((await rbdInfo(`${pool}/moved`))?.id, id);
    assert.equal(await rbdInfo(`${pool}/orig`), null);
    // The new object's controller deletes the old one itself once the rename is done (the
    // facade's own delete then finds it gone or going).
    await h.store.delete("CephVolume", `${pool}.orig`).catch(alreadyGone);
    await h.waitFor("CephVolume", `${pool}.orig`, (r) => r === null, 20_000);
    assert.equal(
      (await rbdInfo(`${pool}/moved`))?.id,
      id,
      "Retain: the old object's deletion left the image",
    );
    assert.equal(await zkGet(h.pvc.cephVolume(pool, "orig")), null);

    // A crash after rbd rename, before anything was recorded: a new object with the same
    // annotations finds the image under its own name, with the expected id, and adopts it.
    await rbd("rename", `${pool}/moved`, `${pool}/again`);
    await h.store.create(
      volume("again", { size: "4M" }, { [RENAME_FROM_ANNOTATION]: "moved", [IMAGE_ID_ANNOTATION]: id }),
    );
    const again = await h.waitFor("CephVolume", `${pool}.again`, isMirrored, 20_000);
    assert.equal(again?.status?.imageId, id);
    const images = JSON.parse(await rbd("ls", pool, "--format", "json")) as string[];
    assert.equal(images.filter((i) => ["orig", "moved", "again"].includes(i)).join(), "again", "one image");
    await h.store
      .patch("CephVolume", `${pool}.moved`, { spec: { deletionPolicy: "Retain" } })
      .catch(alreadyGone);
    await h.store.delete("CephVolume", `${pool}.moved`).catch(alreadyGone);
    await h.waitFor("CephVolume", `${pool}.moved`, (r) => r === null, 20_000);
  });

  test("an image that exists already is not taken over unless adopted", async () => {
    await rbd("create", `${pool}/foreign`, "--size", "4M");
    await h.store.create(volume("foreign", { size: "4M" }));
    await h.waitFor("CephVolume", `${pool}.foreign`, cond("Stalled", "ImageExists"), 20_000);
    await h.store.patch("CephVolume", `${pool}.foreign`, {
      metadata: { annotations: { [ADOPT_ANNOTATION]: "true" } },
    });
    const ready = await h.waitFor("CephVolume", `${pool}.foreign`, isReady, 20_000);
    assert.equal(ready?.status?.imageId, (await rbdInfo(`${pool}/foreign`))?.id);
  });

  test("deleting a volume removes the image and its mirror", async () => {
    await h.store.delete("CephVolume", `${pool}.v1clone`);
    await h.waitFor("CephVolume", `${pool}.v1clone`, (r) => r === null, 20_000);
    assert.equal(await rbdInfo(`${pool}/v1clone`), null);
    assert.equal(await zkGet(h.pvc.cephVolume(pool, "v1clone")), null);
    assert.equal(await zkGet(h.pvc.cephVolumeSnapshots(pool, "v1clone")), null);
  });

  test("a pool with volumes is not deleted until confirmed; then pool and mirror go", async () => {
    await h.store.delete("CephPool", pool);
    const blocked = await h.waitFor("CephPool", pool, cond("DeletionBlocked", "PoolHasVolumes"), 20_000);
    const message = String(blocked?.status?.conditions?.find((c) => c.type === "DeletionBlocked")?.message);
    for (const v of ["v1", "phoenix", "foreign", "again"]) assert.match(message, new RegExp(`\\b${v}\\b`));
    assert.ok(await poolDetail(pool), "the pool is still there");

    await h.store.patch("CephPool", pool, { spec: { confirmDeleteWithVolumes: pool } });
    await h.waitFor("CephPool", pool, (r) => r === null, 30_000);
    assert.equal(await poolDetail(pool), undefined);
    for (const p of [h.pvc.cephPool(pool), h.pvc.cephPoolVolumes(pool), h.pvc.cephPoolSnapshots(pool)]) {
      assert.equal(await zkGet(p), null, p);
    }
    // The volumes' objects are left to their owners: delete them (their images went with the pool).
    for (const v of ["v1", "phoenix", "foreign", "again"]) await h.store.delete("CephVolume", `${pool}.${v}`);
    for (const v of ["v1", "phoenix", "foreign", "again"])
      await h.waitFor("CephVolume", `${pool}.${v}`, (r) => r === null, 30_000);
  });
});
