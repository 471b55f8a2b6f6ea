/**
 * How the facade answers an error, the manual's way: always `{"message": …}`; GETs with 404 for
 * what does not exist and 400 for bad values (as PVC v0.6), POST/PUT/DELETE with 510 for any
 * failure. Unexpected errors are 500 and logged with their stack; the message stays short.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ErrorCodes } from "../../src/errors.ts";
import { statusCodeOf, toPvcError } from "../status.ts";
import { FAILURE } from "./facade.ts";

export function facadeStatusOf(err: unknown, method: string): number {
  const e = toPvcError(err);
  if (e.code === ErrorCodes.INTERNAL) return 500;
  // A body over the server's limit never reached the endpoint: HTTP's 413, which clients and
  // proxies understand, not an operation's failure (PVC v0.6 had no limit, so the manual has no code).
  if (isBodyLimit(err)) return 413;
  if (method !== "GET" && method !== "HEAD") return FAILURE;
  if (e.code === ErrorCodes.NOT_FOUND) return 404;
  const status = statusCodeOf(err);
  return status >= 500 ? status : 400;
}

export function facadeErrorHandler(
  err: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = facadeStatusOf(err, request.method);
  if (status === 500) request.log.error({ err }, "facade: unexpected error");
  else request.log.info({ code: toPvcError(err).code, status }, `facade: ${toPvcError(err).message}`);
  void reply.code(status).send({ message: toPvcError(err).message });
}

/** Fastify's (and its body parsers') refusal of a body over the limit. */
function isBodyLimit(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  return typeof e?.code === "string" && e.code.startsWith("FST_") && e.statusCode === 413;
}
