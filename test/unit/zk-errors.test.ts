import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import { toZkError, wireCodeToErrorCode, ZK_WIRE_CODES } from "../../src/zk/errors.ts";

test("ZooKeeper wire codes map to stable error codes", () => {
  assert.equal(wireCodeToErrorCode(ZK_WIRE_CODES.NO_NODE), ErrorCodes.ZK_NO_NODE);
  assert.equal(wireCodeToErrorCode(ZK_WIRE_CODES.NODE_EXISTS), ErrorCodes.ZK_NODE_EXISTS);
  assert.equal(wireCodeToErrorCode(ZK_WIRE_CODES.BAD_VERSION), ErrorCodes.ZK_BAD_VERSION);
  assert.equal(wireCodeToErrorCode(ZK_WIRE_CODES.NOT_EMPTY), ErrorCodes.ZK_NOT_EMPTY);
  assert.equal(wireCodeToErrorCode(ZK_WIRE_CODES.CONNECTION_LOSS), ErrorCodes.ZK_CONNECTION_LOSS);
  assert.equal(wireCodeToErrorCode(ZK_WIRE_CODES.SESSION_EXPIRED), ErrorCodes.ZK_SESSION_EXPIRED);
  assert.equal(wireCodeToErrorCode(ZK_WIRE_CODES.INVALID_ACL), ErrorCodes.ZK_OTHER);
});

test("toZkError names the op and path and keeps the cause", () => {
  const wire = { getCode: () => -101, getName: () => "NO_NODE" };
  const err = toZkError(wire, "get", "/networks/200");
  assert.ok(err instanceof PvcError);
  assert.equal(err.code, ErrorCodes.ZK_NO_NODE);
  assert.equal(err.message, "zookeeper get /networks/200: NO_NODE");
  assert.equal(err.cause, wire);
  const plain = toZkError(new Error("boom"), "set", "/x");
  assert.equal(plain.code, ErrorCodes.ZK_OTHER);
  assert.match(plain.message, /set \/x: boom/);
});
