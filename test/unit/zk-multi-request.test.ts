/**
 * Our multi encoding against node-zookeeper-client's own (jute Records), byte for byte: the same
 * request must reach ZooKeeper whichever encodes it.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { encodeMultiForTest, type MultiOp } from "../../src/zk/multi-request.ts";

const require = createRequire(import.meta.url);
const jute = require("node-zookeeper-client/lib/jute/index.js");
const ACL = require("node-zookeeper-client/lib/ACL.js");

const LIBRARY_TYPES: Record<MultiOp["type"], number> = {
  create: jute.OP_CODES.CREATE,
  setData: jute.OP_CODES.SET_DATA,
  delete: jute.OP_CODES.DELETE,
  check: jute.OP_CODES.CHECK,
};

/** The library's bytes for the same ops, as its Transaction.commit would queue them. */
function libraryBytes(ops: MultiOp[], xid: number, chroot = ""): Buffer {
  const libOps = ops.map((op) => {
    const base = { type: LIBRARY_TYPES[op.type], path: op.path };
    if (op.type === "create")
      return { ...base, data: Buffer.from(op.data, "utf8"), acls: ACL.OPEN_ACL_UNSAFE, mode: op.flags };
    if (op.type === "setData") return { ...base, data: Buffer.from(op.data, "utf8"), version: op.version };
    return { ...base, version: op.version };
  });
  const header = new jute.protocol.RequestHeader();
  header.type = jute.OP_CODES.MULTI;
  header.xid = xid;
  const payload = new jute.TransactionRequest(libOps);
  if (chroot) payload.setChrootPath(chroot);
  return new jute.Request(header, payload).toBuffer();
}

const OPS: MultiOp[] = [
  { type: "create", path: "/networks/100", data: "lan", flags: 0 },
  { type: "create", path: "/networks/100/dhcp4_flag", data: "", flags: 0 },
  { type: "create", path: "/pvc-reconciler/events/networks/lan/e-", data: '{"m":"Créé ✓"}', flags: 2 },
  { type: "create", path: "/eph/ñode", data: "x".repeat(5000), flags: 1 },
  { type: "setData", path: "/networks/100/ip4_gateway", data: "10.0.0.1", version: -1 },
  { type: "setData", path: "/s", data: "", version: 0 },
  { type: "delete", path: "/networks/100/old", version: 7 },
  { type: "check", path: "/pvc-reconciler/objects/networks/lan/status", version: 3 },
];

describe("multi request encoding", () => {
  it("is the library's, byte for byte, for every op type, UTF-8, empty and large data, and versions", () => {
    assert.deepEqual(encodeMultiForTest(OPS, 42), libraryBytes(OPS, 42));
    for (const op of OPS) assert.deepEqual(encodeMultiForTest([op], 7), libraryBytes([op], 7), op.path);
  });

  it("is the library's under a chroot, including the root path", () => {
    const ops: MultiOp[] = [...OPS, { type: "check", path: "/", version: -1 }];
    assert.deepEqual(encodeMultiForTest(ops, 1, "/app"), libraryBytes(ops, 1, "/app"));
  });
});
