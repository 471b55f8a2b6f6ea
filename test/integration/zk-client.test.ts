/**
 * The ZooKeeper client against the real ZooKeeper server of the test stack.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import { type WatchEvent, ZkClient, ZkMultiError } from "../../src/zk/client.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

function nextEvent(): { watcher: (e: WatchEvent) => void; event: Promise<WatchEvent> } {
  let resolve!: (e: WatchEvent) => void;
  const event = new Promise<WatchEvent>((r) => {
    resolve = r;
  });
  return { watcher: resolve, event };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms),
    ),
  ]);
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<PvcError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PvcError, `expected a PvcError, got ${err}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

describe("ZkClient on the real ZooKeeper", () => {
  let zk: ZkClient;
  const root = uniqueRoot("zk");

  before(async () => {
    zk = await ZkClient.connect({ connectString: zkConnect() });
    await zk.create(root, "");
  });
  after(async () => {
    await zk.deleteRecursive(root);
    zk.close();
  });

  test("create, get, set with expected version, BadVersion on a stale one", async () => {
    const path = `${root}/versioned`;
    assert.equal(await zk.create(path, "one"), path);
    const first = await zk.get(path);
    assert.equal(first.data, "one");
    assert.equal(first.stat.version, 0);
    const stat = await zk.set(path, "two", first.stat.version);
    assert.equal(stat.version, 1);
    assert.equal((await zk.get(path)).data, "two");
    await rejectsWithCode(zk.set(path, "stale", first.stat.version), ErrorCodes.ZK_BAD_VERSION);
    assert.equal((await zk.get(path)).data, "two", "a stale set must not change the value");
    assert.ok(BigInt(stat.mzxid) > BigInt(first.stat.mzxid), "mzxid grows with every change");
  });

  test("typed errors: NoNode, NodeExists, NotEmpty", async () => {
    await rejectsWithCode(zk.get(`${root}/missing`), ErrorCodes.ZK_NO_NODE);
    assert.equal(await zk.tryGet(`${root}/missing`), null);
    assert.equal(await zk.exists(`${root}/missing`), null);
    await zk.create(`${root}/dup`);
    await rejectsWithCode(zk.create(`${root}/dup`), ErrorCodes.ZK_NODE_EXISTS);
    await zk.create(`${root}/dup/child`);
    await rejectsWithCode(zk.delete(`${root}/dup`), ErrorCodes.ZK_NOT_EMPTY);
    await rejectsWithCode(zk.delete(`${root}/nothing-here`), ErrorCodes.ZK_NO_NODE);
  });

  test("values are UTF-8 strings, empty data reads as empty string", async () => {
    await zk.create(`${root}/utf8`, "réseau ✓");
    assert.equal((await zk.get(`${root}/utf8`)).data, "réseau ✓");
    await zk.create(`${root}/empty`);
    assert.equal((await zk.get(`${root}/empty`)).data, "");
  });

  test("ephemeral and sequential nodes", async () => {
    await zk.create(`${root}/seq`);
    const a = await zk.create(`${root}/seq/n-`, "", { mode: "persistent_sequential" });
    const b = await zk.create(`${root}/seq/n-`, "", { mode: "ephemeral_sequential" });
    assert.match(a, /\/n-\d{10}$/);
    assert.ok(b > a, "sequence numbers increase");
    const eph = await zk.exists(b);
    assert.ok(eph && eph.ephemeralOwner === zk.sessionId, "ephemeral node is owned by our session");
    assert.deepEqual((await zk.children(`${root}/seq`)).sort(), [a, b].map((p) => p.split("/").pop()).sort());
  });

  test("mkdirp creates missing parents and tolerates existing ones", async () => {
    await zk.mkdirp(`${root}/a/b/c`);
    await zk.mkdirp(`${root}/a/b/c`);
    assert.ok(await zk.exists(`${root}/a/b/c`));
  });

  test("multi applies all ops atomically", async () => {
    const base = `${root}/multi-ok`;
    const results = await zk.multi([
      { op: "create", path: base, data: "p" },
      { op: "create", path: `${base}/x`, data: "1" },
      { op: "create", path: `${base}/y`, data: "2" },
      { op: "set", path: `${base}/x`, data: "3", version: 0 },
      { op: "check", path: base, version: 0 },
    ]);
    assert.equal(results.length, 5);
    assert.equal(results[1].created, `${base}/x`);
    assert.equal(results[3].stat?.version, 1);
    assert.equal((await zk.get(`${base}/x`)).data, "3");
  });

  test("multi honours an expected version of 0 (the library alone would treat 0 as 'any')", async () => {
    const path = `${root}/v0`;
    await zk.create(path, "a");
    await zk.set(path, "b"); // now at version 1
    await rejectsWithCode(zk.multi([{ op: "check", path, version: 0 }]), ErrorCodes.ZK_BAD_VERSION);
    await rejectsWithCode(zk.multi([{ op: "set", path, data: "c", version: 0 }]), ErrorCodes.ZK_BAD_VERSION);
    await rejectsWithCode(zk.multi([{ op: "delete", path, version: 0 }]), ErrorCodes.ZK_BAD_VERSION);
    assert.equal((await zk.get(path)).data, "b");
    await zk.multi([{ op: "set", path, data: "d", version: 1 }]);
    assert.equal((await zk.get(path)).data, "d");
  });

  test("a failing multi leaves nothing and names the failing op", async () => {
    const base = `${root}/multi-fail`;
    await zk.create(base, "orig");
    let caught: unknown;
    try {
      await zk.multi([
        { op: "create", path: `${base}/new1`, data: "a" },
        { op: "set", path: base, data: "changed" },
        { op: "check", path: base, version: 7 }, // wrong version: the whole multi fails here
        { op: "create", path: `${base}/new2`, data: "b" },
      ]);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ZkMultiError, `expected ZkMultiError, got ${caught}`);
    assert.equal(caught.code, ErrorCodes.ZK_BAD_VERSION);
    assert.equal(caught.failedIndex, 2);
    assert.equal(caught.failedOp.op, "check");
    assert.match(caught.message, /op 3\/4 \(check .*multi-fail\)/);
    assert.deepEqual(await zk.children(base), [], "no create of the failed multi was applied");
    assert.equal((await zk.get(base)).data, "orig", "no set of the failed multi was applied");

    // NodeExists in the middle of a multi is reported as such.
    await zk.create(`${base}/exists`);
    const err = await rejectsWithCode(
      zk.multi([
        { op: "create", path: `${base}/fresh` },
        { op: "create", path: `${base}/exists` },
      ]),
      ErrorCodes.ZK_NODE_EXISTS,
    );
    assert.equal((err as ZkMultiError).failedIndex, 1);
    assert.equal(await zk.exists(`${base}/fresh`), null);
  });

  test("multi under a chrooted connect string: paths are the chroot's, sequential names come back, bad paths throw", async () => {
    const chroot = `${root}/chroot`;
    await zk.mkdirp(chroot);
    const inner = await ZkClient.connect({ connectString: `${zkConnect()}${chroot}` });
    try {
      const results = await inner.multi([
        { op: "create", path: "/app", data: "né" },
        { op: "create", path: "/app/e-", data: "1", mode: "persistent_sequential" },
        { op: "set", path: "/app", data: "été", version: 0 },
      ]);
      assert.match(String(results[1].created), /^\/app\/e-\d{10}$/, "created path without the chroot");
      assert.equal((await zk.get(`${chroot}/app`)).data, "été", "written under the chroot");
      assert.equal((await zk.children(`${chroot}/app`)).length, 1);
      await inner.multi([{ op: "check", path: "/", version: -1 }]); // the chroot itself
      await rejectsWithCode(inner.multi([{ op: "create", path: "app/no-slash" }]), ErrorCodes.ZK_OTHER);
    } finally {
      inner.close();
    }
  });

  test("deleteRecursive removes a whole subtree in one multi; a missing tree is fine", async () => {
    const base = `${root}/tree`;
    await zk.mkdirp(`${base}/a/b/c`);
    await zk.mkdirp(`${base}/d`);
    assert.deepEqual(await zk.listTree(base), [
      base,
      `${base}/a`,
      `${base}/d`,
      `${base}/a/b`,
      `${base}/a/b/c`,
    ]);
    await zk.deleteRecursive(base);
    assert.equal(await zk.exists(base), null);
    await zk.deleteRecursive(base);
  });

  test("one-shot watches fire once for data, children, create and delete", async () => {
    const path = `${root}/watched`;
    const created = nextEvent();
    assert.equal(await zk.exists(path, { watch: created.watcher }), null);
    await zk.create(path, "v0");
    assert.deepEqual(await withTimeout(created.event, 5000, "created"), { type: "created", path });

    let changedCount = 0;
    const changed = nextEvent();
    await zk.get(path, {
      watch: (e) => {
        changedCount++;
        changed.watcher(e);
      },
    });
    await zk.set(path, "v1");
    await zk.set(path, "v2");
    assert.deepEqual(await withTimeout(changed.event, 5000, "changed"), { type: "changed", path });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(changedCount, 1, "a one-shot watch fires once");

    const kids = nextEvent();
    await zk.children(path, { watch: kids.watcher });
    await zk.create(`${path}/kid`);
    assert.deepEqual(await withTimeout(kids.event, 5000, "children"), { type: "children", path });

    const deleted = nextEvent();
    await zk.exists(`${path}/kid`, { watch: deleted.watcher });
    await zk.delete(`${path}/kid`);
    assert.equal((await withTimeout(deleted.event, 5000, "deleted")).type, "deleted");

    // tryGet on a missing node still arms a watch that fires on create.
    const later = nextEvent();
    assert.equal(await zk.tryGet(`${root}/later`, { watch: later.watcher }), null);
    await zk.create(`${root}/later`);
    assert.equal((await withTimeout(later.event, 5000, "create via tryGet")).type, "created");
  });

  test("persistent recursive watch: every create/change/delete below the root, no re-arming", async () => {
    const base = `${root}/recursive`;
    await zk.create(base);
    const events: string[] = [];
    const unsubscribe = await zk.watchRecursive(base, (e) =>
      events.push(`${e.type} ${e.path.slice(base.length)}`),
    );
    await zk.create(`${base}/a`, "1");
    await zk.create(`${base}/a/b`, "2");
    await zk.set(`${base}/a/b`, "3");
    await zk.set(`${base}/a/b`, "4");
    await zk.multi([
      { op: "set", path: `${base}/a`, data: "5" },
      { op: "delete", path: `${base}/a/b` },
    ]);
    await zk.create(`${root}/recursive-sibling`); // outside the root: not reported
    const expected = [
      "created /a",
      "created /a/b",
      "changed /a/b",
      "changed /a/b",
      "changed /a",
      "deleted /a/b",
    ];
    const deadline = Date.now() + 5000;
    while (events.length < expected.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(events, expected);
    unsubscribe();
    await zk.set(`${base}/a`, "6");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(events.length, expected.length, "no events after unsubscribe");
  });

  test("persistent recursive watch survives a reconnect (re-added, with a session-rebuilt hint)", async () => {
    const proxy = await startTcpProxy(zkConnect());
    const client = await ZkClient.connect({ connectString: proxy.address, sessionTimeoutMs: 8000 });
    try {
      const base = `${root}/recursive-blip`;
      await zk.create(base);
      const events: string[] = [];
      await client.watchRecursive(base, (e) => events.push(`${e.type} ${e.path.slice(base.length)}`));
      const reconnected = new Promise<void>((r) => client.once("reconnected", () => r()));
      proxy.cut();
      await new Promise((r) => setTimeout(r, 300));
      proxy.restore();
      await withTimeout(reconnected, 10_000, "reconnect");
      const deadline = Date.now() + 5000;
      while (!events.includes("session-rebuilt ") && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      await zk.create(`${base}/after`);
      while (!events.includes("created /after") && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(events, ["session-rebuilt ", "created /after"]);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  test("a call on a closed client fails at once with ZK_CLOSED", async () => {
    const other = await ZkClient.connect({ connectString: zkConnect() });
    other.close();
    await rejectsWithCode(other.get(root), ErrorCodes.ZK_CLOSED);
  });

  test("connect to a port where nothing listens fails within the connect timeout", async () => {
    const started = Date.now();
    await rejectsWithCode(
      ZkClient.connect({ connectString: "127.0.0.1:1", connectTimeoutMs: 1000 }),
      ErrorCodes.ZK_CONNECTION_LOSS,
    );
    assert.ok(Date.now() - started < 5000);
  });

  test("forced session expiry: calls are rejected (none hangs), the session is rebuilt, watches fire, subscribers hear it", async () => {
    const proxy = await startTcpProxy(zkConnect());
    const sessionTimeoutMs = 4000;
    const client = await ZkClient.connect({
      connectString: proxy.address,
      sessionTimeoutMs,
      callTimeoutMs: 20_000,
    });
    try {
      const eph = `${root}/expiry-eph`;
      await client.create(eph, "mine", { mode: "ephemeral" });
      const firstSession = client.sessionId;
      const watch = nextEvent();
      await client.get(eph, { watch: watch.watcher });

      const heard: string[] = [];
      for (const name of ["suspended", "lost", "rebuilt"] as const) client.on(name, () => heard.push(name));
      const rebuilt = new Promise<void>((r) => client.once("rebuilt", () => r()));

      const suspended = new Promise<void>((r) => client.once("suspended", () => r()));
      proxy.cut();
      await withTimeout(suspended, 5000, "the client to notice the cut");
      // A call issued while disconnected is queued by the library, which never answers it once
      // the session has expired: it must be rejected rather than hang, although its own
      // timeout is far longer.
      const started = Date.now();
      const inFlight = client.get(eph).then(
        () => "resolved",
        (err: PvcError) => err.code,
      );
      assert.equal(
        await withTimeout(inFlight, sessionTimeoutMs + 4000, "the in-flight call to settle"),
        ErrorCodes.ZK_SESSION_EXPIRED,
      );
      assert.ok(Date.now() - started < 20_000, "rejected by the session loss, not by its own timeout");

      proxy.restore();
      await withTimeout(rebuilt, 15_000, "the session to be rebuilt");
      assert.deepEqual(heard, ["suspended", "lost", "rebuilt"]);
      assert.notEqual(client.sessionId, firstSession, "a new session");
      assert.equal(client.sessionCount, 2);
      assert.deepEqual(await withTimeout(watch.event, 2000, "the watch"), {
        type: "session-rebuilt",
        path: eph,
      });

      // The old session's ephemeral node is gone (the server expired it) and the client works.
      const deadline = Date.now() + 10_000;
      while ((await zk.exists(eph)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(
        await zk.exists(eph),
        null,
        "the expired session's ephemeral node was removed by the server",
      );
      await client.create(eph, "again", { mode: "ephemeral" });
      assert.equal((await client.get(eph)).data, "again");
    } finally {
      client.close();
      await proxy.close();
    }
  });

  test("a call that gets no answer fails with ZK_TIMEOUT after its timeout, not never", async () => {
    const proxy = await startTcpProxy(zkConnect());
    const client = await ZkClient.connect({
      connectString: proxy.address,
      sessionTimeoutMs: 20_000,
      callTimeoutMs: 300,
    });
    try {
      const suspended = new Promise<void>((r) => client.once("suspended", () => r()));
      proxy.cut();
      await withTimeout(suspended, 5000, "the client to notice the cut");
      const started = Date.now();
      await rejectsWithCode(client.get(root), ErrorCodes.ZK_TIMEOUT);
      const took = Date.now() - started;
      assert.ok(took >= 250 && took < 5000, `took ${took} ms`);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  test("a short disconnect within the session keeps the session and its ephemeral nodes", async () => {
    const proxy = await startTcpProxy(zkConnect());
    const client = await ZkClient.connect({ connectString: proxy.address, sessionTimeoutMs: 8000 });
    try {
      const eph = `${root}/blip-eph`;
      await client.create(eph, "", { mode: "ephemeral" });
      const session = client.sessionId;
      const reconnected = new Promise<void>((r) => client.once("reconnected", () => r()));
      proxy.cut();
      await new Promise((r) => setTimeout(r, 300));
      proxy.restore();
      await withTimeout(reconnected, 10_000, "reconnect");
      assert.equal(client.sessionId, session);
      assert.ok(await client.exists(eph));
      assert.equal(client.sessionCount, 1);
    } finally {
      client.close();
      await proxy.close();
    }
  });
});
