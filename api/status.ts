/**
 * Errors of the declarative API as a Kubernetes-like Status document, with our stable `code` from
 * the error catalogue (src/errors.ts) for machines and `message` for people:
 *
 *     { "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": "VALIDATION_FAILED",
 *       "reason": "Invalid", "message": "...", "details": { "fields": [{pointer, value, message}] } }
 *
 * The HTTP status comes from the code (one table below); callers never choose it per route.
 */
import { type ErrorCode, ErrorCodes, PvcError } from "../src/errors.ts";

export interface StatusDoc {
  kind: "Status";
  apiVersion: "v1";
  status: "Failure";
  code: ErrorCode;
  /** Kubernetes' reason word (`NotFound`, `Conflict`, `Invalid`…), for Kubernetes-minded clients. */
  reason: string;
  message: string;
  details?: Record<string, unknown>;
}

const HTTP: Partial<Record<ErrorCode, [number, string]>> = {
  [ErrorCodes.BAD_REQUEST]: [400, "BadRequest"],
  [ErrorCodes.AUTH_REQUIRED]: [401, "Unauthorized"],
  [ErrorCodes.AUTH_THROTTLED]: [429, "TooManyRequests"],
  [ErrorCodes.FORBIDDEN]: [403, "Forbidden"],
  [ErrorCodes.NOT_FOUND]: [404, "NotFound"],
  [ErrorCodes.ALREADY_EXISTS]: [409, "AlreadyExists"],
  [ErrorCodes.CONFLICT]: [409, "Conflict"],
  [ErrorCodes.IN_USE]: [409, "Conflict"],
  [ErrorCodes.TOOL_MISSING]: [503, "ServiceUnavailable"],
  [ErrorCodes.RESOURCE_VERSION_TOO_OLD]: [410, "Expired"],
  [ErrorCodes.VALIDATION_FAILED]: [422, "Invalid"],
  [ErrorCodes.INVALID_NAME]: [422, "Invalid"],
  [ErrorCodes.CONFIG_INVALID]: [422, "Invalid"],
  [ErrorCodes.XML_INVALID]: [422, "Invalid"],
  [ErrorCodes.LIBVIRT_DOMAIN_INVALID]: [422, "Invalid"],
  [ErrorCodes.OBJECT_TOO_LARGE]: [413, "RequestEntityTooLarge"],
  // ZooKeeper is unreachable or the session is being rebuilt: retry later.
  [ErrorCodes.ZK_CONNECTION_LOSS]: [503, "ServiceUnavailable"],
  [ErrorCodes.ZK_SESSION_EXPIRED]: [503, "ServiceUnavailable"],
  [ErrorCodes.ZK_TIMEOUT]: [503, "ServiceUnavailable"],
  [ErrorCodes.ZK_CLOSED]: [503, "ServiceUnavailable"],
};

/** The HTTP status and reason word of an error code (500 InternalError for codes not listed). */
export function httpStatusOf(code: ErrorCode): { status: number; reason: string } {
  const [status, reason] = HTTP[code] ?? [500, "InternalError"];
  return { status, reason };
}

/** Fastify's own errors (bad JSON, unsupported media type, body too large) carry a 4xx statusCode. */
function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" && status >= 400 && status < 500 ? status : undefined;
}

/** Any thrown value as a PvcError: ours as is, fastify's 4xx as BAD_REQUEST, the rest INTERNAL. */
export function toPvcError(err: unknown): PvcError {
  if (err instanceof PvcError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const status = clientErrorStatus(err);
  if (status === 401) return new PvcError(ErrorCodes.AUTH_REQUIRED, message, { cause: err });
  if (status === 404) return new PvcError(ErrorCodes.NOT_FOUND, message, { cause: err });
  if (status !== undefined) return new PvcError(ErrorCodes.BAD_REQUEST, message, { cause: err });
  return new PvcError(ErrorCodes.INTERNAL, `internal error: ${message}`, { cause: err });
}

/**
 * The HTTP status of an error: from our code, except that fastify's own client errors keep their
 * exact status (413 body too large, 415 unsupported media type).
 */
export function statusCodeOf(err: unknown): number {
  if (!(err instanceof PvcError)) {
    const status = clientErrorStatus(err);
    if (status !== undefined) return status;
  }
  return httpStatusOf(toPvcError(err).code).status;
}

export function statusDoc(err: unknown): StatusDoc {
  const e = toPvcError(err);
  const doc: StatusDoc = {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    code: e.code,
    reason: httpStatusOf(e.code).reason,
    message: e.message,
  };
  if (e.details) doc.details = e.details;
  return doc;
}
