/**
 * TreeCache's (re)load racing its own watch, on an in-memory fake ZooKeeper (FakeZk below, named
 * as such: it keeps paths, data and zxids, sends recursive-watch events, and lets a test act
 * between the moment the tree is listed and the moment that listing reaches the cache).
 *
 * The flake this pins down: a VM test saw "node hv1 is not a PVC node" while /nodes/hv1 existed.
 * The hollow nodes registered while the controllers' /nodes mirror was loading; the node's create
 * event was cached, then the load, whose listing was taken before the create, dropped it as gone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import type { WatchEvent, ZkOp, ZkOpResult, ZkStat } from "../../src/zk/client.ts";
import { TreeCache, type TreeCacheZk } from "../../src/zk/tree-cache.ts";

/** An in-memory fake of the calls TreeCache makes; `duringList` runs after a listing is taken. */
class FakeZk implements TreeCacheZk {
  readonly nodes = new Map<string, { data: string; mzxid: number }>();
  #zxid = 0;
  #watchers: Array<(e: WatchEvent) => void> = [];
  duringList: (() => Promise<void>) | undefined;

  put(path: string, data = ""): void {
    const created = !this.nodes.has(path);
    this.nodes.set(path, { data, mzxid: ++this.#zxid });
    this.#emit({ type: created ? "created" : "changed", path });
  }

  remove(path: string): void {
    this.nodes.delete(path);
    this.#zxid++;
    this.#emit({ type: "deleted", path });
  }

  #emit(e: WatchEvent): void {
    for (const w of this.#watchers) w(e);
  }

  async mkdirp(path: string): Promise<void> {
    if (!this.nodes.has(path)) this.put(path);
  }

  observeMultis(): () => void {
    return () => undefined;
  }

  async watchRecursive(_path: string, listener: (e: WatchEvent) => void): Promise<() => void> {
    this.#watchers.push(listener);
    return () => {
      this.#watchers = this.#watchers.filter((w) => w !== listener);
    };
  }

  async listTree(path: string): Promise<string[]> {
    const listed = [...this.nodes.keys()].filter((p) => p === path || p.startsWith(`${path}/`)).sort();
    const act = this.duringList;
    this.duringList = undefined;
    if (act) await act();
    return listed;
  }

  async get(path: string): Promise<{ data: string; stat: ZkStat }> {
    await new Promise((r) => setImmediate(r));
    const node = this.nodes.get(path);
    if (!node) throw new PvcError(ErrorCodes.ZK_NO_NODE, `no node ${path}`);
    const z = String(node.mzxid);
    const stat: ZkStat = {
      version: 0,
      cversion: 0,
      czxid: z,
      mzxid: z,
      pzxid: z,
      ctime: 0,
      mtime: 0,
      ephemeralOwner: "",
      numChildren: 0,
      dataLength: node.data.length,
    };
    return { data: node.data, stat };
  }

  async multi(_ops: ZkOp[]): Promise<ZkOpResult[]> {
    throw new Error("FakeZk: multi is not used here");
  }
}

/** Lets every pending event read and chain run (each fake get waits one setImmediate). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

test("a child created while the first load lists the tree is kept (its event is newer than the listing)", async () => {
  const zk = new FakeZk();
  zk.put("/nodes");
  zk.put("/nodes/hv0", "");
  // The listing is taken; then hv1 registers and its event is read into the cache before the
  // listing's reads come back.
  zk.duringList = async () => {
    zk.put("/nodes/hv1", "");
    zk.put("/nodes/hv1/daemonstate", "run");
    await settle();
  };
  const cache = new TreeCache(zk, "/nodes");
  await cache.start();
  await settle();
  assert.deepEqual(cache.children("/nodes"), ["hv0", "hv1"]);
  assert.equal(cache.get("/nodes/hv1/daemonstate")?.data, "run");
  cache.stop();
});

test("a child deleted while a load reads it is not put back by the load", async () => {
  const zk = new FakeZk();
  zk.put("/nodes");
  zk.put("/nodes/hv0", "");
  zk.put("/nodes/hv9", "");
  const cache = new TreeCache(zk, "/nodes");
  // hv9 is listed, then deleted; its delete event is handled before the listing's reads return
  // (the fake answers the read from the state at read time, so make the read see it first).
  const realGet = zk.get.bind(zk);
  let seenHv9 = false;
  zk.get = async (path: string) => {
    const r = await realGet(path);
    if (path === "/nodes/hv9" && !seenHv9) {
      seenHv9 = true;
      zk.remove("/nodes/hv9");
      await settle();
    }
    return r;
  };
  await cache.start();
  await settle();
  assert.deepEqual(cache.children("/nodes"), ["hv0"]);
  cache.stop();
});

test("version() moves with any change in a top-level child's subtree, and only there", async () => {
  const zk = new FakeZk();
  zk.put("/networks");
  zk.put("/networks/100", "a");
  zk.put("/networks/100/ip4_gateway", "10.0.0.1");
  zk.put("/networks/200", "b");
  const cache = new TreeCache(zk, "/networks");
  await cache.start();
  await settle();
  const v100 = cache.version("/networks/100");
  const v200 = cache.version("/networks/200/anything");
  assert.equal(cache.version("/networks/100/ip4_gateway"), v100, "a path and its top-level child agree");
  zk.put("/networks/100/ip4_gateway", "10.0.0.1"); // same data: nothing moved
  await settle();
  assert.equal(cache.version("/networks/100"), v100);
  zk.put("/networks/100/ip4_gateway", "10.0.0.254");
  await settle();
  const moved = cache.version("/networks/100");
  assert.notEqual(moved, v100, "a changed value deep in the subtree");
  assert.equal(cache.version("/networks/200"), v200, "another subtree did not move");
  zk.remove("/networks/100/ip4_gateway");
  await settle();
  assert.notEqual(cache.version("/networks/100"), moved, "a delete");
  const other = new TreeCache(zk, "/networks");
  await other.start();
  assert.notEqual(
    other.version("/networks/300"),
    cache.version("/networks/300"),
    "caches never agree by chance",
  );
  cache.stop();
  other.stop();
});
