/**
 * The resource store and informer on the real ZooKeeper. The kinds here are generic (Gadget,
 * Part): the store knows nothing of PVC's kinds; their schemas are tested on their own.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import type { Resource } from "../../src/resources/types.ts";
import { EventRecorder } from "../../src/store/events.ts";
import { GarbageCollector } from "../../src/store/gc.ts";
import { Informer } from "../../src/store/informer.ts";
import { parseLabelSelector } from "../../src/store/labels.ts";
import { ResourceStore } from "../../src/store/store.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

const KINDS = [
  { kind: "Gadget", plural: "gadgets" },
  { kind: "Part", plural: "parts" },
];
const API = "test/v1";

function gadget(
  name: string,
  spec: Record<string, unknown> = { size: 1 },
  labels?: Record<string, string>,
): Resource {
  return { apiVersion: API, kind: "Gadget", metadata: { name, ...(labels ? { labels } : {}) }, spec };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    assert.ok(err instanceof PvcError, String(err));
    return err.code;
  }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("ResourceStore on the real ZooKeeper", () => {
  let zk: ZkClient;
  let store: ResourceStore;
  const root = uniqueRoot("store");

  before(async () => {
    zk = await ZkClient.connect({ connectString: zkConnect() });
    store = new ResourceStore(zk, { root, kinds: KINDS });
    await store.init();
  });
  after(async () => {
    await zk.deleteRecursive(root);
    zk.close();
  });

  test("create fills server-managed metadata; get and list read it back", async () => {
    const created = await store.create({
      ...gadget("g1"),
      metadata: { name: "g1", uid: "forged", generation: 9 },
    });
    assert.match(created.metadata.uid ?? "", /^[0-9a-f-]{36}$/);
    assert.notEqual(created.metadata.uid, "forged");
    assert.equal(created.metadata.generation, 1);
    assert.ok(created.metadata.resourceVersion && BigInt(created.metadata.resourceVersion) > 0n);
    assert.ok(created.metadata.creationTimestamp);
    const got = await store.get("Gadget", "g1");
    assert.deepEqual(got, created);
    assert.ok(Object.isFrozen(got) && Object.isFrozen(got.metadata), "objects handed out are frozen");
    assert.equal(await codeOf(store.create(gadget("g1"))), ErrorCodes.ALREADY_EXISTS);
    assert.equal(await codeOf(store.get("gadgets", "nope")), ErrorCodes.NOT_FOUND);
    assert.equal(await codeOf(store.get("Widget", "g1")), ErrorCodes.NOT_FOUND, "unknown kind");
    assert.equal(await codeOf(store.create(gadget("a/b"))), ErrorCodes.VALIDATION_FAILED);
    assert.equal(await codeOf(store.create(gadget(".."))), ErrorCodes.VALIDATION_FAILED);
  });

  test("two writers racing on one resource: exactly one wins, the other gets CONFLICT", async () => {
    const base = await store.create(gadget("race", { size: 0 }));
    const writers = Array.from({ length: 8 }, (_, i) =>
      store.update({ ...base, spec: { size: i + 1 } }).then(
        () => "won",
        (err: PvcError) => err.code,
      ),
    );
    const outcomes = await Promise.all(writers);
    assert.equal(outcomes.filter((o) => o === "won").length, 1, `outcomes: ${outcomes}`);
    assert.equal(outcomes.filter((o) => o === ErrorCodes.CONFLICT).length, 7);
    const after = await store.get("Gadget", "race");
    assert.equal(after.metadata.generation, 2);
    // A stale resourceVersion stays stale.
    assert.equal(await codeOf(store.update({ ...base, spec: { size: 99 } })), ErrorCodes.CONFLICT);
    assert.equal(
      await codeOf(store.update({ ...gadget("race"), spec: { size: 3 } })),
      ErrorCodes.VALIDATION_FAILED,
      "no resourceVersion",
    );
  });

  test("generation bumps on spec changes only; status writes never bump it", async () => {
    const v1 = await store.create(gadget("gen", { size: 1 }));
    const labelled = await store.update({ ...v1, metadata: { ...v1.metadata, labels: { tier: "gold" } } });
    assert.equal(labelled.metadata.generation, 1, "a label change is not a spec change");
    assert.notEqual(labelled.metadata.resourceVersion, v1.metadata.resourceVersion);
    const specChanged = await store.update({ ...labelled, spec: { size: 2 } });
    assert.equal(specChanged.metadata.generation, 2);
    const rv = await store.updateStatus("Gadget", "gen", { observedGeneration: 2, conditions: [] });
    const withStatus = await store.get("Gadget", "gen");
    assert.equal(withStatus.metadata.generation, 2, "status write keeps generation");
    assert.equal(withStatus.metadata.resourceVersion, rv, "status write gives a new resourceVersion");
    assert.deepEqual(withStatus.status, { observedGeneration: 2, conditions: [] });
    // A spec update carrying a status does not overwrite the status.
    const updated = await store.update({
      ...withStatus,
      spec: { size: 3 },
      status: { observedGeneration: 99 },
    });
    assert.equal(updated.status?.observedGeneration, 2);
    assert.equal((await store.get("Gadget", "gen")).status?.observedGeneration, 2);
    // An update that changes nothing writes nothing.
    const same = await store.update(updated);
    assert.equal(same.metadata.resourceVersion, updated.metadata.resourceVersion);
    assert.equal(await codeOf(store.updateStatus("Gadget", "missing", {})), ErrorCodes.NOT_FOUND);
  });

  test("merge patch, apply (create-or-update, zero writes when unchanged) and dryRun", async () => {
    await store.create(gadget("p1", { size: 1, color: "red" }, { a: "1" }));
    const patched = await store.patch("Gadget", "p1", {
      spec: { color: null, shape: "round" },
      metadata: { labels: { b: "2" } },
    });
    assert.deepEqual(patched.spec, { size: 1, shape: "round" });
    assert.deepEqual(patched.metadata.labels, { a: "1", b: "2" });
    assert.equal(patched.metadata.generation, 2);
    assert.equal(
      await codeOf(store.patch("Gadget", "p1", { metadata: { resourceVersion: "1" }, spec: { size: 5 } })),
      ErrorCodes.CONFLICT,
    );

    const a1 = await store.apply(gadget("ap", { size: 1 }, { app: "x" }));
    assert.equal(a1.action, "created");
    const a2 = await store.apply(gadget("ap", { size: 1 }, { app: "x" }));
    assert.equal(a2.action, "unchanged");
    assert.equal(a2.resource.metadata.resourceVersion, a1.resource.metadata.resourceVersion, "zero writes");
    const a3 = await store.apply(gadget("ap", { size: 2 }));
    assert.equal(a3.action, "updated");
    assert.equal(
      a3.resource.metadata.labels,
      undefined,
      "apply owns labels: removed from the manifest, removed",
    );
    assert.equal(a3.resource.metadata.generation, 2);

    const dry = await store.create(gadget("dry"), { dryRun: true });
    assert.equal(dry.metadata.name, "dry");
    assert.equal(await store.tryGet("Gadget", "dry"), null, "dryRun stores nothing");
    const dryUpdate = await store.apply(gadget("ap", { size: 7 }), { dryRun: true });
    assert.deepEqual(dryUpdate.resource.spec, { size: 7 });
    assert.deepEqual((await store.get("Gadget", "ap")).spec, { size: 2 });
  });

  test("validateUpdate refuses a spec change it forbids (e.g. an immutable field), naming the field", async () => {
    const strict = new ResourceStore(zk, {
      root,
      kinds: KINDS,
      validateUpdate: (cur, next) =>
        (cur.spec as { color?: string }).color === (next.spec as { color?: string }).color
          ? []
          : [
              {
                pointer: "/spec/color",
                value: (next.spec as { color?: string }).color,
                message: "is immutable",
              },
            ],
    });
    const obj = await strict.create(gadget("imm", { color: "red", size: 1 }));
    const err = await strict.update({ ...obj, spec: { color: "blue", size: 1 } }).catch((e: PvcError) => e);
    assert.ok(err instanceof PvcError && err.code === ErrorCodes.VALIDATION_FAILED);
    assert.deepEqual(
      ((err.details?.fields ?? []) as Array<{ pointer: string }>).map((f) => f.pointer),
      ["/spec/color"],
    );
    const grown = await strict.update({ ...obj, spec: { color: "red", size: 2 } });
    assert.equal(grown.metadata.generation, 2, "other spec changes pass");
  });

  test("list with label selectors", async () => {
    await store.create(gadget("l-a", { size: 1 }, { env: "prod", tier: "web" }));
    await store.create(gadget("l-b", { size: 1 }, { env: "dev", tier: "web" }));
    await store.create(gadget("l-c", { size: 1 }, { env: "prod" }));
    const names = async (sel: string) =>
      (await store.list("Gadget", { labelSelector: sel })).items
        .map((i) => i.metadata.name)
        .filter((n) => n.startsWith("l-"));
    assert.deepEqual(await names("env=prod"), ["l-a", "l-c"]);
    assert.deepEqual(await names("env=prod,tier=web"), ["l-a"]);
    assert.deepEqual(await names("env!=prod"), ["l-b"]);
    assert.deepEqual(await names("env in (dev, prod),!tier"), ["l-c"]);
    assert.deepEqual(await names("tier"), ["l-a", "l-b"]);
    assert.equal(
      await codeOf(store.list("Gadget", { labelSelector: "env=(bad" })),
      ErrorCodes.VALIDATION_FAILED,
    );
    assert.throws(() => parseLabelSelector("a b c"), /cannot parse/);
  });

  test("delete with finalizers: deletionTimestamp first, gone with the last finalizer", async () => {
    const obj = await store.create({
      ...gadget("fin"),
      metadata: { name: "fin", finalizers: ["x/one", "x/two"] },
    });
    const marked = await store.delete("Gadget", "fin");
    assert.ok(marked.metadata.deletionTimestamp, "deletionTimestamp set");
    assert.ok(await store.tryGet("Gadget", "fin"), "still there while finalizers remain");
    const again = await store.delete("Gadget", "fin");
    assert.equal(
      again.metadata.deletionTimestamp,
      marked.metadata.deletionTimestamp,
      "a second delete changes nothing",
    );
    assert.equal(await codeOf(store.addFinalizer("Gadget", "fin", "x/three")), ErrorCodes.VALIDATION_FAILED);
    await store.removeFinalizer("Gadget", "fin", "x/one");
    assert.ok(await store.tryGet("Gadget", "fin"));
    await store.removeFinalizer("Gadget", "fin", "x/two");
    assert.equal(await store.tryGet("Gadget", "fin"), null, "the last finalizer removed the object");
    assert.equal(await zk.exists(store.layout.status("gadgets", "fin")), null, "and its status znode");
    assert.equal(obj.metadata.deletionTimestamp, undefined);
    // Without finalizers a delete removes at once; a stale resourceVersion is a conflict.
    const plain = await store.create(gadget("plain"));
    await store.updateStatus("Gadget", "plain", { x: 1 });
    assert.equal(
      await codeOf(store.delete("Gadget", "plain", { resourceVersion: plain.metadata.resourceVersion })),
      ErrorCodes.CONFLICT,
    );
    await store.delete("Gadget", "plain");
    assert.equal(await store.tryGet("Gadget", "plain"), null);
    assert.equal(await codeOf(store.delete("Gadget", "plain")), ErrorCodes.NOT_FOUND);
  });

  test("events: bounded per object, repeats counted", async () => {
    const events = new EventRecorder(zk, store.layout, { maxPerObject: 3 });
    await store.create(gadget("ev"));
    await events.record("gadgets", "ev", "Normal", "Created", "Created thing 1");
    await events.record("gadgets", "ev", "Normal", "Created", "Created thing 1");
    await events.record("gadgets", "ev", "Warning", "Failed", "rbd create: exit 2");
    await events.record("gadgets", "ev", "Normal", "Repaired", "Drift repaired on /a");
    await events.record("gadgets", "ev", "Normal", "Repaired", "Drift repaired on /b");
    const list = await events.list("gadgets", "ev");
    assert.deepEqual(
      list.map((e) => [e.reason, e.message, e.count]),
      [
        ["Failed", "rbd create: exit 2", 1],
        ["Repaired", "Drift repaired on /a", 1],
        ["Repaired", "Drift repaired on /b", 1],
      ],
    );
    await events.record("gadgets", "ev", "Normal", "Repaired", "Drift repaired on /b");
    assert.equal((await events.list("gadgets", "ev")).at(-1)?.count, 2);
    await store.delete("Gadget", "ev");
    assert.deepEqual(await events.list("gadgets", "ev"), [], "events go with their object");
  });

  test("informer: initial list, then every change in order, frozen objects, no watch leak", async () => {
    const sub = new ResourceStore(zk, { root: `${root}/informer`, kinds: KINDS });
    await sub.init();
    await sub.create(gadget("pre-1"));
    await sub.create(gadget("pre-2"));
    const informer = new Informer(sub, "Gadget");
    const seen: string[] = [];
    const rvs = new Map<string, bigint>();
    const record = (type: string, obj: Resource) => {
      seen.push(`${type}:${obj.metadata.name}:${JSON.stringify(obj.spec)}`);
      const rv = BigInt(obj.metadata.resourceVersion ?? "0");
      const prev = rvs.get(obj.metadata.name) ?? 0n;
      if (type !== "delete") assert.ok(rv > prev, `resourceVersion must grow for ${obj.metadata.name}`);
      rvs.set(obj.metadata.name, rv);
    };
    informer.on("add", (o) => record("add", o));
    informer.on("update", (o) => record("update", o));
    informer.on("delete", (o) => record("delete", o));
    await informer.start();
    assert.equal(informer.size, 2);
    assert.ok(Object.isFrozen(informer.get("pre-1")));

    // Changes made one at a time are each seen, in order.
    seen.length = 0;
    let obj = await sub.create(gadget("live", { size: 1 }));
    await until("add", () => seen.length === 1);
    for (let size = 2; size <= 4; size++) {
      obj = await sub.update({ ...obj, spec: { size } });
      await until(`update ${size}`, () => seen.length === size);
    }
    await sub.updateStatus("Gadget", "live", { phase: "ok" });
    await until("status update", () => informer.get("live")?.status?.phase === "ok");
    await sub.delete("Gadget", "live");
    await until("delete", () => seen.at(-1)?.startsWith("delete:live") === true);
    assert.deepEqual(seen.slice(0, 4), [
      'add:live:{"size":1}',
      'update:live:{"size":2}',
      'update:live:{"size":3}',
      'update:live:{"size":4}',
    ]);

    // A burst may be coalesced, but the last state always arrives.
    let burst = await sub.create(gadget("burst", { size: 0 }));
    for (let size = 1; size <= 20; size++) burst = await sub.update({ ...burst, spec: { size } });
    await until(
      "burst end",
      () => (informer.get("burst")?.spec as { size: number } | undefined)?.size === 20,
    );

    // Re-created under the same name: a delete and an add, not an update.
    await sub.delete("Gadget", "burst");
    await sub.create(gadget("burst", { size: 100 }));
    await until(
      "recreate",
      () => (informer.get("burst")?.spec as { size: number } | undefined)?.size === 100,
    );

    // Watches stay bounded: two per object plus the list, not one per change.
    assert.ok(zk.pendingWatchCount <= 2 * informer.size + 1 + 5, `pending watches: ${zk.pendingWatchCount}`);
    informer.stop();
  });

  test("informer recovers after a forced session expiry with a correct cache", async () => {
    const proxy = await startTcpProxy(zkConnect());
    const watched = await ZkClient.connect({ connectString: proxy.address, sessionTimeoutMs: 4000 });
    const writerStore = new ResourceStore(zk, { root: `${root}/expiry`, kinds: KINDS });
    await writerStore.init();
    const readerStore = new ResourceStore(watched, { root: `${root}/expiry`, kinds: KINDS });
    try {
      const keep = await writerStore.create(gadget("keep", { v: 1 }));
      await writerStore.create(gadget("doomed"));
      const informer = new Informer(readerStore, "Gadget", { retryMs: 100 });
      await informer.start();
      assert.equal(informer.size, 2);
      const rebuilt = new Promise<void>((r) => watched.once("rebuilt", () => r()));

      proxy.cut();
      // While the informer is blind: change, delete and add.
      await writerStore.update({ ...keep, spec: { v: 2 } });
      await writerStore.delete("Gadget", "doomed");
      await writerStore.create(gadget("newcomer"));
      await new Promise((r) => setTimeout(r, 4500));
      proxy.restore();
      await rebuilt;

      await until("cache to converge after the session rebuild", () => {
        const names = informer.list().map((o) => o.metadata.name);
        return (
          names.join(",") === "keep,newcomer" &&
          (informer.get("keep")?.spec as { v: number } | undefined)?.v === 2
        );
      });
      // And it keeps following changes on the new session.
      await writerStore.create(gadget("after"));
      await until("a change after the rebuild", () => informer.get("after") !== undefined);
      informer.stop();
    } finally {
      watched.close();
      await proxy.close();
    }
  });

  test("owner GC: dependents go when their owner is deleted; a new owner with the same name adopts nothing", async () => {
    const sub = new ResourceStore(zk, { root: `${root}/gc`, kinds: KINDS });
    await sub.init();
    const informers = new Map(KINDS.map((k) => [k.kind, new Informer(sub, k.kind)]));
    await Promise.all([...informers.values()].map((i) => i.start()));
    const gc = new GarbageCollector(sub, informers);
    await gc.start();

    const owner = await sub.create(gadget("vm1"));
    const ref = { apiVersion: API, kind: "Gadget", name: "vm1", uid: owner.metadata.uid as string };
    await sub.create({
      apiVersion: API,
      kind: "Part",
      metadata: { name: "vm1-disk", ownerReferences: [ref] },
      spec: {},
    });
    await sub.create({ apiVersion: API, kind: "Part", metadata: { name: "unowned" }, spec: {} });
    await until("informer sees the part", () => informers.get("Part")?.get("vm1-disk") !== undefined);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(await sub.tryGet("Part", "vm1-disk"), "a dependent with a live owner stays");

    await sub.delete("Gadget", "vm1");
    await until("dependent collected", async () => (await sub.tryGet("Part", "vm1-disk")) === null);
    assert.ok(await sub.tryGet("Part", "unowned"), "objects without owners are never collected");

    // A dependent naming an owner uid that no longer exists is collected, even if the name is reused.
    await sub.create(gadget("vm1"));
    await sub.create({
      apiVersion: API,
      kind: "Part",
      metadata: { name: "stale-ref", ownerReferences: [ref] },
      spec: {},
    });
    await until("orphan collected", async () => (await sub.tryGet("Part", "stale-ref")) === null);
    gc.stop();
    for (const i of informers.values()) i.stop();
  });
});
