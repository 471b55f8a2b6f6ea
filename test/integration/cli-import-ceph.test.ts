/**
 * `pvcctl import` of Ceph objects built through /api/v1/storage (as PVC's own clients would), on
 * the real Ceph: the manifests it writes, applied to a fresh store with the Ceph controllers, adopt
 * the pool, the volume and the snapshot as they are — same pool id, replication and pg count, same
 * image id and size, same snapshot — and become Ready; a second apply changes nothing.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephSnapshotController } from "../../controllers/ceph/snapshot.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { CephClient } from "../../src/ceph/client.ts";
import { removeRoot, startTestApp, type TestApp, testConfig, v1Ok } from "../helpers/api-app.ts";
import { cephConf, uniqueRoot, zkConnect } from "../helpers/env.ts";
import { assertAllUnchanged, pvcctl, show } from "./cli-helpers.ts";

const CONTROLLERS = [cephPoolController, cephVolumeController, cephSnapshotController];

describe("pvcctl import of Ceph objects", () => {
  const root = uniqueRoot("cliimportceph");
  const pvcRoot = `${root}/pvc`;
  const pool = `imp${process.pid}`;
  let dir: string;
  let t: TestApp | undefined;
  let ceph: CephClient;

  const configFor = (store: string) =>
    testConfig(`${root}/${store}`, (c) => {
      c.reconciler.pvcRoot = pvcRoot;
      c.reconciler.cephConf = cephConf();
      c.reconciler.logLevel = "warn";
      c.reconciler.facadeWaitTimeoutMs = 30_000;
    });

  const v1 = (method: string, path: string, values: Record<string, string>) =>
    v1Ok(t?.app.url ?? "", method, path, values);

  /** What Ceph holds of our pool: any create, resize, recreate or delete changes it. */
  async function cephState(): Promise<Record<string, unknown>> {
    const d = (await ceph.poolLsDetail()).find((p) => p.name === pool);
    const info = await ceph.rbdInfo(pool, "disk1");
    const snaps = (await ceph.snapLs(pool, "disk1")).map((s) => s.name);
    return {
      id: d?.id,
      size: d?.size,
      minSize: d?.minSize,
      pgs: d?.pgNumTarget,
      image: info.id,
      bytes: info.size,
      snaps,
    };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pvcctl-import-ceph-"));
    ceph = new CephClient({ conf: cephConf() });
    // The cluster, built through PVC's API with the Ceph controllers.
    t = await startTestApp(configFor("store-a"), { kindControllers: CONTROLLERS });
    await t.app.zk.mkdirp(`${pvcRoot}/nodes/${hostname()}`);
    await v1("POST", "/storage/ceph/pool", { pool, pgs: "8", replcfg: "copies=1,mincopies=1" });
    await v1("POST", "/storage/ceph/volume", { pool, volume: "disk1", size: "64M" });
    await v1("POST", "/storage/ceph/volume/snapshot", { pool, volume: "disk1", snapshot: "snap1" });
    await t.app.close();
    t = undefined;
  });
  after(async () => {
    await t?.app.close();
    await ceph.snapRm(pool, "disk1", "snap1").catch(() => undefined);
    await ceph.rbdRm(pool, "disk1").catch(() => undefined);
    await ceph.poolRm(pool).catch(() => undefined);
    await removeRoot(root);
    await rm(dir, { recursive: true, force: true });
  });

  test("imported manifests adopt the pool, volume and snapshot without changing them", async () => {
    const imported = await pvcctl(
      ["import", "--zk", zkConnect(), "--pvc-root", pvcRoot, "--ceph-conf", cephConf(), "--out", dir],
      { CEPH_CONF: cephConf() },
    );
    assert.equal(imported.code, 0, show(imported));
    assert.doesNotMatch(imported.stderr, /assumed/, "replication read from Ceph, not assumed");
    const text = await readFile(join(dir, "ceph.yaml"), "utf8");
    assert.match(text, new RegExp(`name: ${pool}\\n`));
    assert.match(text, /copies: 1/);
    assert.match(text, new RegExp(`name: ${pool}\\.disk1\\n`));
    assert.match(text, new RegExp(`name: ${pool}\\.disk1@snap1\\n`));
    assert.match(text, /size: 67108864/);

    const before = await cephState();
    // A new control plane (its own store) over the same cluster.
    t = await startTestApp(configFor("store-b"), { kindControllers: CONTROLLERS });
    const env = { PVCCTL_SERVER: t.app.url };
    const applied = await pvcctl(["apply", "-f", dir, "--wait", "--timeout", "60s"], env);
    assert.equal(applied.code, 0, show(applied));
    for (const name of [`cephpool/${pool}`, `cephvolume/${pool}.disk1`, `cephsnapshot/${pool}.disk1@snap1`]) {
      assert.match(applied.stdout, new RegExp(`${name.replace(".", "\\.")} ready\\n`), show(applied));
    }
    assert.deepEqual(await cephState(), before, "Ceph unchanged: adopted, not created, resized or replaced");
    assert.equal(
      (await t.app.zk.get(`${pvcRoot}/ceph/pools/${pool}/pgs`)).data,
      "8",
      "the pool's PVC keys are kept",
    );
    const again = await pvcctl(["apply", "-f", dir], env);
    assertAllUnchanged(again);
  });
});
