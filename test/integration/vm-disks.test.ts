/**
 * VMs with RBD disks, over real HTTP, on the real app with the VirtualMachine and Ceph controllers,
 * the real one-node Ceph and hollow nodes of this file's own: rbdlist from the XML, the locks of a
 * VM's volumes listed and flushed in Ceph, and DELETE with and without delete_disks — the volumes
 * really gone from Ceph, or really still there.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { vmController } from "../../controllers/vm/controller.ts";
import { CephClient } from "../../src/ceph/client.ts";
import { HollowCluster } from "../../src/sim/cluster.ts";
import { parseNodeSpec } from "../../src/sim/spec.ts";
import type { ZkClient } from "../../src/zk/client.ts";
import { expectV1, testConfig, until, useTestApp, v1Call } from "../helpers/api-app.ts";
import { cephConf, uniqueRoot } from "../helpers/env.ts";

function domainXml(name: string, uuid: string, pool: string, volumes: string[]): string {
  const disks = volumes
    .map(
      (v, i) => `
    <disk type='network' device='disk'>
      <driver name='qemu' discard='unmap'/>
      <source protocol='rbd' name='${pool}/${v}'><host name='127.0.0.1' port='6789'/></source>
      <target dev='sd${String.fromCharCode(97 + i)}' bus='scsi'/>
    </disk>`,
    )
    .join("");
  return `<domain type='kvm'><name>${name}</name><uuid>${uuid}</uuid><memory unit='MiB'>512</memory><vcpu>1</vcpu><devices>${disks}
  </devices></domain>`;
}

describe("/api/v1/vm with RBD disks", () => {
  const root = uniqueRoot("vmdisks");
  const pvcRoot = `${root}/pvc`;
  const pool = `vd${process.pid}`;
  let zk: ZkClient;
  let ceph: CephClient;
  let cluster: HollowCluster;

  // Registered before useTestApp's `after`: the hollow nodes stop while the app's ZooKeeper client is open.
  after(async () => {
    await cluster?.stop();
  });
  const t = useTestApp(
    root,
    () =>
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = pvcRoot;
        c.reconciler.cephConf = cephConf();
        c.reconciler.facadeWaitTimeoutMs = 20_000;
      }),
    { kindControllers: [vmController, cephPoolController, cephVolumeController] },
  );
  // Registered after it: the pool is removed once the app's Ceph controllers have stopped.
  after(async () => {
    await ceph?.poolRm(pool).catch(() => undefined);
  });

  const call = (method: string, path: string, values: Record<string, string> = {}, asForm = false) =>
    v1Call(t.app.url, method, path, values, asForm);
  const image = (volume: string) => ceph.rbdInfo(pool, volume).catch(() => null);
  const rbd = (...args: string[]) => execa("rbd", ["--conf", cephConf(), ...args]);

  async function volume(name: string): Promise<void> {
    expectV1(
      await call("POST", "/storage/ceph/volume", { pool, volume: name, size: "16M" }),
      200,
      `Created new RBD volume '${name}' of size '16M' on pool '${pool}'.`,
    );
  }

  before(async () => {
    ceph = new CephClient({ conf: cephConf() });
    zk = t.app.zk;
    cluster = new HollowCluster({
      zk,
      nodes: parseNodeSpec("hv1:coordinator,hv2:hypervisor"),
      root: pvcRoot,
      timings: {
        keepaliveIntervalMs: 600_000,
        shutdownGraceMs: 100,
        migrateDelayMs: 30,
        restartDelayMs: 50,
        pollMs: 200,
      },
    });
    await cluster.start();
    await zk.mkdirp(`${pvcRoot}/networks`);
    const r = await call("POST", "/storage/ceph/pool", { pool, pgs: "8" });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  test("rbdlist from the XML; locks listed and flushed in Ceph; DELETE without delete_disks keeps the volumes", async () => {
    await volume("keep_sda");
    await volume("keep_sdb");
    const uuid = randomUUID();
    const xml = domainXml("keep", uuid, pool, ["keep_sda", "keep_sdb"]);
    expectV1(
      await call("POST", "/vm", { xml, node: "hv2" }, true),
      200,
      `Added new VM with Name 'keep' and UUID '${uuid}' to database.`,
    );
    assert.equal(
      (await zk.get(`${pvcRoot}/domains/${uuid}/rbdlist`)).data,
      `${pool}/keep_sda,${pool}/keep_sdb`,
    );

    await rbd("lock", "add", `${pool}/keep_sdb`, "auto 4242");
    const listed = (await call("GET", "/vm/keep/locks")).body as Array<{
      volume: string;
      locks: Array<{ id: string; locker: string }>;
    }>;
    assert.deepEqual(
      listed.map((l) => [l.volume, l.locks.map((k) => k.id)]),
      [
        [`${pool}/keep_sda`, []],
        [`${pool}/keep_sdb`, ["auto 4242"]],
      ],
    );
    assert.match(listed[1].locks[0].locker, /^client\.[0-9]+$/);
    expectV1(await call("POST", "/vm/keep/locks"), 200, "Flushed locks on VM 'keep'.");
    assert.deepEqual(await ceph.lockLs(pool, "keep_sdb"), []);

    expectV1(await call("DELETE", "/vm/keep"), 200, "Undefined VM 'keep' from the cluster.");
    assert.equal(await zk.exists(`${pvcRoot}/domains/${uuid}`), null);
    assert.ok(await image("keep_sda"), "the volumes stay without delete_disks");
    assert.ok(await image("keep_sdb"));
    assert.ok(t.app.informers.get("CephVolume")?.get(`${pool}.keep_sda`));
  });

  test("DELETE with delete_disks: stopped, undefined, its locks flushed, its volumes gone from Ceph", async () => {
    await volume("gone_sda");
    const uuid = randomUUID();
    const xml = domainXml("gone", uuid, pool, ["gone_sda"]);
    expectV1(
      await call("POST", "/vm", { xml, node: "hv1" }, true),
      200,
      `Added new VM with Name 'gone' and UUID '${uuid}' to database.`,
    );
    expectV1(await call("POST", "/vm/gone/state", { state: "start" }), 200, "Starting VM 'gone'.");
    await until("gone running", async () =>
      (await zk.get(`${pvcRoot}/nodes/hv1/runningdomains`)).data.includes(uuid),
    );
    // A lock a crashed hypervisor left behind: rbd rm would hang on it.
    await rbd("lock", "add", `${pool}/gone_sda`, "auto 777");
    expectV1(
      await call("DELETE", "/vm/gone", { delete_disks: "" }),
      200,
      "Removed VM 'gone' and disks from the cluster.",
    );
    assert.equal(await zk.exists(`${pvcRoot}/domains/${uuid}`), null);
    assert.equal((await zk.get(`${pvcRoot}/nodes/hv1/runningdomains`)).data.includes(uuid), false);
    assert.equal(await image("gone_sda"), null, "the image is gone from Ceph");
    assert.equal(t.app.informers.get("CephVolume")?.get(`${pool}.gone_sda`), undefined);
    assert.equal(await zk.exists(`${pvcRoot}/ceph/volumes/${pool}/gone_sda`), null);
  });
});
