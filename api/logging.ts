/**
 * The process logger: pino, structured JSON, one line per event; requests carry `reqId` (fastify
 * binds it; see server.ts for where it comes from). Secrets never reach a log line:
 * - `redact` censors the paths where a token or session could sit in a logged object (headers,
 *   parsed bodies and queries, the config's token list and secret key);
 * - the request serializer rewrites the URL's query so that `?token=…` is not logged as part of it.
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

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

export interface LoggerSettings {
  level: string;
  /** Where lines go (default stdout); tests pass a stream to read them back. */
  destination?: DestinationStream;
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
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
