/**
 * Ceph faults (issue 12, items 5 and 6), on the real app, ZooKeeper and the one-OSD Ceph:
 * - a pool the cluster cannot serve (more copies than OSDs) is refused fast, naming copies and
 *   OSDs, and leaves nothing behind; the manual's pool call without `replcfg` gets the cluster's
 *   own pool defaults (1/1 on this stack, whose ceph.conf says so);
 * - a facade write still converging when its wait ends is stored and stays (the storage facade
 *   used to delete it, leaving it stuck behind its finalizer);
 * - a Ceph call that hangs is bounded, the object's condition names the command within one
 *   command timeout, and /metrics says Ceph is unreachable (a fake `rbd` that sleeps while a
 *   switch file exists stands for the dead OSD: killing the shared stack's OSD is not allowed);
 * - a CLI pointed at a mon that does not answer gives up by itself, saying it could not connect;
 * - a pool name with a NUL in a GET is a 400 naming it, not a 500.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephSnapshotController } from "../../controllers/ceph/snapshot.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { CephClient } from "../../src/ceph/client.ts";
import type { PvcError } from "../../src/errors.ts";
import type { Resource } from "../../src/resources/types.ts";
import { API_GROUP_VERSION } from "../../src/resources/types.ts";
import { getCondition } from "../../src/runtime/conditions.ts";
import {
  expectV1,
  removeRoot,
  startTestApp,
  type TestApp,
  testConfig,
  until,
  v1Call,
} from "../helpers/api-app.ts";
import { cephConf, uniqueRoot } from "../helpers/env.ts";

const CONTROLLERS = [cephPoolController, cephVolumeController, cephSnapshotController];

function condition(obj: Resource | undefined, type: string) {
  return getCondition(obj?.status?.conditions, type);
}

describe("Ceph faults: unserviceable pools, still-converging answers, bad names", () => {
  const root = uniqueRoot("cephfaults");
  const pvcRoot = `${root}/pvc`;
  const pool = `cf${process.pid}`;
  const p3 = `cf3x${process.pid}`;
  let t: TestApp;
  let hurried: TestApp;
  let ceph: CephClient;
  const call = (method: string, path: string, values: Record<string, string> = {}) =>
    v1Call(t.app.url, method, path, values);
  const poolInCeph = async (name: string) => (await ceph.poolLsDetail()).find((p) => p.name === name);

  before(async () => {
    ceph = new CephClient({ conf: cephConf() });
    const config = (waitMs: number) =>
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = pvcRoot;
        c.reconciler.cephConf = cephConf();
        c.reconciler.cephPollIntervalMs = 1000;
        c.reconciler.facadeWaitTimeoutMs = waitMs;
      });
    t = await startTestApp(config(30_000), { kindControllers: CONTROLLERS });
    // A second replica on the same store whose facade waits only 1 ms: every write it makes is
    // answered "stored but still converging" (the first replica's controllers converge it).
    hurried = await startTestApp(config(1), { kindControllers: [] });
  });
  after(async () => {
    await hurried?.app.close();
    await t?.app.close();
    for (const p of [pool, p3]) await ceph.poolRm(p).catch(() => undefined);
    await removeRoot(root);
  });

  test("POST pool without replcfg: the cluster's own defaults (1 copy on the one-OSD stack), 200", async () => {
    expectV1(
      await call("POST", "/storage/ceph/pool", { pool, pgs: "8" }),
      200,
      `Created new RBD pool '${pool}' with '8' PGs and replication configuration copies=1,mincopies=1.`,
    );
    const d = await poolInCeph(pool);
    assert.equal(d?.size, 1);
    assert.equal(d?.minSize, 1);
  });

  test("POST pool with 3 copies on one OSD: 510 at once naming copies and OSDs, and nothing left behind", async () => {
    const started = Date.now();
    const r = await call("POST", "/storage/ceph/pool", {
      pool: p3,
      pgs: "8",
      replcfg: "copies=3,mincopies=2",
    });
    const took = Date.now() - started;
    expectV1(
      r,
      510,
      new RegExp(
        `^CephPool "${p3}" failed: pool ${p3} wants 3 copies \\(at least 2 to serve I/O\\) but the cluster has 1 OSD in: .*lower spec\\.replication to at most 1`,
      ),
    );
    // It used to wait out the facade's 30 s (rbd pool init hanging on inactive PGs).
    assert.ok(took < 15_000, `answered after ${took} ms`);
    await until(
      "the refused CephPool to be gone",
      () => t.app.informers.get("CephPool")?.get(p3) === undefined,
    );
    assert.equal(await poolInCeph(p3), undefined, "no Ceph pool was created");
    assert.equal(await t.app.zk.exists(`${pvcRoot}/ceph/pools/${p3}`), null);
  });

  test("a CephPool asking for more copies than OSDs is Stalled Undersized; lowering them makes it Ready", async () => {
    await t.app.store.create({
      apiVersion: API_GROUP_VERSION,
      kind: "CephPool",
      metadata: { name: p3 },
      spec: { pgs: 8, replication: { copies: 2, minCopies: 2 } },
    });
    const informer = t.app.informers.get("CephPool");
    await until("Stalled", () => condition(informer?.get(p3), "Stalled")?.status === "True", 20_000);
    const stalled = condition(informer?.get(p3), "Stalled");
    assert.equal(stalled?.reason, "Undersized");
    assert.match(
      stalled?.message ?? "",
      /wants 2 copies \(at least 2 to serve I\/O\) but the cluster has 1 OSD in/,
    );
    assert.equal(await poolInCeph(p3), undefined);
    await t.app.store.patch("CephPool", p3, { spec: { replication: { copies: 1, minCopies: 1 } } });
    await until("Ready", () => condition(informer?.get(p3), "Ready")?.status === "True", 30_000);
    assert.equal((await poolInCeph(p3))?.size, 1);
    await t.app.store.delete("CephPool", p3);
    await until("deleted", () => informer?.get(p3) === undefined, 30_000);
  });

  test("a write still converging when the facade's wait ends is stored, as the answer says, and converges", async () => {
    const r = await v1Call(hurried.app.url, "POST", "/storage/ceph/volume", {
      pool,
      volume: "slow1",
      size: "8M",
    });
    expectV1(r, 510, new RegExp(`^CephVolume "${pool}\\.slow1" is stored but still converging after`));
    const informer = t.app.informers.get("CephVolume");
    await until(
      "the volume Ready",
      () => condition(informer?.get(`${pool}.slow1`), "Ready")?.status === "True",
      30_000,
    );
    assert.equal((await ceph.rbdInfo(pool, "slow1")).size, 8 * 1024 * 1024);
    expectV1(
      await call("DELETE", `/storage/ceph/volume/${pool}/slow1`),
      200,
      `Removed RBD volume 'slow1' in pool '${pool}'.`,
    );
  });

  test("GET with a pool name holding a NUL: 400 naming the value (was 500 BAD_ARGUMENTS)", async () => {
    const nul = "a\u0000b";
    expectV1(
      await call("GET", "/storage/ceph/volume", { pool: nul }),
      400,
      /^ERROR: invalid pool name "a\\u0000b": /,
    );
    const r = await fetch(`${t.app.url}/api/v1/storage/ceph/volume/a%00b/v`);
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { message: string }).message, /invalid pool name "a\\u0000b"/);
    expectV1(
      await call("GET", "/storage/ceph/volume/snapshot", { pool, volume: "x/../y" }),
      400,
      /^ERROR: invalid volume name "x\/\.\.\/y": /,
    );
    expectV1(await call("GET", "/storage/ceph/volume", { pool: "nosuchpool" }), 404, /No pool with name/);
  });
});

describe("Ceph faults: a Ceph call that hangs", () => {
  const root = uniqueRoot("cephhang");
  const pool = `ch${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), "ceph-hang-"));
  const hangFile = join(dir, "hang");
  const fakeRbd = join(dir, "rbd");
  const TIMEOUT_MS = 5000;
  let t: TestApp;
  let real: CephClient;

  before(async () => {
    // The dead OSD: while the switch file exists, every rbd command hangs (as rbd does with no
    // OSD to answer); otherwise it is the real rbd.
    writeFileSync(fakeRbd, `#!/bin/sh\n[ -e '${hangFile}' ] && exec sleep 600\nexec /usr/bin/rbd "$@"\n`);
    chmodSync(fakeRbd, 0o755);
    real = new CephClient({ conf: cephConf() });
    const client = new CephClient({ conf: cephConf(), timeoutMs: TIMEOUT_MS, binaries: { rbd: fakeRbd } });
    t = await startTestApp(
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = `${root}/pvc`;
        c.reconciler.cephConf = cephConf();
        c.reconciler.cephPollIntervalMs = 1000;
      }),
      { kindControllers: CONTROLLERS, ceph: client },
    );
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.app.close();
    await real.poolRm(pool).catch(() => undefined);
    await removeRoot(root);
  });

  test("the condition names the command that timed out, /metrics says Ceph is unreachable, and it recovers", async () => {
    const store = t.app.store;
    const pools = t.app.informers.get("CephPool");
    const volumes = t.app.informers.get("CephVolume");
    await store.create({
      apiVersion: API_GROUP_VERSION,
      kind: "CephPool",
      metadata: { name: pool },
      spec: { pgs: 8, replication: { copies: 1, minCopies: 1 } },
    });
    await until("the pool Ready", () => condition(pools?.get(pool), "Ready")?.status === "True", 30_000);
    writeFileSync(hangFile, "");
    const started = Date.now();
    await store.create({
      apiVersion: API_GROUP_VERSION,
      kind: "CephVolume",
      metadata: { name: `${pool}.v5` },
      spec: { pool, size: "8M" },
    });
    const name = `${pool}.v5`;
    await until(
      "Ready=False CephUnavailable",
      () => condition(volumes?.get(name), "Ready")?.reason === "CephUnavailable",
      TIMEOUT_MS * 3,
    );
    const took = Date.now() - started;
    const readyCond = condition(volumes?.get(name), "Ready");
    assert.equal(readyCond?.status, "False");
    assert.match(
      readyCond?.message ?? "",
      new RegExp(`^rbd (create|info) ${pool}/v5 timed out after 5 s \\(killed\\)$`),
    );
    assert.equal(condition(volumes?.get(name), "Reconciling")?.status, "True", "it keeps trying");
    assert.ok(took < TIMEOUT_MS * 3, `named after ${took} ms`);
    const metrics = await (await fetch(`${t.app.url}/metrics`)).text();
    assert.match(metrics, /^pvc_ceph_reachable 0$/m);
    assert.match(metrics, /^pvc_ceph_unanswered_calls\{binary="rbd"\} [1-9]/m);

    // The OSD is back: the volume is created, and Ceph counts as reachable again.
    rmSync(hangFile);
    await until("Ready", () => condition(volumes?.get(name), "Ready")?.status === "True", 60_000);
    assert.match(await (await fetch(`${t.app.url}/metrics`)).text(), /^pvc_ceph_reachable 1$/m);
    await store.delete("CephVolume", name);
    await until("the volume gone", () => volumes?.get(name) === undefined, 30_000);
    await store.delete("CephPool", pool);
    await until("the pool gone", () => pools?.get(pool) === undefined, 30_000);
  });

  test("a mon that does not answer: the CLI gives up by itself, well within the kill, saying so", async () => {
    const conf = join(dir, "dead.conf");
    // A port nothing listens on (the test stack's mons are elsewhere).
    writeFileSync(
      conf,
      "[global]\nfsid = 00000000-0000-0000-0000-000000000001\nmon host = [v2:127.0.0.1:1,v1:127.0.0.1:2]\nauth cluster required = none\nauth service required = none\nauth client required = none\n",
    );
    const dead = new CephClient({ conf, timeoutMs: 6_000 });
    for (const run of [() => dead.rbdCreate("p", "v", 1 << 20), () => dead.status(), () => dead.radosDf()]) {
      const started = Date.now();
      await assert.rejects(run(), (err: Error) => {
        assert.equal((err as PvcError).details?.unavailable, true, `${err.message} counts as no answer`);
        assert.doesNotMatch(err.message, /killed/, "the CLI gave up on its own");
        return true;
      });
      // The connect bound is 3 s for a 6 s call; without it the CLIs retry for 300 s (and are killed).
      assert.ok(Date.now() - started < 5_500, `gave up after ${Date.now() - started} ms`);
    }
    assert.equal(dead.reachability.reachable, false);
  });
});
