/**
 * CephClient against the real one-node cluster of the test stack (CEPH_CONF). Each run works in its
 * own pool and removes it at the end; cluster-wide changes (noout, osd out) are undone in `finally`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { CephClient } from "../../src/ceph/client.ts";
import type { CallStat } from "../../src/ceph/run.ts";
import { parseSize } from "../../src/ceph/size.ts";
import { isPvcError } from "../../src/errors.ts";
import { cephConf } from "../helpers/env.ts";

const GiB = 1024 ** 3;
const pool = `ceph-client-test-${process.pid}-${Date.now().toString(36)}`;
const calls: CallStat[] = [];
let ceph: CephClient;

/** Until every PG is active (after `osd in`, or after pool creation) and space is reported again. */
async function waitForActivePgs(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const s = await ceph.status();
    last = JSON.stringify(s.pgsByState);
    const active = s.pgsByState
      .filter((p) => p.state.split("+").includes("active"))
      .reduce((n, p) => n + p.count, 0);
    if (s.numInOsds >= 1 && s.numPgs > 0 && active === s.numPgs && s.bytesTotal > 0) return;
    await sleep(250);
  }
  throw new Error(`PGs not active after ${timeoutMs} ms: ${last}`);
}

function latencySummary(): string {
  const byCmd = new Map<string, number[]>();
  for (const c of calls) {
    // Group by the verb, not the object: `rbd info <pool>/<image>` -> `rbd info`.
    const words = c.cmd.split(" ");
    const end = words.findIndex((w) => !/^[a-z]+$/.test(w));
    const key = (end === -1 ? words : words.slice(0, end)).join(" ");
    byCmd.set(key, [...(byCmd.get(key) ?? []), c.ms]);
  }
  const lines = [...byCmd].map(([cmd, ms]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    const f = (v: number): string => v.toFixed(0).padStart(4);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    return `${cmd.padEnd(34)} n=${String(ms.length).padStart(2)}  min ${f(sorted[0])}  median ${f(median)}  max ${f(sorted[sorted.length - 1])} ms`;
  });
  return lines.join("\n");
}

before(async () => {
  ceph = new CephClient({ conf: cephConf(), onCall: (s) => calls.push(s) });
  await ceph.poolCreate(pool, 8, { size: 1, minSize: 1 });
  await waitForActivePgs();
});

/** Retries `check` until it stops throwing: mgr-fed data (`ceph df`) lags map changes by ~1 s. */
async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

after(async () => {
  try {
    await ceph.poolRm(pool);
  } catch (err) {
    // The pool-removal test may already have removed it; anything else is a real failure.
    if (!isPvcError(err, "CEPH_ENOENT")) throw err;
  }
  console.log(`ceph call latencies (${calls.length} calls):\n${latencySummary()}`);
});

