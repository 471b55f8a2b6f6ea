/**
 * Write-through (MultiObserver): caches on a client take the events that arrive while one of the
 * client's multis is in flight as its own. When that multi then fails, such an event was someone
 * else's; these tests put the events and the failing reply in exactly that order (a proxy holds
 * the server's replies and events back, then releases them) and check nothing is lost.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KINDS } from "../../src/resources/kinds.ts";
import { validateResource } from "../../src/resources/validate.ts";
import { Informer } from "../../src/store/informer.ts";
import { ResourceStore } from "../../src/store/store.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { TreeCache } from "../../src/zk/tree-cache.ts";
import { until } from "../helpers/api-app.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

const root = uniqueRoot("write-through");
let proxy: TcpProxy;
let mine: ZkClient;
let theirs: ZkClient;

before(async () => {
  proxy = await startTcpProxy(zkConnect());
  mine = await ZkClient.connect({ connectString: proxy.address });
  theirs = await ZkClient.connect({ connectString: zkConnect() });
});
after(async () => {
  await theirs.deleteRecursive(root);
  mine.close();
  theirs.close();
  await proxy.close();
});

test("TreeCache: another client's create, seen while our failing create of the same path was in flight, is kept", async () => {
  const tree = `${root}/tree`;
  await theirs.mkdirp(tree);
  const cache = new TreeCache(mine, tree);
  await cache.start();
  proxy.hold();
  await theirs.create(`${tree}/x`, "theirs"); // its event to us waits in the proxy
  const ours = cache.commit([{ op: "create", path: `${tree}/x`, data: "mine" }]);
  const outcome = ours.then(
    () => "applied",
    (err: Error) => err.message,
  );
  await new Promise((r) => setTimeout(r, 100)); // the multi has reached the server and failed
  proxy.release(); // event (taken as ours while in flight), then the failed reply
  assert.match(await outcome, /NODE_EXISTS/);
  await until("the cache holds their node", () => cache.get(`${tree}/x`)?.data === "theirs");
  cache.stop();
});

test("Informer: another client's object, seen while our failing create of the same name was in flight, is listed", async () => {
  const options = { root: `${root}/store`, kinds: KINDS, validate: validateResource };
  const ourStore = new ResourceStore(mine, options);
  const theirStore = new ResourceStore(theirs, options);
  await theirStore.init();
  const informer = new Informer(ourStore, "Network");
  await informer.start();
  const doc = (description: string) => ({
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "Network",
    metadata: { name: "net" },
    spec: { vni: 100, type: "bridged", description },
  });
  proxy.hold();
  await theirStore.create(doc("theirs"));
  const outcome = ourStore.create(doc("mine")).then(
    () => "applied",
    (err: Error) => err.message,
  );
  await new Promise((r) => setTimeout(r, 100));
  proxy.release();
  assert.match(await outcome, /already exists/);
  await until("the informer lists their object", () => informer.get("net")?.spec.description === "theirs");
  informer.stop();
});

test("Informer: our own create is in the cache when create() returns, without a read", async () => {
  const options = { root: `${root}/store2`, kinds: KINDS, validate: validateResource };
  const reads: string[] = [];
  const counted = await ZkClient.connect({
    connectString: zkConnect(),
    onCall: (c) => {
      if (c.op === "get") reads.push(c.op);
    },
  });
  try {
    const store = new ResourceStore(counted, options);
    await store.init();
    const informer = new Informer(store, "Network");
    await informer.start();
    reads.length = 0;
    const created = await store.create({
      apiVersion: "pvc.parallelvirtualcluster.org/v1",
      kind: "Network",
      metadata: { name: "own" },
      spec: { vni: 101, type: "bridged", description: "own" },
    });
    const cached = informer.get("own");
    assert.equal(cached?.metadata.resourceVersion, created.metadata.resourceVersion);
    assert.equal(cached?.metadata.uid, created.metadata.uid);
    await store.updateStatus("Network", "own", { observedGeneration: 1 });
    assert.equal(informer.get("own")?.status?.observedGeneration, 1, "status written through at once");
    await new Promise((r) => setTimeout(r, 200)); // any read the events would have caused
    assert.deepEqual(reads, [], "no read-back of our own writes");
    informer.stop();
  } finally {
    await counted.deleteRecursive(`${root}/store2`);
    counted.close();
  }
});
