/**
 * Leader election on the real ZooKeeper: one leader among two or three replicas, failover when
 * the leader goes, immediate step-down on a connection loss, fencing of a stale leader's writes,
 * and the Manager running controllers only on the leader. Failover times are printed, not asserted.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import { Controller } from "../../src/runtime/controller.ts";
import { LeaderElector } from "../../src/runtime/leader.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { ZkClient, ZkMultiError } from "../../src/zk/client.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

function once<T>(elector: LeaderElector, event: "elected" | "revoked"): Promise<T> {
  return new Promise((resolve) => elector.once(event, ((arg: T) => resolve(arg)) as never));
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Replica {
  zk: ZkClient;
  elector: LeaderElector;
}

describe("LeaderElector on the real ZooKeeper", () => {
  const root = uniqueRoot("leader");
  let admin: ZkClient;
  const open: ZkClient[] = [];

  async function replica(
    path: string,
    connectString = zkConnect(),
    sessionTimeoutMs = 10_000,
  ): Promise<Replica> {
    const zk = await ZkClient.connect({ connectString, sessionTimeoutMs });
    open.push(zk);
    const elector = new LeaderElector({ zk, path, retryDelayMs: 200 });
    return { zk, elector };
  }

  before(async () => {
    admin = await ZkClient.connect({ connectString: zkConnect() });
    await admin.mkdirp(root);
  });
  after(async () => {
    for (const zk of open) zk.close();
    await admin.deleteRecursive(root);
    admin.close();
  });

  test("two replicas: exactly one leads", async () => {
    const path = `${root}/two`;
    const a = await replica(path);
    const b = await replica(path);
    const elected = once(a.elector, "elected");
    await a.elector.start();
    await withTimeout(elected, 5000, "a to be elected");
    await b.elector.start();
    await sleep(200);
    assert.equal(a.elector.isLeader, true);
    assert.equal(b.elector.isLeader, false);
    assert.equal(typeof a.elector.token, "number");
    assert.equal(b.elector.token, undefined);
    assert.equal((await admin.children(path)).length, 2);
    await b.elector.stop();
    await a.elector.stop();
    assert.deepEqual(await admin.children(path), [], "stop removes the nodes");
  });

  test("three replicas: one leader; closing the leader's client elects the next, then the last", async () => {
    const path = `${root}/three`;
    const replicas = [await replica(path), await replica(path), await replica(path)];
    for (const r of replicas) await r.elector.start();
    await until(() => replicas.filter((r) => r.elector.isLeader).length === 1, "one leader");
    await sleep(200);
    assert.equal(replicas.filter((r) => r.elector.isLeader).length, 1, "still exactly one");
    const first = replicas.findIndex((r) => r.elector.isLeader);
    assert.equal(first, 0, "the first to enter leads");
    const tokens = [replicas[0].elector.token ?? -1];

    for (const [leader, next] of [
      [0, 1],
      [1, 2],
    ]) {
      const elected = once<{ token: number }>(replicas[next].elector, "elected");
      const started = performance.now();
      replicas[leader].zk.close();
      const { token } = await withTimeout(elected, 10_000, `replica ${next} to take over`);
      const ms = performance.now() - started;
      console.log(`failover after the leader's client closed: ${ms.toFixed(1)} ms`);
      tokens.push(token);
      assert.equal(replicas[leader].elector.isLeader, false, "a closed client's elector revoked");
      assert.equal(replicas.filter((r) => r.elector.isLeader).length, 1);
    }
    assert.ok(tokens[0] < tokens[1] && tokens[1] < tokens[2], `fencing tokens grow: ${tokens}`);
    await replicas[2].elector.stop();
  });

  test("a follower that leaves does not disturb the leader (each watches only its predecessor)", async () => {
    const path = `${root}/middle`;
    const replicas = [await replica(path), await replica(path), await replica(path)];
    for (const r of replicas) await r.elector.start();
    await until(() => replicas[0].elector.isLeader, "the first to lead");
    let revoked = false;
    replicas[0].elector.on("revoked", () => {
      revoked = true;
    });
    await replicas[1].elector.stop();
    await sleep(300);
    assert.ok(replicas[0].elector.isLeader && !revoked);
    assert.ok(!replicas[2].elector.isLeader);
    // The third now follows the first directly.
    const elected = once(replicas[2].elector, "elected");
    await replicas[0].elector.stop();
    await withTimeout(elected, 5000, "the third to lead");
    await replicas[2].elector.stop();
  });

  test("fencing: the leader's guarded multi applies; once it is no longer leader the same guard fails", async () => {
    const path = `${root}/fence`;
    const data = `${root}/fenced-key`;
    await admin.create(data, "v0");
    const a = await replica(path);
    const b = await replica(path);
    const elected = once(a.elector, "elected");
    await a.elector.start();
    await withTimeout(elected, 5000, "a to lead");
    await b.elector.start();
    assert.throws(
      () => b.elector.fenceOp(),
      (err: unknown) => err instanceof PvcError && err.code === ErrorCodes.NOT_LEADER,
    );
    await a.zk.multi(a.elector.fenced([{ op: "set", path: data, data: "from a" }]));
    assert.equal((await admin.get(data)).data, "from a");

    // A stale leader: it still holds the ops it built while leading, sent after it lost the lead
    // (here over another client, as a store would).
    const staleOps = a.elector.fenced([{ op: "set", path: data, data: "stale" }]);
    const bElected = once(b.elector, "elected");
    await a.elector.stop();
    await withTimeout(bElected, 5000, "b to lead");
    let caught: unknown;
    try {
      await admin.multi(staleOps);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ZkMultiError, `expected a ZkMultiError, got ${caught}`);
    const notLeader = a.elector.fenceError(caught);
    assert.equal(notLeader?.code, ErrorCodes.NOT_LEADER);
    assert.equal((await admin.get(data)).data, "from a", "the stale write was not applied");
    assert.equal(b.elector.fenceError(new Error("other")), undefined);
    await b.zk.multi(b.elector.fenced([{ op: "set", path: data, data: "from b" }]));
    assert.equal((await admin.get(data)).data, "from b");
    await b.elector.stop();
  });

  test("forced session loss: the leader revokes at once on suspend; another leads after the session expires", async () => {
    const path = `${root}/expiry`;
    const proxy = await startTcpProxy(zkConnect());
    const sessionTimeoutMs = 4000;
    try {
      const a = await replica(path, proxy.address, sessionTimeoutMs);
      const b = await replica(path);
      const elected = once(a.elector, "elected");
      await a.elector.start();
      await withTimeout(elected, 5000, "a to lead");
      await b.elector.start();
      const oldNode = a.elector.node;

      const revoked = once<{ reason: string }>(a.elector, "revoked");
      const bElected = once(b.elector, "elected");
      const cutAt = performance.now();
      proxy.cut();
      const { reason } = await withTimeout(revoked, sessionTimeoutMs, "a to step down");
      const revokedMs = performance.now() - cutAt;
      assert.equal(reason, "suspended");
      assert.ok(revokedMs < sessionTimeoutMs, `revoked after ${revokedMs} ms, before the session timeout`);
      assert.ok(!a.elector.isLeader);
      await withTimeout(bElected, sessionTimeoutMs * 3 + 5000, "b to take over");
      const takeoverMs = performance.now() - cutAt;
      console.log(
        `session loss: old leader revoked after ${revokedMs.toFixed(1)} ms; new leader after ${takeoverMs.toFixed(0)} ms (session timeout ${sessionTimeoutMs} ms)`,
      );
      assert.ok(!a.elector.isLeader, "never two leaders");

      // Back online: a's session is rebuilt and it re-enters as a follower with a new node.
      const rebuilt = new Promise<void>((r) => a.zk.once("rebuilt", () => r()));
      proxy.restore();
      await withTimeout(rebuilt, 20_000, "a's session to be rebuilt");
      await until(() => a.elector.node !== undefined && a.elector.node !== oldNode, "a to re-enter");
      await sleep(200);
      assert.ok(b.elector.isLeader && !a.elector.isLeader);
      assert.equal((await admin.children(path)).length, 2);
      await b.elector.stop();
      await a.elector.stop();
    } finally {
      await proxy.close();
    }
  });

  test("a short disconnect: revoked on suspend, leading again on reconnect with the same node", async () => {
    const path = `${root}/blip`;
    const proxy = await startTcpProxy(zkConnect());
    try {
      const a = await replica(path, proxy.address, 8000);
      const elected = once(a.elector, "elected");
      await a.elector.start();
      await withTimeout(elected, 5000, "a to lead");
      const node = a.elector.node;
      const revoked = once(a.elector, "revoked");
      const again = new Promise<void>((resolve) => {
        revoked.then(() => a.elector.once("elected", () => resolve()));
      });
      proxy.cut();
      await withTimeout(revoked, 5000, "the step-down");
      assert.ok(!a.elector.isLeader);
      await sleep(300);
      proxy.restore();
      await withTimeout(again, 10_000, "leading again after the reconnect");
      assert.equal(a.elector.node, node, "same session, same node");
      await a.elector.stop();
    } finally {
      await proxy.close();
    }
  });

  test("Manager: controllers run only on the leader, and move on failover", async () => {
    const path = `${root}/manager`;
    const reconciled: string[] = [];
    const make = async (name: string) => {
      const r = await replica(path);
      const controller = new Controller({
        kind: "Network",
        resyncPeriodMs: 0,
        reconcile: async (key) => {
          reconciled.push(`${name}:${key}`);
        },
      });
      controller.resync(() => ["net-a"]);
      const manager = new Manager({ elector: r.elector, controllers: [controller] });
      return { ...r, controller, manager };
    };
    const a = await make("a");
    const b = await make("b");
    await a.manager.start();
    await until(() => a.manager.leading, "a's controllers to start");
    await b.manager.start();
    await sleep(200);
    assert.ok(a.controller.running && !b.controller.running);
    await until(() => reconciled.includes("a:net-a"), "a's initial resync");
    assert.deepEqual(await b.controller.enqueue("net-a"), { result: "cancelled" }, "a follower does nothing");

    const started = performance.now();
    a.zk.close();
    await until(() => b.controller.running, "b's controllers to start");
    await until(() => !a.controller.running, "a's controllers to stop");
    console.log(
      `manager failover (controllers running on the new leader): ${(performance.now() - started).toFixed(1)} ms`,
    );
    await until(() => reconciled.includes("b:net-a"), "b's initial resync");
    await b.manager.stop();
    assert.ok(!b.controller.running);
    await a.manager.stop();
  });
});
