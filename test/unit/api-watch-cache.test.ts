/**
 * The watch cache against a scripted informer: replay from a resourceVersion, 410 when the history
 * no longer reaches back, late (out-of-zxid-order) events repeated rather than skipped, selection
 * changes as ADDED/DELETED.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import { parseWatchRv, WatchCache, type WatchEvent } from "../../api/apis/watch-cache.ts";
import { PvcError } from "../../src/errors.ts";
import type { Resource } from "../../src/resources/types.ts";
import type { Informer } from "../../src/store/informer.ts";
import { parseLabelSelector } from "../../src/store/labels.ts";

class FakeInformer extends EventEmitter {
  readonly kind = "Widget";
  synced = false;
  resourceVersion = "0";
  list(): Resource[] {
    return [];
  }
}

function obj(name: string, rv: number, labels?: Record<string, string>): Resource {
  return {
    apiVersion: "v1",
    kind: "Widget",
    metadata: { name, uid: `uid-${name}`, resourceVersion: String(rv), ...(labels ? { labels } : {}) },
    spec: {},
  };
}

async function setup(options: { capacity?: number; kindRv?: number } = {}) {
  const informer = new FakeInformer();
  const cache = new WatchCache(informer as unknown as Informer, {
    capacity: options.capacity,
    kindRv: async () => String(options.kindRv ?? 0),
  });
  informer.emit("add", obj("initial", 5));
  informer.resourceVersion = "5";
  informer.synced = true;
  informer.emit("synced");
  await cache.settled();
  return { informer, cache };
}

async function collect(cache: WatchCache, from: number | undefined, selector = "") {
  const events: string[] = [];
  const stop = await cache.watch(
    from === undefined ? undefined : BigInt(from),
    parseLabelSelector(selector),
    {
      send: (e: WatchEvent) =>
        events.push(`${e.type}:${e.object.metadata.name}@${e.object.metadata.resourceVersion}`),
      end: () => events.push("END"),
    },
  );
  return { events, stop };
}

describe("WatchCache", () => {
  test("without a resourceVersion: the current objects, then changes", async () => {
    const { informer, cache } = await setup();
    const { events } = await collect(cache, undefined);
    assert.deepEqual(events, ["ADDED:initial@5"]);
    informer.emit("update", obj("initial", 7), obj("initial", 5));
    await cache.settled();
    assert.deepEqual(events, ["ADDED:initial@5", "MODIFIED:initial@7"]);
  });

  test("from a resourceVersion: the history after it, late events included", async () => {
    const { informer, cache } = await setup();
    informer.emit("add", obj("a", 10));
    informer.emit("update", obj("a", 13), obj("a", 10));
    // b's change (12) is delivered after a's newer one (13): the informer reads objects concurrently.
    informer.emit("add", obj("b", 12));
    informer.emit("add", obj("c", 14));
    await cache.settled();
    assert.deepEqual((await collect(cache, 10)).events, ["MODIFIED:a@13", "ADDED:b@12", "ADDED:c@14"]);
    assert.deepEqual((await collect(cache, 12)).events, ["MODIFIED:a@13", "ADDED:b@12", "ADDED:c@14"]);
    assert.deepEqual((await collect(cache, 13)).events, ["ADDED:c@14"]);
    assert.deepEqual((await collect(cache, 14)).events, []);
  });

  test("a deletion gets the kind's latest zxid, after the object's own", async () => {
    const { informer, cache } = await setup({ kindRv: 42 });
    informer.emit("add", obj("d", 43));
    informer.emit("delete", obj("d", 43));
    await cache.settled();
    const { events } = await collect(cache, 42);
    assert.deepEqual(events, ["ADDED:d@43", "DELETED:d@43"], "never older than what was seen");
    assert.equal(cache.resourceVersion, "43");
  });

  test("too old: before the start, or evicted from the history", async () => {
    const { informer, cache } = await setup({ capacity: 2, kindRv: 8 });
    await assert.rejects(
      collect(cache, 7),
      (e: unknown) => e instanceof PvcError && e.code === "RESOURCE_VERSION_TOO_OLD",
    );
    await collect(cache, 8); // exactly the start: complete
    for (const rv of [20, 21, 22]) informer.emit("add", obj(`n${rv}`, rv));
    await cache.settled();
    assert.equal(cache.historySize, 2);
    await assert.rejects(
      collect(cache, 19),
      (e: unknown) => e instanceof PvcError && e.code === "RESOURCE_VERSION_TOO_OLD",
    );
    assert.deepEqual((await collect(cache, 20)).events, ["ADDED:n21@21", "ADDED:n22@22"]);
  });

  test("a label selector sees objects enter and leave the selection", async () => {
    const { informer, cache } = await setup();
    const { events } = await collect(cache, undefined, "app=web");
    informer.emit("add", obj("x", 10, { app: "db" }));
    informer.emit("update", obj("x", 11, { app: "web" }), obj("x", 10, { app: "db" }));
    informer.emit("update", obj("x", 12, { app: "web" }), obj("x", 11, { app: "web" }));
    informer.emit("update", obj("x", 13, { app: "db" }), obj("x", 12, { app: "web" }));
    await cache.settled();
    assert.deepEqual(events, ["ADDED:x@11", "MODIFIED:x@12", "DELETED:x@13"]);
  });

  test("unsubscribe stops delivery; close ends every watch", async () => {
    const { informer, cache } = await setup();
    const one = await collect(cache, undefined);
    const two = await collect(cache, undefined);
    one.stop();
    informer.emit("add", obj("late", 9));
    await cache.settled();
    assert.deepEqual(one.events, ["ADDED:initial@5"]);
    assert.deepEqual(two.events, ["ADDED:initial@5", "ADDED:late@9"]);
    cache.close();
    assert.equal(two.events.at(-1), "END");
  });

  test("parseWatchRv", () => {
    assert.equal(parseWatchRv(undefined), undefined);
    assert.equal(parseWatchRv("0"), undefined);
    assert.equal(parseWatchRv("123"), 123n);
    assert.throws(
      () => parseWatchRv("12a"),
      (e: unknown) => e instanceof PvcError && e.code === "BAD_REQUEST",
    );
  });
});
