/**
 * The parts of node-zookeeper-client's insides that our protocol additions reach into, typed in
 * this one place: add-watch.ts (a request type the library predates), multi-request.ts (our own
 * multi encoding), frame-reader.ts and batch-writes.ts (socket reads and writes). Not a public
 * API: the version is pinned by package-lock, and each addition's tests fail if it moves.
 */
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import type zookeeper from "node-zookeeper-client";

const require = createRequire(import.meta.url);

/** The library's jute protocol module: opcodes, the request header record, its Request wrapper. */
export const jute = require("node-zookeeper-client/lib/jute/index.js") as {
  OP_CODES: Record<string, number>;
  protocol: { RequestHeader: new () => { type: number; xid: number } };
  Request: new (header: unknown, payload: unknown) => { toBuffer(): Buffer; header: { type: number } };
};

/** The library's path check (the one its own calls run). */
export const Path = require("node-zookeeper-client/lib/Path.js") as { validate(path: string): void };

/** The library's exceptions, built from a wire error code (what toZkError reads). */
export const Exception = require("node-zookeeper-client/lib/Exception.js") as {
  OK: number;
  create(code: number): Error;
};

/** A watch notification as the library's WatcherManager takes it. */
export interface RawWatcherEvent {
  type: number;
  state: number;
  path: string;
}

/** A client's connection (the library's ConnectionManager), as our additions use it. */
export interface Connection {
  socket?: Socket;
  /** The library's state number (1: connecting). */
  state: number;
  /** The chroot of the connect string (`host:2181/app`), if any. */
  chrootPath?: string;
  /** Numbers and sends a request; calls back with the parsed reply (or the connection's error). */
  queue(request: unknown, callback: (err: unknown, response?: unknown) => void): void;
  watcherManager: {
    emit(event: RawWatcherEvent): void;
    dataWatchers: Record<string, unknown>;
    childWatchers: Record<string, unknown>;
    existenceWatchers: Record<string, unknown>;
  };
}

/** The ConnectionManager prototype, whose socket handlers frame-reader.ts and batch-writes.ts wrap. */
export const connectionPrototype = (
  require("node-zookeeper-client/lib/ConnectionManager.js") as {
    prototype: {
      onSocketData(this: Connection, chunk: Buffer): void;
      onPacketQueueReadable(this: Connection): void;
      __pvcFramed?: boolean;
      __pvcBatched?: boolean;
    };
  }
).prototype;

/** The connection of a library client. */
export function connectionOf(client: zookeeper.Client): Connection {
  return (client as unknown as { connectionManager: Connection }).connectionManager;
}

/** `path` under the connection's chroot, as the library prefixes request paths ("/" is the chroot itself). */
export function underChroot(chroot: string | undefined, path: string): string {
  if (!chroot) return path;
  return path === "/" ? chroot : chroot + path;
}
