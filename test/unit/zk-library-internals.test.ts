/**
 * The ZooKeeper library's internals we reach into are checked before use, and our additions are
 * installed per connection, never on the library's prototype.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { test } from "node:test";
import zookeeper from "node-zookeeper-client";
import { batchWrites } from "../../src/zk/batch-writes.ts";
import { readWholeFrames } from "../../src/zk/frame-reader.ts";
import {
  type Connection,
  checkConnectionShape,
  checkLibraryShape,
  connectionOf,
  LIBRARY_VERSION,
} from "../../src/zk/library-internals.ts";

const require = createRequire(import.meta.url);
const proto = (require("node-zookeeper-client/lib/ConnectionManager.js") as { prototype: Connection })
  .prototype;

test("the installed library is the pinned version with every internal we use", () => {
  assert.equal(
    (require("node-zookeeper-client/package.json") as { version: string }).version,
    LIBRARY_VERSION,
  );
  const pinned = (require("../../package.json") as { dependencies: Record<string, string> }).dependencies[
    "node-zookeeper-client"
  ];
  assert.equal(pinned, LIBRARY_VERSION, "package.json pins the exact version");
  assert.doesNotThrow(() => checkLibraryShape());
});

test("a connection without the fields we use is refused with a clear error", () => {
  assert.throws(
    () => checkConnectionShape({ packetQueue: new EventEmitter() } as unknown as Connection),
    (err: Error & { code?: string }) =>
      err.code === "ZK_LIBRARY_MISMATCH" &&
      /watcherManager\.emit\(\)/.test(err.message) &&
      err.message.includes(LIBRARY_VERSION),
  );
});

test("our socket additions go on one connection, not on the library's prototype", () => {
  const originalData = proto.onSocketData;
  const originalQueue = proto.onPacketQueueReadable;
  const client = zookeeper.createClient("127.0.0.1:1"); // never connected
  const connection = connectionOf(client);
  checkConnectionShape(connection);
  readWholeFrames(connection);
  batchWrites(connection);
  assert.notEqual(connection.onSocketData, originalData, "the connection reads whole frames");
  assert.notEqual(connection.onPacketQueueReadable, originalQueue, "the connection batches writes");
  assert.equal(proto.onSocketData, originalData, "the prototype is untouched");
  assert.equal(proto.onPacketQueueReadable, originalQueue, "the prototype is untouched");
  assert.equal(connection.packetQueue.listenerCount("readable"), 1, "one readable listener: ours");
  const other = connectionOf(zookeeper.createClient("127.0.0.1:1"));
  assert.equal(other.onSocketData, originalData, "another client of the library is left as it is");
});
