/**
 * ZooKeeper 3.6+'s persistent recursive watches (the `addWatch` request, opcode 106) on top of
 * node-zookeeper-client, which predates them.
 *
 * Why: a one-shot watch must be re-armed after every event, per znode, and a subtree needs a data
 * and a children watch on every node; keeping a mirror of `/networks` that way costs O(nodes)
 * calls per change wave and a getChildren of the whole parent per create. One persistent
 * recursive watch on the subtree root delivers created/deleted/changed events for every node
 * below it, for as long as the connection lives.
 *
 * How (the library has no hook for new opcodes, so this is deliberately small and isolated):
 * - the request is serialized with type 106; once serialized, its header type is switched to
 *   SET_WATCHES, so the library's reply parser (which dies on an unknown type) treats the empty
 *   reply like the one of SetWatches, which also carries no payload;
 * - the library's WatcherManager drops events nobody registered a one-shot watch for; we wrap
 *   its `emit` to hand every event to our listener first.
 * Persistent watches do not survive a reconnect here (the library's SetWatches does not carry
 * them): the owner re-adds them on every (re)connect and treats the gap as "re-read everything".
 */
import type zookeeper from "node-zookeeper-client";
import { connectionOf, jute, type RawWatcherEvent, underChroot } from "./library-internals.ts";

const OP_ADD_WATCH = 106;
/** AddWatchMode.PERSISTENT_RECURSIVE */
const MODE_PERSISTENT_RECURSIVE = 1;

/** The AddWatchRequest record: a path (jute ustring) and a mode (int). */
class AddWatchPayload {
  path: string;
  readonly mode: number;
  constructor(path: string, mode: number) {
    this.path = path;
    this.mode = mode;
  }
  setChrootPath(chroot: string): void {
    this.path = underChroot(chroot, this.path);
  }
  byteLength(): number {
    return 4 + Buffer.byteLength(this.path, "utf8") + 4;
  }
  serialize(buffer: Buffer, offset: number): number {
    const bytes = Buffer.from(this.path, "utf8");
    buffer.writeInt32BE(bytes.length, offset);
    bytes.copy(buffer, offset + 4);
    buffer.writeInt32BE(this.mode, offset + 4 + bytes.length);
    return this.byteLength();
  }
}

/** Sends addWatch(path, PERSISTENT_RECURSIVE) on the library client's current connection. */
export function sendAddWatch(client: zookeeper.Client, path: string, callback: (err: unknown) => void): void {
  const header = new jute.protocol.RequestHeader();
  header.type = OP_ADD_WATCH;
  const request = new jute.Request(header, new AddWatchPayload(path, MODE_PERSISTENT_RECURSIVE));
  const serialize = request.toBuffer.bind(request);
  request.toBuffer = () => {
    const buffer = serialize();
    header.type = jute.OP_CODES.SET_WATCHES; // see the module comment
    return buffer;
  };
  connectionOf(client).queue(request, callback);
}

/** Routes every watch event of the library client through `tap` before the library's own dispatch. */
export function tapWatchEvents(client: zookeeper.Client, tap: (event: RawWatcherEvent) => void): void {
  const manager = connectionOf(client).watcherManager;
  const original = manager.emit.bind(manager);
  manager.emit = (event: RawWatcherEvent) => {
    tap(event);
    // Most events are for recursive watches only: skip the library's dispatch (which builds an
    // event object per event) when no one-shot watch waits on the path.
    const p = event.path;
    if (p in manager.dataWatchers || p in manager.childWatchers || p in manager.existenceWatchers)
      original(event);
  };
}
