/**
 * Hands node-zookeeper-client one whole response frame at a time.
 *
 * The library's `onSocketData` handles one frame per call: it keeps the rest of the chunk as a
 * pending buffer and calls itself again with `Buffer.concat([pending, empty])`, which copies
 * everything still unread. A 64 KiB socket read holding 500 small replies is therefore copied
 * 500 times, shrinking each time: quadratic in the replies per read. At a thousand networks in
 * flight that copying and its garbage were a quarter of the process's CPU (measured with
 * --cpu-prof on bench/apply-networks: `_copyActual`, `createUnsafeBuffer` and the collector).
 *
 * Here the stream is split into frames first (4-byte big-endian length + payload), without
 * copying whole frames out of a chunk, and the library's handler gets exactly one frame per call,
 * so its own pending buffer stays empty and its recursion never runs. A frame that spans reads
 * is assembled once, when its last byte has arrived.
 *
 * Watch notifications (most frames when caches mirror busy subtrees: every znode a multi touches
 * is one) are decoded here, in a few reads, and handed to the library's WatcherManager; its
 * generic jute decoding allocated several objects and buffers per event. Replies still go to
 * the library.
 *
 * Installed per connection by ZkClient, before it connects (each socket binds the handler when it
 * is opened, reading the connection's own property first); the library's prototype is left alone.
 * State is kept per socket, so a reconnect starts clean.
 */
import type { Socket } from "node:net";
import type { Connection, RawWatcherEvent } from "./library-internals.ts";

/** The library's CONNECTING state: the first frame then is the connect response. */
const STATE_CONNECTING = 1;
const XID_NOTIFICATION = -1;

/**
 * The event of the notification frame `data[start, end)`, or undefined for any other frame.
 * Layout: int32 length, reply header (int32 xid, int64 zxid, int32 err), WatcherEvent (int32
 * type, int32 state, ustring path).
 */
export function decodeNotification(
  data: Buffer,
  start = 0,
  end = data.length,
  chroot?: string,
): RawWatcherEvent | undefined {
  if (end - start < 32 || data.readInt32BE(start + 4) !== XID_NOTIFICATION) return undefined;
  const type = data.readInt32BE(start + 20);
  const state = data.readInt32BE(start + 24);
  const length = data.readInt32BE(start + 28);
  let path = length > 0 ? data.toString("utf8", start + 32, start + 32 + length) : "";
  if (chroot) path = path === chroot ? "/" : path.startsWith(chroot) ? path.slice(chroot.length) : path;
  return { type, state, path };
}

/** Bytes received on one socket that do not yet make a whole frame (they start one). */
export class PartialFrame {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The frame's total size (length prefix included), once its 4-byte prefix has arrived. */
  needed(): number {
    if (this.length < 4) return -1;
    if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0].readInt32BE(0) + 4;
  }

  take(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
    this.chunks = [];
    this.length = 0;
    return all;
  }
}

/**
 * Splits `chunk` into whole frames and calls `onFrame(data, start, end)` for each (a frame is
 * `data[start, end)`, length prefix included; no copy); a trailing partial frame waits in
 * `partial` for the next chunk.
 */
export function splitFrames(
  partial: PartialFrame,
  chunk: Buffer,
  onFrame: (data: Buffer, start: number, end: number) => void,
): void {
  let data = chunk;
  if (partial.length > 0) {
    partial.push(chunk);
    const needed = partial.needed();
    if (needed < 0 || partial.length < needed) return;
    data = partial.take();
  }
  let offset = 0;
  while (data.length - offset >= 4) {
    const end = offset + 4 + data.readInt32BE(offset);
    if (end > data.length) break;
    onFrame(data, offset, end);
    offset = end;
  }
  if (offset < data.length) partial.push(data.subarray(offset));
}

export function readWholeFrames(connection: Connection): void {
  const original = connection.onSocketData;
  const partials = new WeakMap<Socket, PartialFrame>();
  connection.onSocketData = function (this: Connection, chunk: Buffer) {
    const socket = this.socket;
    if (!socket) return original.call(this, chunk);
    let partial = partials.get(socket);
    if (!partial) {
      partial = new PartialFrame();
      partials.set(socket, partial);
    }
    splitFrames(partial, chunk, (data, start, end) => {
      // The library destroys the socket on a reply it cannot match; the rest of the read is
      // then void, as in its own loop.
      if (socket.destroyed) return;
      const event =
        this.state === STATE_CONNECTING ? undefined : decodeNotification(data, start, end, this.chrootPath);
      if (event) this.watcherManager.emit(event);
      else original.call(this, data.subarray(start, end));
    });
  };
}
