/**
 * A watch over HTTP: newline-delimited JSON, one `{"type": "ADDED|MODIFIED|DELETED", "object": …}`
 * per line, for as long as the client stays (or `timeoutSeconds`). A client that reads too slowly
 * is cut off rather than buffered without bound; it resumes from the last resourceVersion it saw.
 * `streamLines` is the same stream for any source of lines (the status page's, api/ui/stream.ts).
 */
import { PassThrough } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { LabelSelector } from "../../src/store/labels.ts";
import type { WatchCache } from "./watch-cache.ts";

export const NDJSON = "application/x-ndjson";
/** Unsent bytes allowed to pile up for one slow client. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface WatchRequest {
  cache: WatchCache;
  fromRv: bigint | undefined;
  selector: LabelSelector;
  timeoutSeconds?: number;
}

/** Where a source writes its lines; `end` finishes the stream. */
export interface LineSink {
  send(value: unknown): void;
  end(): void;
}

export interface LineStreamOptions {
  timeoutSeconds?: number;
  /** Logged with "watch started" and a slow client's cut-off. */
  log: Record<string, unknown>;
}

/**
 * Starts a source of lines (`start` resolves, once its first lines are sent, to its unsubscribe;
 * a refusal it throws, e.g. 410, comes before anything is sent) and streams them as NDJSON.
 */
export async function streamLines(
  request: FastifyRequest,
  reply: FastifyReply,
  start: (sink: LineSink) => Promise<() => void>,
  options: LineStreamOptions,
): Promise<FastifyReply> {
  const stream = new PassThrough();
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const finish = () => {
    clearTimeout(timer);
    unsubscribe?.();
    if (!stream.writableEnded) stream.end();
  };
  unsubscribe = await start({
    send: (value) => {
      if (stream.writableEnded) return;
      if (stream.writableLength > MAX_BUFFERED_BYTES) {
        request.log.warn(options.log, "watch: client too slow, closing its stream");
        finish();
        return;
      }
      stream.write(`${JSON.stringify(value)}\n`);
    },
    end: finish,
  });
  if (stream.writableEnded) unsubscribe();
  if (options.timeoutSeconds !== undefined) timer = setTimeout(finish, options.timeoutSeconds * 1000);
  // Hijacked so that the headers go out now: a client learns the watch started even before the
  // first event (fastify would hold them until the first chunk).
  reply.hijack();
  const res = reply.raw;
  res.on("close", finish);
  res.writeHead(200, {
    "content-type": NDJSON,
    "cache-control": "no-cache",
    // The connection ends with the stream. A stream ends when its client leaves, at its timeout or
    // as the server stops (its watch caches close first); kept alive, its connection turned idle
    // only after the server's close had closed the idle ones, and stayed for the client's own
    // keep-alive timeout. A long-lived stream gains nothing from reusing its connection.
    connection: "close",
    "x-request-id": String(request.id),
  });
  res.flushHeaders();
  stream.pipe(res);
  request.log.info(options.log, "watch started");
  return reply;
}

/** Starts the watch (its refusal, e.g. 410, is thrown before anything is sent) and streams it. */
export function streamWatch(
  request: FastifyRequest,
  reply: FastifyReply,
  w: WatchRequest,
): Promise<FastifyReply> {
  return streamLines(
    request,
    reply,
    (sink) =>
      w.cache.watch(w.fromRv, w.selector, { send: (event) => sink.send(event), end: () => sink.end() }),
    {
      timeoutSeconds: w.timeoutSeconds,
      log: { kind: w.cache.kind, from: w.fromRv?.toString() ?? "now" },
    },
  );
}