describe("CephClient on a real cluster", () => {
  it("status, health, df, rados df (JSON and text)", async () => {
    const status = await ceph.status();
    assert.match(status.fsid, /^[0-9a-f-]{36}$/);
    assert.equal(status.numOsds, 1);
    assert.equal(status.mgrAvailable, true);
    assert.ok(["HEALTH_OK", "HEALTH_WARN"].includes(status.health.status));

    const health = await ceph.health();
    assert.equal(health.status, status.health.status);

    const text = await ceph.statusText();
    assert.match(text, /cluster:/);
    assert.match(text, /health: HEALTH_/);

    await eventually(async () => {
      const df = await ceph.df();
      assert.ok(df.totalBytes > 0);
      assert.ok(
        df.pools.some((p) => p.name === pool),
        "pool in ceph df",
      );
    });
    await eventually(async () => {
      const rdf = await ceph.radosDf();
      assert.ok(rdf.totalSpaceKb > 0);
      assert.ok(
        rdf.pools.some((p) => p.name === pool),
        "pool in rados df",
      );
      const rtext = await ceph.radosDfText();
      assert.match(rtext, /POOL_NAME/);
      assert.ok(rtext.includes(pool));
    });
  });

  it("pools: create (twice -> EEXIST), ls detail, get/set, application, rbd pool init, size confirmation", async () => {
    await assert.rejects(ceph.poolCreate(pool, 8), { code: "CEPH_EEXIST" });

    const detail = (await ceph.poolLsDetail()).find((p) => p.name === pool);
    assert.ok(detail, "pool listed");
    assert.equal(detail.size, 1);
    assert.equal(detail.minSize, 1);
    assert.equal(detail.pgNum, 8);
    assert.equal(detail.pgNumTarget, 8);

    assert.equal(await ceph.poolGet(pool, "pg_num"), 8);
    assert.equal(await ceph.poolGet(pool, "size"), 1);
    assert.equal(await ceph.poolGet(pool, "nodelete"), false);

    // pg_num moves asynchronously; pg_num_target shows the new value at once (facts doc).
    await ceph.poolSet(pool, "pg_num", 16);
    const after16 = (await ceph.poolLsDetail()).find((p) => p.name === pool);
    assert.equal(after16?.pgNumTarget, 16);

    // size 1 is "dangerous": Ceph wants the confirmation flag even when nothing changes.
    await assert.rejects(ceph.poolSet(pool, "size", 1), { code: "CEPH_EPERM" });
    await ceph.poolSet(pool, "size", 1, { confirm: true });
    await assert.rejects(ceph.poolSet(pool, "min_size", 3), { code: "CEPH_EINVAL" });
    await assert.rejects(ceph.poolGet(pool, "no_such_var"), { code: "CEPH_EINVAL" });

    await ceph.poolApplicationEnable(pool, "rbd");
    await ceph.rbdPoolInit(pool);
    const withApp = (await ceph.poolLsDetail()).find((p) => p.name === pool);
    assert.deepEqual(Object.keys(withApp?.applicationMetadata ?? {}), ["rbd"]);
    await assert.rejects(ceph.poolApplicationEnable(pool, "rgw"), { code: "CEPH_EPERM" });
    await waitForActivePgs();
  });

  it("volumes: create exact size, info, ls, resize, rename, copy, snapshots, locks, rm", async () => {
    await ceph.rbdCreate(pool, "web1_sda", parseSize("1G"));
    const info = await ceph.rbdInfo(pool, "web1_sda");
    assert.equal(info.size, GiB, "exactly 1 GiB: the size went to rbd as bytes, not as MiB");
    assert.deepEqual(info.features, ["layering", "exclusive-lock"]);
    await assert.rejects(ceph.rbdCreate(pool, "web1_sda", GiB), { code: "CEPH_EEXIST" });

    // An odd byte count survives unrounded.
    await ceph.rbdCreate(pool, "odd", 123456789);
    assert.equal((await ceph.rbdInfo(pool, "odd")).size, 123456789);
    await ceph.rbdRm(pool, "odd");

    await ceph.rbdResize(pool, "web1_sda", parseSize("2G"));
    assert.equal((await ceph.rbdInfo(pool, "web1_sda")).size, 2 * GiB);
    await assert.rejects(ceph.rbdResize(pool, "web1_sda", GiB), { code: "CEPH_EINVAL" });
    assert.equal((await ceph.rbdInfo(pool, "web1_sda")).size, 2 * GiB, "no shrink without allowShrink");

    await ceph.rbdRename(pool, "web1_sda", "web1_sdb");
    await assert.rejects(ceph.rbdInfo(pool, "web1_sda"), { code: "CEPH_ENOENT" });
    await ceph.rbdCopy(pool, "web1_sdb", pool, "web1_copy");
    assert.equal((await ceph.rbdInfo(pool, "web1_copy")).size, 2 * GiB);
    await assert.rejects(ceph.rbdCopy(pool, "web1_sdb", pool, "web1_copy"), { code: "CEPH_EEXIST" });
    await assert.rejects(ceph.rbdRename(pool, "web1_sdb", "web1_copy"), { code: "CEPH_EEXIST" });

    const ls = await ceph.rbdLs(pool);
    assert.deepEqual(ls.map((e) => e.image).sort(), ["web1_copy", "web1_sdb"]);

    await ceph.snapCreate(pool, "web1_sdb", "s1");
    await assert.rejects(ceph.snapCreate(pool, "web1_sdb", "s1"), { code: "CEPH_EEXIST" });
    const snaps = await ceph.snapLs(pool, "web1_sdb");
    assert.deepEqual(
      snaps.map((s) => [s.name, s.size, s.protected]),
      [["s1", 2 * GiB, false]],
    );
    assert.ok((await ceph.rbdLs(pool)).some((e) => e.image === "web1_sdb" && e.snapshot === "s1"));
    await assert.rejects(ceph.rbdRm(pool, "web1_sdb"), { code: "CEPH_ENOTEMPTY" });
    await ceph.snapRm(pool, "web1_sdb", "s1");
    await assert.rejects(ceph.snapRm(pool, "web1_sdb", "s1"), { code: "CEPH_ENOENT" });
    assert.deepEqual(await ceph.snapLs(pool, "web1_sdb"), []);

    assert.deepEqual(await ceph.lockLs(pool, "web1_sdb"), []);
    // A lock left by another (now gone) client, as a crashed hypervisor would leave it.
    await execa("rbd", ["--conf", cephConf(), "lock", "add", `${pool}/web1_sdb`, "auto 12345"]);
    const [lock] = await ceph.lockLs(pool, "web1_sdb");
    assert.equal(lock.id, "auto 12345");
    assert.match(lock.locker, /^client\.\d+$/);
    await ceph.lockRm(pool, "web1_sdb", lock.id, lock.locker);
    assert.deepEqual(await ceph.lockLs(pool, "web1_sdb"), []);
    await assert.rejects(ceph.lockRm(pool, "web1_sdb", lock.id, lock.locker), { code: "CEPH_ENOENT" });

    await ceph.rbdRm(pool, "web1_sdb");
    await ceph.rbdRm(pool, "web1_copy");
    assert.deepEqual(await ceph.rbdLs(pool), []);
    await assert.rejects(ceph.rbdInfo(pool, "web1_sdb"), (err: unknown) => {
      assert.ok(isPvcError(err, "CEPH_ENOENT"), String(err));
      assert.match(err.message, new RegExp(`^rbd info ${pool}/web1_sdb: exit 2: rbd: error opening image`));
      return true;
    });
    await assert.rejects(ceph.rbdRm(pool, "web1_sdb"), { code: "CEPH_ENOENT" });
    await assert.rejects(ceph.rbdLs("no-such-pool-x"), { code: "CEPH_ENOENT" });
  });

  it("osds: ls, tree, dump, df", async () => {
    assert.deepEqual(await ceph.osdLs(), [0]);
    const tree = await ceph.osdTree();
    const osd = tree.nodes.find((n) => n.type === "osd");
    assert.equal(osd?.id, 0);
    assert.equal(osd?.status, "up");
    assert.ok(tree.nodes.some((n) => n.type === "host" && n.children.includes(0)));
    const dump = await ceph.osdDump();
    assert.deepEqual(
      dump.osds.map((o) => [o.osd, o.up, o.in]),
      [[0, true, true]],
    );
    const df = await ceph.osdDf();
    assert.equal(df.nodes[0].id, 0);
    assert.ok(df.nodes[0].pgs > 0);
    assert.ok(df.totalKb > 0);
  });

  it("osd set/unset noout (restored)", async () => {
    try {
      await ceph.osdSet("noout");
      assert.ok((await ceph.osdDump()).flags.includes("noout"));
      assert.ok("OSDMAP_FLAGS" in (await ceph.health()).checks);
    } finally {
      await ceph.osdUnset("noout");
    }
    assert.ok(!(await ceph.osdDump()).flags.includes("noout"));
  });

  it("osd out/in on the only OSD, then waits for active PGs", async () => {
    try {
      await ceph.osdOut(0);
      const dump = await ceph.osdDump();
      assert.equal(dump.osds[0].in, false);
    } finally {
      // With its only OSD out the cluster blocks all I/O: put it back at once.
      await ceph.osdIn(0);
    }
    assert.equal((await ceph.osdDump()).osds[0].in, true);
    await ceph.osdIn(0); // already in: a no-op, not an error
    await waitForActivePgs();
    await assert.rejects(ceph.osdIn(9999), { code: "CEPH_ENOENT" });
    await assert.rejects(ceph.osdOut(9999), { code: "CEPH_ENOENT" });
  });

  it("typed errors: missing pools, timeouts", async () => {
    await assert.rejects(ceph.poolRm("no-such-pool-x"), (err: unknown) => {
      assert.ok(isPvcError(err, "CEPH_ENOENT"), String(err));
      assert.match(
        err.message,
        /^ceph osd pool rm no-such-pool-x no-such-pool-x: exit 0: pool 'no-such-pool-x' does not exist/,
      );
      return true;
    });
    await assert.rejects(ceph.poolGet("no-such-pool-x", "pg_num"), { code: "CEPH_ENOENT" });
    await assert.rejects(ceph.poolSet("no-such-pool-x", "pg_num", 16), { code: "CEPH_ENOENT" });
    await assert.rejects(ceph.rbdInfo("no-such-pool-x", "v"), { code: "CEPH_ENOENT" });
    const started = Date.now();
    await assert.rejects(ceph.status({ timeoutMs: 30 }), { code: "CEPH_TIMEOUT" });
    await assert.rejects(ceph.rbdLs(pool, { timeoutMs: 5 }), { code: "CEPH_TIMEOUT" });
    assert.ok(Date.now() - started < 5000);
  });

  it("pool rm, then the pool is gone", async () => {
    await ceph.poolRm(pool);
    assert.ok(!(await ceph.poolLsDetail()).some((p) => p.name === pool));
    await assert.rejects(ceph.poolRm(pool), { code: "CEPH_ENOENT" });
  });
});
