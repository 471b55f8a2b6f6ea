/**
 * The project's error catalogue. Every error we throw on purpose is a PvcError with a stable
 * `code`: callers branch on codes, never on message text (messages are for people and may change).
 * Codes are never reused for a different meaning. Subsystems add their codes here, in one place.
 */

export const ErrorCodes = {
  // ZooKeeper (src/zk)
  ZK_NO_NODE: "ZK_NO_NODE",
  ZK_NODE_EXISTS: "ZK_NODE_EXISTS",
  ZK_BAD_VERSION: "ZK_BAD_VERSION",
  ZK_NOT_EMPTY: "ZK_NOT_EMPTY",
  ZK_CONNECTION_LOSS: "ZK_CONNECTION_LOSS",
  ZK_SESSION_EXPIRED: "ZK_SESSION_EXPIRED",
  ZK_TIMEOUT: "ZK_TIMEOUT",
  ZK_CLOSED: "ZK_CLOSED",
  ZK_OTHER: "ZK_OTHER",
  /** The installed node-zookeeper-client is not the version whose internals src/zk/ reaches into. */
  ZK_LIBRARY_MISMATCH: "ZK_LIBRARY_MISMATCH",
  /** An object (or its status) larger than the store takes (ZooKeeper's request cap). */
  OBJECT_TOO_LARGE: "OBJECT_TOO_LARGE",
  // Ceph CLI (src/ceph)
  CEPH_ENOENT: "CEPH_ENOENT",
  CEPH_EEXIST: "CEPH_EEXIST",
  CEPH_EBUSY: "CEPH_EBUSY",
  CEPH_EINVAL: "CEPH_EINVAL",
  CEPH_TIMEOUT: "CEPH_TIMEOUT",
  CEPH_COMMAND_FAILED: "CEPH_COMMAND_FAILED",
  CEPH_BAD_OUTPUT: "CEPH_BAD_OUTPUT",
  INVALID_NAME: "INVALID_NAME",
  // Local stack (src/stack)
  STACK_START_FAILED: "STACK_START_FAILED",
  STACK_NOT_RUNNING: "STACK_NOT_RUNNING",
  // Resource store (src/store)
  VALIDATION_FAILED: "VALIDATION_FAILED",
  NOT_FOUND: "NOT_FOUND",
  ALREADY_EXISTS: "ALREADY_EXISTS",
  CONFLICT: "CONFLICT",
  // Configuration
  CONFIG_INVALID: "CONFIG_INVALID",
  /** The API's listen address is taken (another server, often another `pvcctl serve` or `up`). */
  ADDRESS_IN_USE: "ADDRESS_IN_USE",
  // Controllers
  TERMINAL: "TERMINAL",
  // Hollow node simulator (src/sim)
  /** A domain's libvirt XML has no usable <domain>/<memory>: the simulated libvirt refuses to start it. */
  SIM_DOMAIN_XML_INVALID: "SIM_DOMAIN_XML_INVALID",
  // libvirt XML (src/resources/domain-xml.ts, libvirt-xml.ts)
  /** Not a well-formed XML document we accept (DOCTYPE, too large, malformed), or not a usable libvirt domain. */
  XML_INVALID: "XML_INVALID",
  /** A structured libvirt domain description that cannot be built into XML (a bad name, uuid, MAC, size…). */
  LIBVIRT_DOMAIN_INVALID: "LIBVIRT_DOMAIN_INVALID",
  // Ceph CLI (src/ceph), continued
  /** The object still has children: e.g. `rbd rm` of an image that has snapshots (errno 39). */
  CEPH_ENOTEMPTY: "CEPH_ENOTEMPTY",
  /** Ceph refused a dangerous change without an explicit confirmation flag (errno 1, "Are you SURE?"). */
  CEPH_EPERM: "CEPH_EPERM",
  // HTTP API (api/)
  /** No valid session cookie or X-Api-Key token (HTTP 401). */
  AUTH_REQUIRED: "AUTH_REQUIRED",
  /** Too many failed authentications from this client lately: refused until its window ends (HTTP 429). */
  AUTH_THROTTLED: "AUTH_THROTTLED",
  /** Understood but not allowed, e.g. creating a kind only the cluster creates (HTTP 403). */
  FORBIDDEN: "FORBIDDEN",
  /** A malformed request: unparsable body, a bad query value, an invalid `limit` regex (HTTP 400). */
  BAD_REQUEST: "BAD_REQUEST",
  /** A watch from a resourceVersion older than the watch history holds: list again (HTTP 410). */
  RESOURCE_VERSION_TOO_OLD: "RESOURCE_VERSION_TOO_OLD",
  /** Nothing we threw on purpose: a bug or an outage; the server logged it (HTTP 500). */
  INTERNAL: "INTERNAL",
  // pvcctl (src/pvcctl)
  /** The API server could not be reached (refused, timed out, DNS): nothing was sent or answered. */
  API_UNREACHABLE: "API_UNREACHABLE",
  // Controller runtime (src/runtime)
  /** A write guarded by the leader fence was refused: this replica is not (or no longer) the leader. */
  NOT_LEADER: "NOT_LEADER",
  // Provisioner (src/resources/in-use.ts, src/provisioner)
  /** The object is still used by others (e.g. a template a ProvisionerProfile names): not deleted (HTTP 409). */
  IN_USE: "IN_USE",
  /** A program the server needs for this request is not installed on it (python3, rbd-fuse…) (HTTP 503). */
  TOOL_MISSING: "TOOL_MISSING",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class PvcError extends Error {
  readonly code: ErrorCode;
  /** Structured details for machines (e.g. the failing op index, the field list). */
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PvcError";
    this.code = code;
    if (options?.details) this.details = options.details;
  }
}

export function isPvcError(err: unknown, code?: ErrorCode): err is PvcError {
  return err instanceof PvcError && (code === undefined || err.code === code);
}
