/**
 * The parts of node-zookeeper-client's insides that our protocol additions reach into, typed in
 * this one place: add-watch.ts (a request type the library predates), multi-request.ts (our own
 * multi encoding), frame-reader.ts and batch-writes.ts (socket reads and writes). Not a public
 * API: the version is pinned by package-lock, and each addition's tests fail if it moves.
 */
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import type zookeeper from "node-zookeeper-client";
import { ErrorCodes, PvcError } from "../errors.ts";

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
  /** The socket's `data` handler (bound to each socket when it is opened). */
  onSocketData(this: Connection, chunk: Buffer): void;
  /** Sends what is queued (bound to the packet queue's `readable` event at construction). */
  onPacketQueueReadable(this: Connection): void;
  packetQueue: import("node:events").EventEmitter;
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

/** The library's version this project is written against (package.json pins it exactly). */
export const LIBRARY_VERSION = "1.1.3";

const ConnectionManager = require("node-zookeeper-client/lib/ConnectionManager.js") as {
  prototype: Record<string, unknown>;
};

/**
 * Throws ZK_LIBRARY_MISMATCH, naming the installed version, if an internal we reach into is not
 * there with the shape we use. Run once before the first client (ZkClient.connect does).
 */
export function checkLibraryShape(): void {
  const installed = (require("node-zookeeper-client/package.json") as { version: string }).version;
  const missing: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) missing.push(what);
  };
  for (const m of ["onSocketData", "onPacketQueueReadable", "queue", "connect"])
    expect(typeof ConnectionManager.prototype[m] === "function", `ConnectionManager.prototype.${m}()`);
  for (const op of ["MULTI", "CREATE", "DELETE", "SET_DATA", "CHECK", "SET_WATCHES"])
    expect(typeof jute.OP_CODES?.[op] === "number", `jute.OP_CODES.${op}`);
  expect(typeof jute.protocol?.RequestHeader === "function", "jute.protocol.RequestHeader");
  expect(typeof jute.Request === "function", "jute.Request");
  expect(typeof Path?.validate === "function", "Path.validate()");
  expect(
    typeof Exception?.create === "function" && Exception.OK === 0,
    "Exception.create() and Exception.OK",
  );
  if (missing.length > 0 || installed !== LIBRARY_VERSION) {
    throw new PvcError(
      ErrorCodes.ZK_LIBRARY_MISMATCH,
      `node-zookeeper-client ${installed} is installed, but this project reaches into the internals of ${LIBRARY_VERSION}` +
        (missing.length > 0 ? ` and these are missing or changed: ${missing.join(", ")}` : "") +
        `; install ${LIBRARY_VERSION} (npm ci) or port src/zk/library-internals.ts`,
    );
  }
}

/**
 * Checks a new client's connection (its own fields, which the prototype check cannot see), so a
 * mismatch fails at connect with a clear message.
 */
export function checkConnectionShape(connection: Connection): void {
  const missing: string[] = [];
  if (typeof connection?.packetQueue?.on !== "function") missing.push("packetQueue");
  if (typeof connection?.watcherManager?.emit !== "function") missing.push("watcherManager.emit()");
  for (const f of ["dataWatchers", "childWatchers", "existenceWatchers"] as const)
    if (typeof connection?.watcherManager?.[f] !== "object") missing.push(`watcherManager.${f}`);
  if (missing.length > 0) {
    throw new PvcError(
      ErrorCodes.ZK_LIBRARY_MISMATCH,
      `node-zookeeper-client: a connection lacks ${missing.join(", ")} (this project is written against ${LIBRARY_VERSION})`,
    );
  }
}

/** The connection of a library client. */
export function connectionOf(client: zookeeper.Client): Connection {
  return (client as unknown as { connectionManager: Connection }).connectionManager;
}

/** `path` under the connection's chroot, as the library prefixes request paths ("/" is the chroot itself). */
export function underChroot(chroot: string | undefined, path: string): string {
  if (!chroot) return path;
  return path === "/" ? chroot : chroot + path;
}
