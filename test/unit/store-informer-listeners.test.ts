/**
 * An informer has one listener per facade write waiting for its verdict and per watch, as many as
 * there are concurrent requests: the 11th must not make Node print MaxListenersExceededWarning
 * (the fuzz run printed it on every run, and `pvcctl serve` would under any real concurrency).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Informer } from "../../src/store/informer.ts";
import type { ResourceStore } from "../../src/store/store.ts";

test("a hundred listeners on an informer: no MaxListenersExceededWarning", async () => {
  // Only what the constructor reads: nothing here starts or talks to ZooKeeper.
  const store = {
    kindInfo: () => ({ kind: "Network", plural: "networks" }),
    layout: { kindDir: (plural: string) => `/store/${plural}` },
  } as unknown as ResourceStore;
  const informer = new Informer(store, "Network");
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", onWarning);
  try {
    const listeners = Array.from({ length: 100 }, () => () => undefined);
    for (const l of listeners) {
      informer.on("add", l);
      informer.on("update", l);
      informer.on("delete", l);
    }
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    assert.deepEqual(
      warnings.filter((w) => w.startsWith("MaxListenersExceededWarning")),
      [],
    );
    for (const l of listeners) informer.off("add", l);
    assert.equal(informer.listenerCount("add"), 0);
  } finally {
    process.off("warning", onWarning);
  }
});
