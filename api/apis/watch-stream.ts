/**
 * A watch over HTTP: newline-delimited JSON, one `{"type": "ADDED|MODIFIED|DELETED", "object": …}`
 * per line, for as long as the client stays (or `timeoutSeconds`). A client that reads too slowly
 * is cut off rather than buffered without bound; it resumes from the last resourceVersion it saw.
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

/** Starts the watch (its refusal, e.g. 410, is thrown before anything is sent) and streams it. */
export async function streamWatch(
  request: FastifyRequest,
  reply: FastifyReply,
  w: WatchRequest,
): Promise<FastifyReply> {
  const stream = new PassThrough();
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const finish = () => {
    clearTimeout(timer);
    unsubscribe?.();
    if (!stream.writableEnded) stream.end();
  };
  unsubscribe = await w.cache.watch(w.fromRv, w.selector, {
    send: (event) => {
      if (stream.writableEnded) return;
      if (stream.writableLength > MAX_BUFFERED_BYTES) {
        request.log.warn({ kind: w.cache.kind }, "watch: client too slow, closing its stream");
        finish();
        return;
      }
      stream.write(`${JSON.stringify(event)}\n`);
    },
    end: finish,
  });
  if (stream.writableEnded) unsubscribe();
  if (w.timeoutSeconds !== undefined) timer = setTimeout(finish, w.timeoutSeconds * 1000);
  // Hijacked so that the headers go out now: a client learns the watch started even before the
  // first event (fastify would hold them until the first chunk).
  reply.hijack();
  const res = reply.raw;
  res.on("close", finish);
  res.writeHead(200, {
    "content-type": NDJSON,
    "cache-control": "no-cache",
    "x-request-id": String(request.id),
  });
  res.flushHeaders();
  stream.pipe(res);
  request.log.info({ kind: w.cache.kind, from: w.fromRv?.toString() ?? "now" }, "watch started");
  return reply;
}
