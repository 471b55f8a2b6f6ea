/**
 * Maps node-zookeeper-client's numeric exception codes to our stable error codes.
 * Kept apart from the client so that the mapping can be unit-tested without a server.
 */
import { type ErrorCode, ErrorCodes, PvcError } from "../errors.ts";

/** ZooKeeper's wire error codes (org.apache.zookeeper.KeeperException.Code), as node-zookeeper-client reports them. */
export const ZK_WIRE_CODES = {
  OK: 0,
  SYSTEM_ERROR: -1,
  RUNTIME_INCONSISTENCY: -2,
  DATA_INCONSISTENCY: -3,
  CONNECTION_LOSS: -4,
  MARSHALLING_ERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATION_TIMEOUT: -7,
  BAD_ARGUMENTS: -8,
  API_ERROR: -100,
  NO_NODE: -101,
  NO_AUTH: -102,
  BAD_VERSION: -103,
  NO_CHILDREN_FOR_EPHEMERALS: -108,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
  INVALID_CALLBACK: -113,
  INVALID_ACL: -114,
  AUTH_FAILED: -115,
} as const;

const BY_WIRE_CODE = new Map<number, ErrorCode>([
  [ZK_WIRE_CODES.NO_NODE, ErrorCodes.ZK_NO_NODE],
  [ZK_WIRE_CODES.NODE_EXISTS, ErrorCodes.ZK_NODE_EXISTS],
  [ZK_WIRE_CODES.BAD_VERSION, ErrorCodes.ZK_BAD_VERSION],
  [ZK_WIRE_CODES.NOT_EMPTY, ErrorCodes.ZK_NOT_EMPTY],
  [ZK_WIRE_CODES.CONNECTION_LOSS, ErrorCodes.ZK_CONNECTION_LOSS],
  [ZK_WIRE_CODES.SESSION_EXPIRED, ErrorCodes.ZK_SESSION_EXPIRED],
  [ZK_WIRE_CODES.OPERATION_TIMEOUT, ErrorCodes.ZK_TIMEOUT],
]);

/** The shape of node-zookeeper-client's Exception that we rely on. */
interface WireException {
  getCode(): number;
  getName?(): string;
  message?: string;
}

function isWireException(err: unknown): err is WireException {
  return typeof err === "object" && err !== null && typeof (err as WireException).getCode === "function";
}

export function wireCodeToErrorCode(code: number): ErrorCode {
  return BY_WIRE_CODE.get(code) ?? ErrorCodes.ZK_OTHER;
}

/** Wraps whatever node-zookeeper-client handed us in a PvcError naming the operation and path. */
export function toZkError(err: unknown, op: string, path: string): PvcError {
  if (err instanceof PvcError) return err;
  if (isWireException(err)) {
    const wire = err.getCode();
    const name = err.getName?.() ?? String(wire);
    return new PvcError(wireCodeToErrorCode(wire), `zookeeper ${op} ${path}: ${name}`, {
      cause: err,
      details: { op, path, wireCode: wire },
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new PvcError(ErrorCodes.ZK_OTHER, `zookeeper ${op} ${path}: ${message}`, {
    cause: err,
    details: { op, path },
  });
}
