/**
 * The multi request (opcode 14) encoded straight into one buffer, queued on node-zookeeper-
 * client's connection; the library still numbers, sends and matches it, and parses the reply.
 *
 * Why: the library's Transaction builds a generic jute Record per op (a header and a request,
 * each serialized field by field from a specification, every ACL as records, set data copied
 * once more) and walks them twice (size, then bytes). Profiled, that was the largest single cost
 * of every ZooKeeper-heavy path here: ~270 ms of ~1.2 s of CPU applying 1,000 Networks.
 * The bytes are the library's (test/unit/zk-multi-request.test.ts compares them op by op), but
 * an expected version 0 stays 0: the library's Transaction turned it into -1, "any version".
 *
 * Wire format (ZooKeeper's jute): int32 frame length, RequestHeader {int xid, int type}, then per
 * op a MultiHeader {int type, bool done=false, int err=-1} and its record, and a closing
 * MultiHeader {-1, true, -1}. Strings and data are an int32 length and the bytes.
 */
import type zookeeper from "node-zookeeper-client";
import { connectionOf, Exception, jute, Path, underChroot } from "./library-internals.ts";

const OP = { create: 1, delete: 2, setData: 5, check: 13, multi: 14, error: -1 } as const;
/** ZooKeeper's OPEN_ACL_UNSAFE (perms ALL = 31, world:anyone), the ACL of every node we create. */
const OPEN_ACL = { perms: 31, scheme: "world", id: "anyone" } as const;
const OPEN_ACL_BYTES = 4 + 4 + 4 + 5 + 4 + 6; // count, perms, "world", "anyone"

/** One op as the wire needs it (data already a string: it is written as UTF-8 in place). */
export type MultiOp =
  | { type: "create"; path: string; data: string; flags: number }
  | { type: "setData"; path: string; data: string; version: number }
  | { type: "delete"; path: string; version: number }
  | { type: "check"; path: string; version: number };

/** One op's result as the library parses it (`S`: its raw Stat). */
export interface RawOpResult<S = unknown> {
  type: number;
  err?: number;
  path?: string;
  stat?: S;
}

/** The request object the library's connection queues: a header it numbers, and the bytes. */
class MultiRequest {
  readonly header = new jute.protocol.RequestHeader();
  /** The connection tells the payload its chroot (a connect string like `host:2181/app`). */
  readonly payload = {
    setChrootPath: (chroot: string) => {
      this.#chroot = chroot ?? "";
    },
  };
  #chroot = "";

  constructor(readonly ops: readonly MultiOp[]) {
    this.header.type = OP.multi;
  }

  /** Called by the connection when it sends the request (after it set header.xid). */
  toBuffer(): Buffer {
    const paths = this.ops.map((op) => underChroot(this.#chroot, op.path));
    let size = 8 + 9; // request header; closing multi header
    this.ops.forEach((op, i) => {
      size += 9 + 4 + Buffer.byteLength(paths[i], "utf8");
      if (op.type === "create") size += 4 + Buffer.byteLength(op.data, "utf8") + OPEN_ACL_BYTES + 4;
      else if (op.type === "setData") size += 4 + Buffer.byteLength(op.data, "utf8") + 4;
      else size += 4;
    });
    const buf = Buffer.allocUnsafe(size + 4);
    let at = buf.writeInt32BE(size, 0);
    at = buf.writeInt32BE(this.header.xid, at);
    at = buf.writeInt32BE(OP.multi, at);
    const text = (s: string) => {
      const n = buf.write(s, at + 4, "utf8");
      buf.writeInt32BE(n, at);
      at += 4 + n;
    };
    const multiHeader = (type: number, done: boolean) => {
      at = buf.writeInt32BE(type, at);
      at = buf.writeUInt8(done ? 1 : 0, at);
      at = buf.writeInt32BE(-1, at);
    };
    this.ops.forEach((op, i) => {
      multiHeader(OP[op.type], false);
      text(paths[i]);
      switch (op.type) {
        case "create":
          text(op.data);
          at = buf.writeInt32BE(1, at); // one ACL
          at = buf.writeInt32BE(OPEN_ACL.perms, at);
          text(OPEN_ACL.scheme);
          text(OPEN_ACL.id);
          at = buf.writeInt32BE(op.flags, at);
          break;
        case "setData":
          text(op.data);
          at = buf.writeInt32BE(op.version, at);
          break;
        default:
          at = buf.writeInt32BE(op.version, at);
      }
    });
    multiHeader(OP.error, true);
    if (at !== buf.length) throw new Error(`multi request: wrote ${at} bytes of ${buf.length}`);
    return buf;
  }
}

/**
 * Sends `ops` as one multi on the library client's connection. The callback gets what the
 * library's Transaction.commit gives, the first failing op's exception and the raw results, plus
 * that op's index; or a connection error alone. Throws synchronously on an invalid path, as the
 * library does.
 */
export function sendMulti<S>(
  client: zookeeper.Client,
  ops: readonly MultiOp[],
  callback: (err: unknown, results?: RawOpResult<S>[], failedIndex?: number) => void,
): void {
  for (const op of ops) Path.validate(op.path);
  connectionOf(client).queue(new MultiRequest(ops), (err, response) => {
    if (err || !response) {
      callback(err ?? new Error("multi: no response"));
      return;
    }
    const results = (response as { payload: { results: RawOpResult<S>[] } }).payload.results;
    const failed = results.findIndex((r) => r.type === OP.error && r.err !== Exception.OK);
    if (failed < 0) callback(undefined, results);
    else callback(Exception.create(results[failed].err as number), results, failed);
  });
}

/** For the test that compares bytes with the library's own encoding. */
export function encodeMultiForTest(ops: readonly MultiOp[], xid: number, chroot = ""): Buffer {
  const request = new MultiRequest(ops);
  request.header.xid = xid;
  if (chroot) request.payload.setChrootPath(chroot);
  return request.toBuffer();
}
