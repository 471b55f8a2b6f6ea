/**
 * The process logger: pino, structured JSON, one line per event; requests carry `reqId` (fastify
 * binds it; see server.ts for where it comes from). On a terminal (`format: "pretty"`) the same
 * events are printed as readable lines by pino-pretty, in this thread (no worker: nothing is lost
 * when the process exits). Each HTTP request is one line at debug (RequestLog), not fastify's two
 * at info: at the default level a served request prints nothing. Secrets never reach a log line:
 * - `redact` censors the paths where a token or session could sit in a logged object (headers,
 *   parsed bodies and queries, the config's token list and secret key);
 * - the request serializer rewrites the URL's query so that `?token=…` is not logged as part of it.
 * Redaction happens in pino, before a line is written, so it holds for both formats.
 */
import { type FastifyReply, type FastifyRequest, LogController } from "fastify";
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import pretty from "pino-pretty";

export const REDACTED = "[redacted]";

/** Paths censored in every log line. */
export const REDACT_PATHS = [
  'req.headers["x-api-key"]',
  "req.headers.cookie",
  "req.headers.authorization",
  'res.headers["set-cookie"]',
  'headers["x-api-key"]',
  "headers.cookie",
  "req.query.token",
  "req.body.token",
  "query.token",
  "body.token",
  "token",
  "tokens",
  "secretKey",
  "secret_key",
  "config.api.auth.tokens",
  "config.api.auth.secretKey",
];

/** Query keys whose values are secrets. */
const SECRET_KEYS = new Set(["token", "x-api-key", "api_key", "apikey"]);

/** The URL with the values of secret query keys replaced: `/a?token=s3cret&x=1` → `/a?token=[redacted]&x=1`. */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const rawKey = eq < 0 ? pair : pair.slice(0, eq);
      let key = rawKey;
      try {
        key = decodeURIComponent(rawKey.replaceAll("+", " "));
      } catch {
        // a malformed escape: compare it as it is
      }
      return eq >= 0 && SECRET_KEYS.has(key.toLowerCase()) ? `${rawKey}=${REDACTED}` : pair;
    });
  return `${url.slice(0, q)}?${parts.join("&")}`;
}

interface RawRequestLike {
  method?: string;
  url?: string;
  hostname?: string;
  host?: string;
  headers?: Record<string, unknown>;
  ip?: string;
  socket?: { remoteAddress?: string; remotePort?: number };
}

/** fastify's request fields, minus secrets in the URL. */
function serializeRequest(req: RawRequestLike) {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    host: req.host ?? req.hostname ?? req.headers?.host,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}

/** How lines are written: pino's JSON, or readable lines for a person at a terminal. */
export type LogFormat = "json" | "pretty";
export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

export interface LoggerSettings {
  level: string;
  /** Where lines go (default stdout); tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Default json. */
  format?: LogFormat;
  /** Colours in the pretty format (default: only when writing to a terminal). */
  color?: boolean;
}

/** The format for a stream when none is asked for: pretty on a terminal, JSON for machines. */
export function defaultLogFormat(stream: { isTTY?: boolean } = process.stdout): LogFormat {
  return stream.isTTY ? "pretty" : "json";
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { req: serializeRequest, err: pino.stdSerializers.err },
  };
}

export function createLogger(settings: LoggerSettings): Logger {
  const options = loggerOptions(settings.level);
  if (settings.format === "pretty") {
    const destination = settings.destination ?? process.stdout;
    const stream = pretty({
      destination,
      sync: true,
      colorize: settings.color ?? Boolean((destination as { isTTY?: boolean }).isTTY),
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
      // One event, one line: the fields after the message as compact JSON.
      singleLine: true,
    });
    return pino(options, stream);
  }
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/**
 * fastify's request log lines, ours: one debug line per HTTP request when its reply has gone out
 * (method, URL with secret query values redacted, status, time taken) instead of fastify's two
 * info lines per request; a request that errored while sending stays an error line. Given to
 * fastify as its `logController` (its documented way to change these lines).
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {
    // Nothing: the one line is written when the request completes.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    request.log.debug(
      {
        method: request.method,
        url: redactUrl(request.url),
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      "request",
    );
  }
}
