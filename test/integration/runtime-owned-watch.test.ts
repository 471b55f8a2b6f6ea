/**
 * Owned watches on the real ZooKeeper: out-of-band set, delete and create anywhere under a
 * watched subtree are reported (including under nodes created later), each once, and watching
 * resumes after a session rebuild. Ends with a controller repairing drift through them.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Controller } from "../../src/runtime/controller.ts";
import { RuntimeMetrics } from "../../src/runtime/metrics.ts";
import { type OwnedChange, OwnedWatch } from "../../src/runtime/owned-watch.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Waiter {
  pred: (c: OwnedChange) => boolean;
  resolve: (c: OwnedChange) => void;
  timer?: NodeJS.Timeout;
}

/** Collects changes; `next(pred)` waits for the first matching one not yet taken. */
class Changes {
  readonly all: OwnedChange[] = [];
  #waiters: Waiter[] = [];
  #taken = new Set<number>();

  push = (change: OwnedChange): void => {
    this.all.push(change);
    for (const w of [...this.#waiters]) {
      const i = this.#find(w.pred);
      if (i >= 0) {
        this.#taken.add(i);
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(this.all[i]);
      }
    }
  };

  #find(pred: (c: OwnedChange) => boolean): number {
    return this.all.findIndex((c, i) => !this.#taken.has(i) && pred(c));
  }

  next(path: string, type: OwnedChange["type"], ms = 5000): Promise<OwnedChange> {
    const pred = (c: OwnedChange) => c.path === path && c.type === type;
    const i = this.#find(pred);
    if (i >= 0) {
      this.#taken.add(i);
      return Promise.resolve(this.all[i]);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { pred, resolve };
      this.#waiters.push(waiter);
      waiter.timer = setTimeout(() => {
        if (!this.#waiters.includes(waiter)) return;
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no ${type} on ${path} within ${ms} ms; saw ${JSON.stringify(this.all)}`));
      }, ms);
    });
  }

  count(path: string, type: OwnedChange["type"]): number {
    return this.all.filter((c) => c.path === path && c.type === type).length;
  }
}

describe("OwnedWatch on the real ZooKeeper", () => {
  const root = uniqueRoot("owned");
  let admin: ZkClient;
  let zk: ZkClient;

  before(async () => {
    admin = await ZkClient.connect({ connectString: zkConnect() });
    zk = await ZkClient.connect({ connectString: zkConnect() });
    await admin.mkdirp(root);
  });
  after(async () => {
    zk.close();
    await admin.deleteRecursive(root);
    admin.close();
  });

  test("sees out-of-band set, delete and create anywhere under the subtree, each once", async () => {
    const sub = `${root}/net-a`;
    await admin.mkdirp(`${sub}/b/c`);
    await admin.create(`${sub}/a`, "1");
    const changes = new Changes();
    const w = new OwnedWatch(zk, { paths: [sub], onChange: changes.push });
    await w.start();
    assert.equal(w.size, 4, "root, a, b, b/c");
    assert.deepEqual(changes.all, [], "arming reports nothing");

    await admin.set(`${sub}/a`, "2");
    await changes.next(`${sub}/a`, "changed");
    await admin.set(`${sub}/a`, "3");
    await changes.next(`${sub}/a`, "changed"); // re-armed after the first fire

    await admin.delete(`${sub}/b/c`);
    await changes.next(`${sub}/b/c`, "deleted");

    // Created later, at depth, and then changed: watched like the rest.
    await admin.create(`${sub}/b/new`, "x");
    await changes.next(`${sub}/b/new`, "created");
    await admin.create(`${sub}/b/new/deeper`, "y");
    await changes.next(`${sub}/b/new/deeper`, "created");
    await admin.set(`${sub}/b/new/deeper`, "z");
    await changes.next(`${sub}/b/new/deeper`, "changed");
    await admin.set(sub, "root data");
    await changes.next(sub, "changed");

    await sleep(200);
    assert.equal(changes.count(`${sub}/a`, "changed"), 2, "one report per change");
    assert.equal(changes.count(`${sub}/b/new`, "created"), 1);
    assert.equal(changes.all.length, 7, JSON.stringify(changes.all));
    w.close();
    await admin.set(`${sub}/a`, "after close");
    await sleep(200);
    assert.equal(changes.all.length, 7, "nothing after close");
  });

  test("a burst of changes: a read made on the last report sees the final value", async () => {
    const sub = `${root}/burst`;
    await admin.mkdirp(`${sub}/key`);
    const reads: string[] = [];
    let reports = 0;
    const w = new OwnedWatch(zk, {
      paths: [sub],
      onChange: (change) => {
        reports++;
        // What a reconcile does: read the current state when woken.
        if (change.type !== "deleted") void zk.get(change.path).then((r) => reads.push(r.data));
      },
    });
    await w.start();
    await Promise.all(Array.from({ length: 50 }, (_, i) => admin.set(`${sub}/key`, String(i))));
    await admin.set(`${sub}/key`, "final");
    const deadline = Date.now() + 5000;
    while (reads.at(-1) !== "final") {
      assert.ok(Date.now() < deadline, `the last read saw ${reads.at(-1)}`);
      await sleep(10);
    }
    assert.ok(reports <= 51, `at most one report per change (${reports})`);
    w.close();
  });

  test("a root deleted and created again; a root missing at start", async () => {
    const sub = `${root}/net-b`;
    const missing = `${root}/net-missing`;
    await admin.mkdirp(`${sub}/x`);
    const changes = new Changes();
    const w = new OwnedWatch(zk, { paths: [sub, missing], onChange: changes.push });
    await w.start();
    await admin.deleteRecursive(sub);
    await changes.next(`${sub}/x`, "deleted");
    await changes.next(sub, "deleted");
    await admin.create(sub);
    await changes.next(sub, "created");
    await admin.create(`${sub}/y`);
    await changes.next(`${sub}/y`, "created");

    await admin.create(missing, "now");
    await changes.next(missing, "created");
    await admin.create(`${missing}/child`);
    await changes.next(`${missing}/child`, "created");
    w.close();
  });

  test("setPaths adds and drops roots", async () => {
    const one = `${root}/one`;
    const two = `${root}/two`;
    await admin.create(one);
    await admin.create(two);
    const changes = new Changes();
    const w = new OwnedWatch(zk, { paths: [one], onChange: changes.push });
    await w.start();
    await w.setPaths([two]);
    await admin.set(one, "ignored");
    await admin.set(two, "seen");
    await changes.next(two, "changed");
    await sleep(100);
    assert.equal(changes.count(one, "changed"), 0, "a dropped root is not reported");
    w.close();
  });

  test("after a session rebuild: reports the roots, and sees changes again", async () => {
    const sub = `${root}/net-c`;
    await admin.mkdirp(`${sub}/k`);
    const proxy = await startTcpProxy(zkConnect());
    const client = await ZkClient.connect({ connectString: proxy.address, sessionTimeoutMs: 4000 });
    try {
      const changes = new Changes();
      const w = new OwnedWatch(client, { paths: [sub], onChange: changes.push });
      await w.start();
      const lost = new Promise<void>((r) => client.once("lost", () => r()));
      const rebuilt = new Promise<void>((r) => client.once("rebuilt", () => r()));
      proxy.cut();
      await admin.set(`${sub}/k`, "changed while cut off");
      await admin.create(`${sub}/born-while-cut`);
      await lost;
      proxy.restore();
      await rebuilt;
      await changes.next(sub, "session-rebuilt", 10_000);
      assert.equal(changes.count(`${sub}/k`, "changed"), 0, "no stale watch fired as a change");

      // Watches are armed again, including on the node born while cut off.
      await admin.set(`${sub}/k`, "after rebuild");
      await changes.next(`${sub}/k`, "changed");
      await admin.set(`${sub}/born-while-cut`, "watched");
      await changes.next(`${sub}/born-while-cut`, "changed");
      await admin.create(`${sub}/later`);
      await changes.next(`${sub}/later`, "created");
      w.close();
    } finally {
      client.close();
      await proxy.close();
    }
  });

  test("OwnedWatches + Controller: out-of-band drift is repaired at once", async () => {
    const desired = new Map([["vm1", "running"]]);
    const keyOf = (name: string) => `${root}/vms/${name}/state`;
    await admin.mkdirp(`${root}/vms/vm1`);
    const metrics = new RuntimeMetrics();
    let repairs = 0;
    const controller: Controller = new Controller({
      kind: "Vm",
      resyncPeriodMs: 0,
      metrics,
      reconcile: async (name) => {
        const want = desired.get(name);
        if (want === undefined) {
          watches.delete(name);
          return;
        }
        const have = await zk.tryGet(keyOf(name));
        if (have?.data !== want) {
          if (have) await zk.set(keyOf(name), want, have.stat.version);
          else await zk.create(keyOf(name), want);
          repairs++;
          controller.driftRepaired(name, keyOf(name));
        }
        await watches.set(name, [`${root}/vms/${name}`]);
      },
    });
    const watches = controller.ownedWatches(zk);
    await controller.start();
    await controller.enqueue("vm1");
    assert.equal((await admin.get(keyOf("vm1"))).data, "running");
    assert.equal(repairs, 1);
    assert.deepEqual(watches.owners, ["vm1"]);

    const started = performance.now();
    await admin.set(keyOf("vm1"), "stopped");
    const deadline = Date.now() + 5000;
    while ((await admin.get(keyOf("vm1"))).data !== "running") {
      assert.ok(Date.now() < deadline, "drift not repaired");
      await sleep(2);
    }
    console.log(`drift repaired through an owned watch in ${(performance.now() - started).toFixed(1)} ms`);
    await sleep(100);
    assert.equal(repairs, 2, "one repair; the controller's own write caused one idle reconcile");

    await admin.delete(keyOf("vm1"));
    const deadline2 = Date.now() + 5000;
    while (!(await admin.exists(keyOf("vm1")))) {
      assert.ok(Date.now() < deadline2, "deleted key not re-created");
      await sleep(2);
    }
    // The reconcile counts the repair just after its write returns, which the loop above may see first.
    const deadline3 = Date.now() + 5000;
    while (repairs < 3) {
      assert.ok(Date.now() < deadline3, "the third repair was not counted");
      await sleep(2);
    }
    const text = await metrics.render();
    assert.match(text, /pvc_drift_repairs_total\{kind="Vm"\} 3/);
    assert.match(text, /pvc_owned_watch_events_total\{kind="Vm"\} [1-9]/);
    await controller.stop();
    assert.deepEqual(watches.owners, [], "watches dropped with the controller");
  });
});
