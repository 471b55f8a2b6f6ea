/**
 * Every /api/v1/storage endpoint over real HTTP, on the real app (store, informers, the Ceph
 * controllers and the CephCluster loop), the real ZooKeeper and the real one-node Ceph: status
 * codes, PVC v0.6's shapes and messages, each refused input, and the Ceph state (`rbd info`,
 * `ceph osd pool ls detail`) and PVC's /ceph keys after each request.
 */
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { after, before, describe, test } from "node:test";
import { cephClusterController } from "../../controllers/ceph/cluster.ts";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephSnapshotController } from "../../controllers/ceph/snapshot.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { CephClient } from "../../src/ceph/client.ts";
import type { ZkClient } from "../../src/zk/client.ts";
import { expectV1, testConfig, until, useTestApp, v1Call } from "../helpers/api-app.ts";
import { cephConf, uniqueRoot } from "../helpers/env.ts";

const MiB = 1024 * 1024;

describe("/api/v1/storage facade", () => {
  const root = uniqueRoot("storagefacade");
  const pvcRoot = `${root}/pvc`;
  const pool = `sf${process.pid}`;
  const t = useTestApp(
    root,
    () =>
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = pvcRoot;
        c.reconciler.cephConf = cephConf();
        c.reconciler.cephPollIntervalMs = 1000;
      }),
    {
      kindControllers: [
        cephPoolController,
        cephVolumeController,
        cephSnapshotController,
        cephClusterController,
      ],
    },
  );
  let zk: ZkClient;
  let ceph: CephClient;

  const call = (method: string, path: string, values: Record<string, string> = {}, asForm = false) =>
    v1Call(t.app.url, method, path, values, asForm);

  const zkGet = async (p: string) => (await zk.tryGet(`${pvcRoot}${p}`))?.data ?? null;
  const info = async (volume: string) => ceph.rbdInfo(pool, volume).catch(() => null);
  const detail = async () => (await ceph.poolLsDetail()).find((p) => p.name === pool);

  before(async () => {
    ceph = new CephClient({ conf: cephConf() });
    zk = t.app.zk;
    await zk.mkdirp(`${pvcRoot}/nodes/${hostname()}`);
  });
  // Registered after useTestApp's: runs once the app (and its Ceph controllers) has stopped.
  after(async () => {
    await ceph?.poolRm(pool).catch(() => undefined);
    await ceph?.osdUnset("noout").catch(() => undefined);
  });

  test("status and df: the last ceph status / rados df text, as PVC v0.6 shapes it", async () => {
    await until(
      "the CephCluster loop",
      async () => ((await zkGet("/ceph")) ?? "").includes("health"),
      20_000,
    );
    const s = await call("GET", "/storage/ceph");
    assert.equal(s.status, 200);
    const body = s.body as Record<string, string>;
    assert.deepEqual(Object.keys(body).sort(), ["ceph_data", "primary_node", "type"]);
    assert.equal(body.type, "status");
    assert.match(body.ceph_data, /cluster:[\s\S]*health:/);
    assert.deepEqual((await call("GET", "/storage/ceph/status")).body, s.body);
    const df = (await call("GET", "/storage/ceph/df")).body as Record<string, string>;
    assert.equal(df.type, "utilization");
    assert.match(df.ceph_data, /total_objects/);
    assert.equal((await call("GET", "/storage")).status, 200);
  });

  test("cluster-option: validation, then set and unset noout in Ceph", async () => {
    expectV1(
      await call("POST", "/storage/ceph/cluster-option", { option: "noout" }),
      510,
      "ERROR: An action must be specified.",
    );
    expectV1(
      await call("POST", "/storage/ceph/cluster-option", { action: "flip", option: "noout" }),
      510,
      "ERROR: Action must be one of: set, unset",
    );
    expectV1(
      await call("POST", "/storage/ceph/cluster-option", { action: "set" }),
      510,
      "ERROR: An option must be specified.",
    );
    expectV1(
      await call("POST", "/storage/ceph/cluster-option", { action: "set", option: "nosuch;rm" }),
      510,
      /Option 'nosuch;rm' is not valid/,
    );
    expectV1(
      await call("POST", "/storage/ceph/cluster-option", { action: "set", option: "noout" }, true),
      200,
      "Set OSD property noout on the cluster.",
    );
    assert.ok((await ceph.osdDump()).flags.includes("noout"));
    expectV1(
      await call("POST", "/storage/ceph/cluster-option", { action: "unset", option: "noout" }),
      200,
      "Unset OSD property noout on the cluster.",
    );
    assert.ok(!(await ceph.osdDump()).flags.includes("noout"));
  });

  test("OSDs: list, element, state; in/out in Ceph and in /ceph/osds/<id>/stats", async () => {
    await until("the OSD mirror", async () => (await zkGet("/ceph/osds/0/stats")) !== null, 20_000);
    const list = await call("GET", "/storage/ceph/osd");
    assert.equal(list.status, 200);
    const osd0 = (list.body as Array<{ id: string; stats: Record<string, unknown> }>).find(
      (o) => o.id === "0",
    );
    assert.ok(osd0);
    assert.equal(osd0.stats.up, 1);
    assert.equal(osd0.stats.in, 1);
    for (const k of [
      "uuid",
      "utilization",
      "pgs",
      "kb",
      "weight",
      "reweight",
      "node",
      "used",
      "avail",
      "state",
    ])
      assert.ok(k in osd0.stats, k);
    assert.equal(await zkGet("/ceph/osds/0"), "");
    assert.equal(await zkGet("/ceph/osds/0/node"), osd0.stats.node);
    assert.ok(((await zkGet("/ceph/osds/0/device")) ?? "") !== "", "device from ceph osd metadata");
    assert.equal((await call("GET", "/storage/ceph/osd", { limit: "^0$" })).status, 200);
    expectV1(await call("GET", "/storage/ceph/osd", { limit: "^99$" }), 404, "OSD not found.");
    expectV1(await call("GET", "/storage/ceph/osd/99"), 404, "OSD not found.");
    assert.equal(((await call("GET", "/storage/ceph/osd/0")).body as unknown[]).length, 1);
    assert.deepEqual((await call("GET", "/storage/ceph/osd/0/state")).body, { id: "0", in: 1, up: 1 });
    expectV1(await call("GET", "/storage/ceph/osd/99/state"), 404, "OSD not found.");

    expectV1(await call("POST", "/storage/ceph/osd/0/state"), 510, "ERROR: A state must be specified.");
    expectV1(
      await call("POST", "/storage/ceph/osd/0/state", { state: "sideways" }),
      510,
      "ERROR: State must be one of: in, out.",
    );
    expectV1(
      await call("POST", "/storage/ceph/osd/99/state", { state: "in" }),
      510,
      "ERROR: No OSD with ID '99' is present in the cluster.",
    );
    try {
      expectV1(
        await call("POST", "/storage/ceph/osd/0/state", { state: "out" }),
        200,
        "Set OSD 0 offline in the cluster.",
      );
      assert.equal((await ceph.osdDump()).osds[0].in, false);
      assert.equal(((await call("GET", "/storage/ceph/osd/0/state")).body as { in: number }).in, 0);
    } finally {
      expectV1(
        await call("POST", "/storage/ceph/osd/0/state", { state: "in" }),
        200,
        "Set OSD 0 online in the cluster.",
      );
    }
    assert.equal((await ceph.osdDump()).osds[0].in, true);
    assert.equal(((await call("GET", "/storage/ceph/osd/0/state")).body as { in: number }).in, 1);
    // Let the PGs come back before anything does I/O.
    await until(
      "PGs active again",
      async () => {
        const s = await ceph.status();
        return s.pgsByState.every((p) => p.state.startsWith("active"));
      },
      30_000,
    );
  });

  test("OSD add and remove: the manual's validation, and a 510 naming the command that cannot run", async () => {
    const node = hostname();
    expectV1(
      await call("POST", "/storage/ceph/osd", { device: "/dev/sdz", weight: "1.0" }),
      510,
      "ERROR: A node must be specified.",
    );
    expectV1(
      await call("POST", "/storage/ceph/osd", { node, weight: "1.0" }),
      510,
      "ERROR: A block device must be specified.",
    );
    expectV1(
      await call("POST", "/storage/ceph/osd", { node, device: "/dev/sdz" }),
      510,
      "ERROR: An OSD weight must be specified.",
    );
    expectV1(
      await call("POST", "/storage/ceph/osd", { node, device: "/dev/sdz", weight: "-1" }),
      510,
      /Weight '-1' is not valid/,
    );
    for (const device of ["sdz", "/dev/../etc/passwd", "/dev/sdz;reboot"])
      expectV1(
        await call("POST", "/storage/ceph/osd", { node, device, weight: "1.0" }),
        510,
        /is not valid: give a device path/,
      );
    expectV1(
      await call("POST", "/storage/ceph/osd", { node: "nosuchnode", device: "/dev/sdz", weight: "1.0" }),
      510,
      "ERROR: No node named 'nosuchnode' is present in the cluster.",
    );
    // A device that an OSD already uses (written as PVC's node daemon would).
    await zk.mkdirp(`${pvcRoot}/ceph/osds/77`);
    await zk.multi([
      { op: "create", path: `${pvcRoot}/ceph/osds/77/node`, data: node },
      { op: "create", path: `${pvcRoot}/ceph/osds/77/device`, data: "/dev/sdy" },
    ]);
    expectV1(
      await call("POST", "/storage/ceph/osd", { node, device: "/dev/sdy", weight: "1.0" }),
      510,
      `ERROR: Block device '/dev/sdy' on node '${node}' is used by OSD '77'`,
    );
    await zk.deleteRecursive(`${pvcRoot}/ceph/osds/77`);
    const before = (await ceph.osdLs()).length;
    expectV1(
      await call("POST", "/storage/ceph/osd", { node, device: "/dev/pvc-test-no-such-disk", weight: "1.0" }),
      510,
      /^ERROR: Failed to create new OSD: `ceph-volume lvm zap --destroy \/dev\/pvc-test-no-such-disk` cannot run: .*; nothing was run\.$/,
    );
    assert.equal((await ceph.osdLs()).length, before, "no OSD id was allocated");

    expectV1(
      await call("DELETE", "/storage/ceph/osd/0"),
      510,
      /resend with the argument 'yes_i_really_mean_it'/,
    );
    expectV1(
      await call("DELETE", "/storage/ceph/osd/99", { yes_i_really_mean_it: "" }),
      510,
      "ERROR: No OSD with ID '99' is present in the cluster.",
    );
    const removal = await call("DELETE", "/storage/ceph/osd/0", { yes_i_really_mean_it: "yes" });
    expectV1(removal, 510, /^ERROR: Failed to remove OSD 0: `.+` cannot run: .*; nothing was run\.$/);
    assert.equal((await ceph.osdDump()).osds[0].in, true, "the OSD was not touched");
  });

  test("pools: refused inputs, create, list, element", async () => {
    expectV1(
      await call("POST", "/storage/ceph/pool", { pgs: "8" }),
      510,
      "ERROR: A pool name must be specified.",
    );
    expectV1(await call("POST", "/storage/ceph/pool", { pool }), 510, /pgs\) must be specified/);
    for (const bad of ["a.b", "-x", "a;b", "a/b"])
      expectV1(await call("POST", "/storage/ceph/pool", { pool: bad, pgs: "8" }), 510, /invalid pool name/);
    expectV1(
      await call("POST", "/storage/ceph/pool", { pool, pgs: "eight" }),
      510,
      /PG count 'eight' is not valid/,
    );
    expectV1(
      await call("POST", "/storage/ceph/pool", { pool, pgs: "8", replcfg: "copies=x" }),
      510,
      /Replication configuration/,
    );
    assert.equal(await detail(), undefined, "nothing was created");

    expectV1(
      await call("POST", "/storage/ceph/pool", { pool, pgs: "8", replcfg: "copies=1,mincopies=1" }, true),
      200,
      `Created new RBD pool '${pool}' with '8' PGs and replication configuration copies=1,mincopies=1.`,
    );
    const d = await detail();
    assert.equal(d?.pgNumTarget, 8);
    assert.equal(d?.size, 1);
    assert.equal(d?.minSize, 1);
    assert.equal(await zkGet(`/ceph/pools/${pool}/pgs`), "8");
    assert.equal(await zkGet(`/ceph/volumes/${pool}`), "");
    assert.equal(await zkGet(`/ceph/snapshots/${pool}`), "");
    expectV1(
      await call("POST", "/storage/ceph/pool", { pool, pgs: "8" }),
      510,
      `ERROR: A pool named '${pool}' already exists in the cluster.`,
    );

    const list = await call("GET", "/storage/ceph/pool", { limit: pool.slice(1) });
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body as Array<{ name: string }>).map((p) => p.name),
      [pool],
    );
    assert.equal(typeof (list.body as Array<{ stats: unknown }>)[0].stats, "object");
    assert.deepEqual((await call("GET", `/storage/ceph/pool/${pool}`)).body, list.body);
    expectV1(await call("GET", `/storage/ceph/pool/${pool.slice(1)}`), 404, "Pool not found.");
    expectV1(await call("GET", "/storage/ceph/pool", { limit: "^nosuchpool$" }), 404, "Pool not found.");
  });

  test("volumes: refused inputs, create, list and element", async () => {
    expectV1(
      await call("POST", "/storage/ceph/volume", { pool, size: "1G" }),
      510,
      "ERROR: A volume name must be specified.",
    );
    expectV1(
      await call("POST", "/storage/ceph/volume", { volume: "v1", size: "1G" }),
      510,
      "ERROR: A pool name must be spcified.",
    );
    expectV1(
      await call("POST", "/storage/ceph/volume", { volume: "v1", pool }),
      510,
      "ERROR: A volume size in bytes (or with an M/G/T suffix) must be specified.",
    );
    for (const size of ["12Q", "1.5G", "-4M", "lots"])
      expectV1(await call("POST", "/storage/ceph/volume", { volume: "v1", pool, size }), 510, /invalid size/);
    expectV1(
      await call("POST", "/storage/ceph/volume", { volume: "v1", pool, size: "1000" }),
      510,
      /multiple of 512/,
    );
    for (const volume of ["-v1", "v;1", "v/1", "v@1"])
      expectV1(
        await call("POST", "/storage/ceph/volume", { volume, pool, size: "4M" }),
        510,
        /invalid volume name/,
      );
    expectV1(
      await call("POST", "/storage/ceph/volume", { volume: "v1", pool: "nosuchpool", size: "4M" }),
      510,
      "ERROR: No pool with name 'nosuchpool' is present in the cluster.",
    );
    assert.deepEqual((await ceph.rbdLs(pool)).length, 0, "nothing was created");

    expectV1(
      await call("POST", "/storage/ceph/volume", { volume: "v1", pool, size: "64M" }, true),
      200,
      `Created new RBD volume 'v1' of size '64M' on pool '${pool}'.`,
    );
    const v1 = await info("v1");
    assert.equal(v1?.size, 64 * MiB);
    assert.deepEqual(v1?.features, ["layering", "exclusive-lock"]);
    assert.equal(JSON.parse((await zkGet(`/ceph/volumes/${pool}/v1/stats`)) ?? "{}").id, v1?.id);
    expectV1(
      await call("POST", "/storage/ceph/volume", { volume: "v1", pool, size: "4M" }),
      510,
      `ERROR: A volume named 'v1' already exists in pool '${pool}'.`,
    );
    expectV1(
      await call("POST", "/storage/ceph/volume", { volume: "v2", pool, size: String(8 * MiB) }),
      200,
      /Created new RBD volume 'v2'/,
    );

    const all = await call("GET", "/storage/ceph/volume", { pool });
    assert.equal(all.status, 200);
    const shaped = all.body as Array<{ name: string; pool: string; stats: Record<string, unknown> }>;
    assert.deepEqual(
      shaped.map((v) => v.name),
      ["v1", "v2"],
    );
    assert.equal(shaped[0].pool, pool);
    assert.equal(shaped[0].stats.size, "64M", "PVC's human size");
    assert.equal(shaped[1].stats.size, "8192K", "PVC picks the smallest unit with at most 4 digits");
    const one = await call("GET", "/storage/ceph/volume", { limit: "v2" });
    assert.deepEqual(
      (one.body as Array<{ name: string }>).map((v) => v.name),
      ["v2"],
    );
    assert.deepEqual((await call("GET", `/storage/ceph/volume/${pool}/v1`)).body, [shaped[0]]);
    expectV1(await call("GET", `/storage/ceph/volume/${pool}/nope`), 404, "Volume not found.");
    expectV1(
      await call("GET", "/storage/ceph/volume", { pool: "nosuchpool" }),
      404,
      /No pool with name 'nosuchpool'/,
    );
  });

  test("a volume POST answers once the stats are in ZooKeeper: a GET right after shows them", async () => {
    expectV1(
      await call("POST", "/storage/ceph/volume", { volume: "vnow", pool, size: "16M" }),
      200,
      `Created new RBD volume 'vnow' of size '16M' on pool '${pool}'.`,
    );
    const got = await call("GET", `/storage/ceph/volume/${pool}/vnow`);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    const [shown] = got.body as Array<{ name: string; stats: Record<string, unknown> }>;
    const raw = await info("vnow");
    assert.equal(shown.name, "vnow");
    assert.equal(shown.stats.id, raw?.id, "the stats of rbd info, not a placeholder");
    assert.equal(shown.stats.size, "16M");
    assert.equal(shown.stats.name, "vnow");
    const res = await t.app.store.get("CephVolume", `${pool}.vnow`);
    assert.equal(res.status?.imageId, raw?.id);

    // A volume created declaratively is Ready before its id is read; a rename right away waits for it.
    await t.app.store.create({
      apiVersion: "pvc.parallelvirtualcluster.org/v1",
      kind: "CephVolume",
      metadata: { name: `${pool}.vdecl` },
      spec: { pool, size: 8 * MiB },
    });
    await until(
      "vdecl Ready",
      async () =>
        (t.app.informers.get("CephVolume")?.get(`${pool}.vdecl`)?.status?.conditions ?? []).some(
          (c) => c.type === "Ready" && c.status === "True",
        ),
      20_000,
    );
    expectV1(
      await call("PUT", `/storage/ceph/volume/${pool}/vdecl`, { name: "vdecl2" }),
      200,
      `Renamed RBD volume 'vdecl' to 'vdecl2' on pool '${pool}'.`,
    );
    assert.equal(await info("vdecl"), null);
    const renamed = await call("GET", `/storage/ceph/volume/${pool}/vdecl2`);
    assert.equal(renamed.status, 200);
    assert.equal(
      (renamed.body as Array<{ stats: Record<string, unknown> }>)[0].stats.id,
      (await info("vdecl2"))?.id,
    );

    for (const v of ["vnow", "vdecl2"])
      expectV1(
        await call("DELETE", `/storage/ceph/volume/${pool}/${v}`),
        200,
        `Removed RBD volume '${v}' in pool '${pool}'.`,
      );
    assert.equal(await info("vnow"), null);
    assert.equal(await zkGet(`/ceph/volumes/${pool}/vnow`), null);
  });

  test("volumes: clone, resize (grow; refused shrink changes nothing), PUT with both or neither", async () => {
    expectV1(
      await call("POST", "/storage/ceph/volume", { volume: "v1c", pool, source_volume: "nope" }),
      510,
      /No volume with name 'nope'/,
    );
    expectV1(
      await call("POST", "/storage/ceph/volume", { volume: "v1c", pool, source_volume: "v1", size: "1G" }),
      200,
      `Cloned RBD volume 'v1' to 'v1c' on pool '${pool}'.`,
    );
    assert.equal((await info("v1c"))?.size, 64 * MiB, "size is ignored when cloning");

    expectV1(
      await call("PUT", `/storage/ceph/volume/${pool}/v1`),
      510,
      "ERROR: No name or size specified, or both specified; not changing anything.",
    );
    expectV1(
      await call("PUT", `/storage/ceph/volume/${pool}/v1`, { name: "x", size: "1G" }),
      510,
      "ERROR: No name or size specified, or both specified; not changing anything.",
    );
    expectV1(
      await call("PUT", `/storage/ceph/volume/${pool}/nope`, { size: "1G" }),
      510,
      `ERROR: No volume with name 'nope' is present in pool ${pool}.`,
    );
    expectV1(await call("PUT", `/storage/ceph/volume/${pool}/v1`, { size: "1.5G" }), 510, /invalid size/);

    expectV1(
      await call("PUT", `/storage/ceph/volume/${pool}/v1`, { size: "128M" }, true),
      200,
      `Resized RBD volume 'v1' to size '128M' on pool '${pool}'.`,
    );
    assert.equal((await info("v1"))?.size, 128 * MiB);
    assert.equal(JSON.parse((await zkGet(`/ceph/volumes/${pool}/v1/stats`)) ?? "{}").size, 128 * MiB);
    expectV1(await call("PUT", `/storage/ceph/volume/${pool}/v1`, { size: "32M" }), 510, /allowShrink/);
    assert.equal((await info("v1"))?.size, 128 * MiB, "not shrunk");
    const spec = (await t.app.store.get("CephVolume", `${pool}.v1`)).spec as { size: number };
    assert.equal(spec.size, 128 * MiB, "the refused size was rolled back");
  });

  test("snapshots: refused inputs, create, combinable filters, element, delete", async () => {
    expectV1(
      await call("POST", "/storage/ceph/volume/snapshot", { volume: "v1", pool }),
      510,
      "ERROR: A snapshot name must be specified.",
    );
    expectV1(
      await call("POST", "/storage/ceph/volume/snapshot", { snapshot: "s1", pool }),
      510,
      "ERROR: A volume name must be specified.",
    );
    expectV1(
      await call("POST", "/storage/ceph/volume/snapshot", { snapshot: "s1", volume: "v1" }),
      510,
      "ERROR: A pool name must be spcified.",
    );
    expectV1(
      await call("POST", "/storage/ceph/volume/snapshot", { snapshot: "s;1", volume: "v1", pool }),
      510,
      /invalid snapshot name/,
    );
    expectV1(
      await call("POST", "/storage/ceph/volume/snapshot", { snapshot: "s1", volume: "nope", pool }),
      510,
      `ERROR: No volume with name 'nope' is present in pool ${pool}.`,
    );
    for (const [volume, snapshot] of [
      ["v1", "s1"],
      ["v1", "s2"],
      ["v2", "s1"],
    ]) {
      expectV1(
        await call("POST", "/storage/ceph/volume/snapshot", { snapshot, volume, pool }, true),
        200,
        `Created new RBD snapshot '${snapshot}' of volume '${volume}' on pool '${pool}'.`,
      );
    }
    expectV1(
      await call("POST", "/storage/ceph/volume/snapshot", { snapshot: "s1", volume: "v1", pool }),
      510,
      /already exists/,
    );
    const names = (await ceph.snapLs(pool, "v1")).map((s) => s.name).sort();
    assert.deepEqual(names, ["s1", "s2"]);
    assert.equal(await zkGet(`/ceph/snapshots/${pool}/v1/s1`), "");

    const list = async (values: Record<string, string>) =>
      (await call("GET", "/storage/ceph/volume/snapshot", values)).body;
    assert.deepEqual(await list({ pool }), [`${pool}/v1@s1`, `${pool}/v1@s2`, `${pool}/v2@s1`]);
    assert.deepEqual(await list({ volume: "v1" }), [`${pool}/v1@s1`, `${pool}/v1@s2`]);
    assert.deepEqual(await list({ pool, limit: "s1" }), [`${pool}/v1@s1`, `${pool}/v2@s1`]);
    assert.deepEqual(await list({ volume: "v2", limit: "^s" }), [`${pool}/v2@s1`]);
    expectV1(
      await call("GET", "/storage/ceph/volume/snapshot", { volume: "v2", limit: "s2" }),
      404,
      "Volume snapshot not found.",
    );
    assert.deepEqual((await call("GET", `/storage/ceph/volume/snapshot/${pool}/v1/s2`)).body, [
      `${pool}/v1@s2`,
    ]);
    expectV1(
      await call("GET", `/storage/ceph/volume/snapshot/${pool}/v1/s9`),
      404,
      "Volume snapshot not found.",
    );

    expectV1(
      await call("DELETE", `/storage/ceph/volume/snapshot/${pool}/v1/s9`),
      510,
      `ERROR: No snapshot with name 's9' is present of volume v1 on pool ${pool}.`,
    );
    expectV1(
      await call("DELETE", `/storage/ceph/volume/snapshot/${pool}/v1/s2`),
      200,
      `Removed RBD snapshot 's2' of volume 'v1' in pool '${pool}'.`,
    );
    assert.deepEqual(
      (await ceph.snapLs(pool, "v1")).map((s) => s.name),
      ["s1"],
    );
    assert.equal(await zkGet(`/ceph/snapshots/${pool}/v1/s2`), null);
  });

  test("rename moves the image (same id), its snapshots and the mirror, and the resource", async () => {
    const before = await info("v1");
    expectV1(
      await call("PUT", `/storage/ceph/volume/${pool}/v1`, { name: "bad/name" }),
      510,
      /invalid volume name/,
    );
    expectV1(await call("PUT", `/storage/ceph/volume/${pool}/v1`, { name: "v2" }), 510, /already exists/);
    expectV1(
      await call("PUT", `/storage/ceph/volume/${pool}/v1`, { name: "v1renamed" }, true),
      200,
      `Renamed RBD volume 'v1' to 'v1renamed' on pool '${pool}'.`,
    );
    assert.equal(await info("v1"), null);
    assert.equal((await info("v1renamed"))?.id, before?.id, "the same image, not a copy");
    assert.deepEqual(
      (await ceph.snapLs(pool, "v1renamed")).map((s) => s.name),
      ["s1"],
    );
    assert.equal(await zkGet(`/ceph/volumes/${pool}/v1`), null);
    assert.equal(await zkGet(`/ceph/snapshots/${pool}/v1`), null);
    assert.equal(JSON.parse((await zkGet(`/ceph/volumes/${pool}/v1renamed/stats`)) ?? "{}").id, before?.id);
    assert.equal(await zkGet(`/ceph/snapshots/${pool}/v1renamed/s1`), "");
    assert.equal(await t.app.store.tryGet("CephVolume", `${pool}.v1`), null);
    assert.equal(await t.app.store.tryGet("CephSnapshot", `${pool}.v1@s1`), null);
    const moved = await t.app.store.get("CephVolume", `${pool}.v1renamed`);
    assert.equal(moved.status?.imageId, before?.id);
    expectV1(await call("GET", `/storage/ceph/volume/${pool}/v1`), 404, "Volume not found.");
    assert.equal((await call("GET", `/storage/ceph/volume/${pool}/v1renamed`)).status, 200);
  });

  test("delete: a volume with snapshots is refused; volume delete; pool delete needs the confirmation", async () => {
    expectV1(
      await call("DELETE", `/storage/ceph/volume/${pool}/nope`),
      510,
      `ERROR: No volume with name 'nope' is present in pool ${pool}.`,
    );
    expectV1(await call("DELETE", `/storage/ceph/volume/${pool}/v2`), 510, /snapshots: s1/);
    assert.ok(await info("v2"), "still there");
    assert.equal((await t.app.store.get("CephVolume", `${pool}.v2`)).metadata.deletionTimestamp, undefined);
    expectV1(
      await call("DELETE", `/storage/ceph/volume/snapshot/${pool}/v2/s1`),
      200,
      /Removed RBD snapshot 's1'/,
    );
    expectV1(
      await call("DELETE", `/storage/ceph/volume/${pool}/v2`),
      200,
      `Removed RBD volume 'v2' in pool '${pool}'.`,
    );
    assert.equal(await info("v2"), null);
    assert.equal(await zkGet(`/ceph/volumes/${pool}/v2`), null);
    expectV1(
      await call("DELETE", `/storage/ceph/volume/${pool}/v1c`),
      200,
      `Removed RBD volume 'v1c' in pool '${pool}'.`,
    );
    assert.equal(await info("v1c"), null);
    assert.equal(await zkGet(`/ceph/volumes/${pool}/v1c`), null);

    expectV1(
      await call("DELETE", `/storage/ceph/pool/${pool}`),
      510,
      /resend with the argument 'yes_i_really_mean_it'/,
    );
    expectV1(
      await call("DELETE", "/storage/ceph/pool/nosuchpool", { yes_i_really_mean_it: "" }),
      510,
      "ERROR: No pool with name 'nosuchpool' is present in the cluster.",
    );
    assert.ok(await detail(), "still there");
    expectV1(
      await call("DELETE", `/storage/ceph/pool/${pool}`, { yes_i_really_mean_it: "" }),
      200,
      `Removed RBD pool '${pool}' and all volumes.`,
    );
    assert.equal(await detail(), undefined);
    assert.equal(await zkGet(`/ceph/pools/${pool}`), null);
    assert.equal(await zkGet(`/ceph/volumes/${pool}`), null);
    for (const kind of ["CephVolume", "CephSnapshot"])
      assert.deepEqual(
        (await t.app.store.list(kind)).items.filter((r) => r.metadata.name.startsWith(`${pool}.`)),
        [],
      );
  });
});
