/**
 * "No leaks, no duplicates": the CephVolume controller runs in a child process that is SIGKILLed
 * between "intent recorded" and "outcome recorded" (before `rbd create` ran, or after it
 * returned); a fresh controller on the same store then finishes the job with exactly one image.
 * An interrupted `rbd copy` (the image may be partial) stops with Stalled CreateOutcomeUnknown.
 *
 * The same file is the child: with CEPH_CRASH_CHILD set it runs the controllers on the given
 * ZooKeeper root and hangs in the test hook named by CEPH_CRASH_AT after printing `HOOK`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execa, type ResultPromise } from "execa";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import type { KindController } from "../../controllers/types.ts";
import { CephClient } from "../../src/ceph/client.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type CephHooks, HookedCephClient } from "../helpers/ceph-hooks.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";
import { cephConf, uniqueRoot } from "../helpers/env.ts";

const API = "pvc.parallelvirtualcluster.org/v1";

/** Store, informers and controllers on `root`, shared with the child process, which it outlives. */
function run(root: string, kinds: KindController[], hooks?: CephHooks): Promise<Harness> {
  return startHarness("cephcrash", kinds, {
    root,
    keepRoot: true,
    settings: { concurrency: 4 },
    ceph: hooks ? new HookedCephClient({ conf: cephConf() }, hooks) : new CephClient({ conf: cephConf() }),
  });
}

if (process.env.CEPH_CRASH_CHILD) {
  // Child: act until the hook, say so, and wait there to be killed.
  // afterIntent: the hook before the command (the intent is recorded by then); afterCreate: after it.
  const at = process.env.CEPH_CRASH_AT === "afterIntent" ? "before" : "after";
  const hang = async () => {
    process.stdout.write("HOOK\n");
    await new Promise(() => undefined);
  };
  await run(process.env.CEPH_CRASH_CHILD, [cephPoolController, cephVolumeController], { [at]: hang });
} else {
  const isReady = (r: Resource | null) =>
    r?.status?.observedGeneration === r?.metadata.generation &&
    (r?.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
  // The image id is read after Ready (the mirror lane) and recorded with Mirrored.
  const isMirrored = (r: Resource | null) =>
    isReady(r) && (r?.status?.conditions ?? []).some((c) => c.type === "Mirrored" && c.status === "True");

  describe("CephVolume controller killed mid-create", () => {
    const root = uniqueRoot("cephcrash");
    const pool = `crash${process.pid}`;
    const ceph = new CephClient({ conf: cephConf() });
    let main: Harness;
    const waitFor = (name: string, cond: (r: Resource | null) => boolean, ms = 30_000) =>
      main.waitFor("CephVolume", name, cond, ms);

    /** Starts the child, creates `doc` through the store, waits for HOOK, SIGKILLs the child. */
    async function crashDuring(at: "afterIntent" | "afterCreate", doc: Resource): Promise<void> {
      const child: ResultPromise = execa("node", ["--import", "tsx", new URL(import.meta.url).pathname], {
        env: { CEPH_CRASH_CHILD: root, CEPH_CRASH_AT: at },
        reject: false,
        stdin: "ignore",
      });
      try {
        await main.store.create(doc);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("the child never reached the hook")), 30_000);
          child.stdout?.on("data", (chunk: Buffer) => {
            if (chunk.toString().includes("HOOK")) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
      } finally {
        child.kill("SIGKILL");
        await child;
      }
    }

    async function images(): Promise<string[]> {
      return (await ceph.rbdLs(pool)).filter((e) => e.snapshot === undefined).map((e) => e.image);
    }

    before(async () => {
      // The pool comes from a controller of our own that we stop before any crash.
      main = await run(root, [cephPoolController]);
      await main.store.create({
        apiVersion: API,
        kind: "CephPool",
        metadata: { name: pool },
        spec: { pgs: 8, replication: { copies: 1, minCopies: 1 } },
      });
      await main.waitFor("CephPool", pool, isReady, 30_000);
      await main.close();
      main = await run(root, []); // a store only, for the test's own reads and writes
    });
    after(async () => {
      await ceph.poolRm(pool).catch(() => undefined);
      await main.zk.deleteRecursive(root).catch(() => undefined);
      await main.close();
    });

    test("killed after the intent, before rbd create: created once after restart", async () => {
      const name = `${pool}.early`;
      await crashDuring("afterIntent", {
        apiVersion: API,
        kind: "CephVolume",
        metadata: { name },
        spec: { pool, size: "4M" },
      });
      const dead = await main.store.get("CephVolume", name);
      assert.equal(
        (dead.status?.pendingCreate as { op?: string } | undefined)?.op,
        "create",
        "intent recorded",
      );
      assert.equal(dead.status?.imageId, undefined);
      assert.deepEqual(await images(), [], "the child died before rbd create");

      await main.close();
      main = await run(root, [cephPoolController, cephVolumeController]);
      const ready = await waitFor(name, isMirrored);
      assert.deepEqual(await images(), ["early"]);
      assert.equal(ready?.status?.imageId, (await ceph.rbdInfo(pool, "early")).id);
      assert.equal(ready?.status?.pendingCreate, undefined);
      await main.close();
      main = await run(root, []);
    });

    test("killed after rbd create returned, before the outcome was recorded: exactly one image, adopted", async () => {
      const name = `${pool}.late`;
      await crashDuring("afterCreate", {
        apiVersion: API,
        kind: "CephVolume",
        metadata: { name },
        spec: { pool, size: "4M" },
      });
      const dead = await main.store.get("CephVolume", name);
      assert.equal((dead.status?.pendingCreate as { op?: string } | undefined)?.op, "create");
      assert.equal(dead.status?.imageId, undefined, "the outcome was never recorded");
      const made = await ceph.rbdInfo(pool, "late");

      await main.close();
      main = await run(root, [cephPoolController, cephVolumeController]);
      const ready = await waitFor(name, isMirrored);
      assert.deepEqual((await images()).sort(), ["early", "late"], "no second image");
      assert.equal(ready?.status?.imageId, made.id, "the image made before the crash is the one recorded");
      await main.close();
      main = await run(root, []);
    });

    test("killed after rbd copy returned: the copy may be partial, so it stops with CreateOutcomeUnknown", async () => {
      const name = `${pool}.copy`;
      await crashDuring("afterCreate", {
        apiVersion: API,
        kind: "CephVolume",
        metadata: { name },
        spec: { pool, source: { volume: "early" } },
      });
      await main.close();
      main = await run(root, [cephPoolController, cephVolumeController]);
      const stalled = await waitFor(name, (r) =>
        (r?.status?.conditions ?? []).some(
          (c) => c.type === "Stalled" && c.status === "True" && c.reason === "CreateOutcomeUnknown",
        ),
      );
      assert.match(
        String(stalled?.status?.conditions?.find((c) => c.type === "Stalled")?.message),
        /rbd rm .*copy/,
      );
      assert.deepEqual((await images()).sort(), ["copy", "early", "late"], "nothing copied twice");
      // Removing the image (as the message says) lets it copy again.
      await ceph.rbdRm(pool, "copy");
      await waitFor(name, isReady);
      assert.deepEqual((await images()).sort(), ["copy", "early", "late"]);
      for (const v of ["early", "late", "copy"]) await main.store.delete("CephVolume", `${pool}.${v}`);
      for (const v of ["early", "late", "copy"]) await waitFor(`${pool}.${v}`, (r) => r === null);
      assert.deepEqual(await images(), []);
    });
  });
}
