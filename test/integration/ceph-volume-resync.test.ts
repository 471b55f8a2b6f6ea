/**
 * A resync of converged CephVolumes reads nothing from Ceph: the image poller's listing and the
 * mirror of PVC's keys already say the volumes are as their status says. Before, every resync ran
 * one `rbd info` per volume (at 2,000 resources: 3,917 calls for 400 volumes in one run, the queue
 * never empty). A change behind our back is still read and repaired.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { type CallOptions, CephClient } from "../../src/ceph/client.ts";
import type { RbdImageInfo } from "../../src/ceph/types.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";
import { cephConf } from "../helpers/env.ts";

const API = "pvc.parallelvirtualcluster.org/v1";
const MiB = 1024 * 1024;
const RESYNC_MS = 1000;

/** The real client, counting its `rbd info` calls. */
class CountingCeph extends CephClient {
  infos = 0;
  override rbdInfo(pool: string, volume: string, opts?: CallOptions): Promise<RbdImageInfo> {
    this.infos++;
    return super.rbdInfo(pool, volume, opts);
  }
}

const isTrue = (r: Resource | null, type: string) =>
  (r?.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");
const isMirrored = (r: Resource | null) =>
  r?.status?.observedGeneration === r?.metadata.generation && isTrue(r, "Ready") && isTrue(r, "Mirrored");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("CephVolume resync", () => {
  let h: Harness;
  const ceph = new CountingCeph({ conf: cephConf() });
  const pool = `rsy${process.pid}`;
  const names = ["a", "b", "c"].map((n) => `${pool}.${n}`);

  before(async () => {
    h = await startHarness("cephresync", [cephPoolController, cephVolumeController], {
      ceph,
      settings: { resyncPeriodMs: RESYNC_MS, cephPollIntervalMs: 500 },
    });
    await h.store.create({
      apiVersion: API,
      kind: "CephPool",
      metadata: { name: pool },
      spec: { pgs: 8, replication: { copies: 1, minCopies: 1 } },
    });
    for (const name of names) {
      const image = name.slice(pool.length + 1);
      await h.store.create({
        apiVersion: API,
        kind: "CephVolume",
        metadata: { name },
        spec: { pool, name: image, size: "16M" },
      });
    }
    for (const name of names) await h.waitFor("CephVolume", name, isMirrored, 60_000);
  });
  after(async () => {
    await h.close();
    await ceph.poolRm(pool).catch(() => undefined);
  });

  test("resyncs of converged volumes run no rbd info; a size changed behind our back is still repaired", async () => {
    // Two polls of the pool, so that the listing has seen every image as its status says.
    await sleep(1500);
    ceph.infos = 0;
    await sleep(4 * RESYNC_MS);
    assert.equal(ceph.infos, 0, `rbd info ran ${ceph.infos} times over four resyncs of 3 converged volumes`);

    await execa("rbd", ["--conf", cephConf(), "resize", "--size", "8M", "--allow-shrink", `${pool}/a`]);
    const deadline = Date.now() + 30_000;
    while ((await ceph.rbdInfo(pool, "a")).size !== 16 * MiB) {
      assert.ok(Date.now() < deadline, "the size changed behind our back was not put back");
      await sleep(200);
    }
    await h.waitFor("CephVolume", names[0], isMirrored, 30_000);
  });
});
