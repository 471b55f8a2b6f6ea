/** TreeCache on the real ZooKeeper: a mirror of a subtree kept by one persistent recursive watch. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ZkClient } from "../../src/zk/client.ts";
import { RELOAD_CONCURRENCY, TreeCache } from "../../src/zk/tree-cache.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

let zk: ZkClient;
const root = uniqueRoot("treecache");

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

before(async () => {
  zk = await ZkClient.connect({ connectString: zkConnect() });
  await zk.mkdirp(`${root}/tree/a/b`);
  await zk.set(`${root}/tree/a/b`, "old");
});
after(async () => {
  await zk.deleteRecursive(root);
  zk.close();
});

test("loads the subtree, then follows creates, changes and deletes at any depth", async () => {
  const cache = new TreeCache(zk, `${root}/tree`);
  const changed: string[] = [];
  cache.on("change", (p) => changed.push(p.slice(`${root}/tree`.length)));
  await cache.start();
  assert.deepEqual([...cache.subtree(`${root}/tree`).keys()].sort(), [
    `${root}/tree`,
    `${root}/tree/a`,
    `${root}/tree/a/b`,
  ]);
  assert.equal(cache.get(`${root}/tree/a/b`)?.data, "old");
  changed.length = 0;

  await zk.set(`${root}/tree/a/b`, "new");
  await zk.create(`${root}/tree/a/c`, "c");
  await zk.create(`${root}/tree/a/c/d`, "d");
  await until(
    "mirror",
    () => cache.get(`${root}/tree/a/c/d`)?.data === "d" && cache.get(`${root}/tree/a/b`)?.data === "new",
  );
  assert.deepEqual(cache.children(`${root}/tree/a`), ["b", "c"]);
  await zk.deleteRecursive(`${root}/tree/a/c`);
  await until("delete", () => !cache.has(`${root}/tree/a/c`) && !cache.has(`${root}/tree/a/c/d`));
  assert.deepEqual(changed, ["/a/b", "/a/c", "/a/c/d", "/a/c/d", "/a/c"]);
  cache.stop();
});

test("noteWrite makes the cache current at once; an older read cannot undo it", async () => {
  const cache = new TreeCache(zk, `${root}/tree`);
  await cache.start();
  const [result] = await zk.multi([{ op: "set", path: `${root}/tree/a`, data: "mine" }]);
  cache.noteWrite(result.stat?.mzxid as string, [{ path: `${root}/tree/a`, data: "mine" }]);
  assert.equal(cache.get(`${root}/tree/a`)?.data, "mine");
  cache.noteWrite("1", [{ path: `${root}/tree/a`, data: "ancient" }]);
  assert.equal(cache.get(`${root}/tree/a`)?.data, "mine", "an older zxid is ignored");
  cache.stop();
});

test("after a reconnect the tree is read again and what changed meanwhile is reported", async () => {
  const proxy = await startTcpProxy(zkConnect());
  const client = await ZkClient.connect({ connectString: proxy.address, sessionTimeoutMs: 8000 });
  try {
    const cache = new TreeCache(client, `${root}/tree`);
    await cache.start();
    const changed = new Set<string>();
    cache.on("change", (p) => changed.add(p));
    proxy.cut();
    await zk.set(`${root}/tree/a/b`, "while-away");
    await zk.create(`${root}/tree/z`, "new");
    await new Promise((r) => setTimeout(r, 300));
    proxy.restore();
    await until(
      "resync",
      () => cache.get(`${root}/tree/a/b`)?.data === "while-away" && cache.has(`${root}/tree/z`),
    );
    assert.ok(changed.has(`${root}/tree/a/b`) && changed.has(`${root}/tree/z`));
    cache.stop();
  } finally {
    client.close();
    await proxy.close();
  }
});

test("commit: ops outside the mirrored tree ride along in the same multi and stay out of the cache", async () => {
  const cache = new TreeCache(zk, `${root}/tree`);
  await cache.start();
  await zk.mkdirp(`${root}/outside`);
  await cache.commit([
    { op: "create", path: `${root}/tree/fresh`, data: "in" },
    { op: "set", path: `${root}/outside`, data: "status" },
  ]);
  assert.equal(cache.get(`${root}/tree/fresh`)?.data, "in", "known at once, without waiting for the watch");
  assert.equal(cache.get(`${root}/outside`), undefined);
  assert.equal((await zk.get(`${root}/outside`)).data, "status");
  cache.stop();
});

test("a load of a large tree keeps at most RELOAD_CONCURRENCY gets in flight", async () => {
  // Every get's [start, end] from the client's own call report; the most that overlap is the
  // fan-out (unbounded, a tree of 10,000 networks had 200,000 gets and their promises at once).
  const calls: Array<[number, number]> = [];
  const counting = await ZkClient.connect({
    connectString: zkConnect(),
    onCall: ({ op, ms }) => {
      const end = performance.now();
      if (op === "get") calls.push([end - ms, end]);
    },
  });
  const big = `${root}/big`;
  const ops = Array.from({ length: 1200 }, (_, i) => ({
    op: "create" as const,
    path: `${big}/n${i}`,
    data: "x",
  }));
  await zk.mkdirp(big);
  for (let i = 0; i < ops.length; i += 400) await zk.multi(ops.slice(i, i + 400));
  const cache = new TreeCache(counting, big);
  await cache.start();
  cache.stop();
  counting.close();
  assert.equal(cache.children(big).length, 1200);
  const edges = calls
    .flatMap(([s, e]) => [[s, 1] as const, [e, -1] as const])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let inFlight = 0;
  let most = 0;
  for (const [, d] of edges) {
    inFlight += d;
    most = Math.max(most, inFlight);
  }
  assert.ok(calls.length >= 1200, `${calls.length} gets`);
  assert.ok(most <= RELOAD_CONCURRENCY, `${most} gets in flight at once`);
});
