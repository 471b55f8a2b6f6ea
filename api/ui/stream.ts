/**
 * GET /ui/stream: everything the status page shows, live, on one connection (a browser allows six
 * per server over HTTP/1.1, fewer than there are kinds): the watch caches of every kind (the same
 * ones `?watch=true` serves), each object as a summary (summary.ts), and the event feed. NDJSON,
 * one line each:
 *
 *   {"type":"HELLO","kinds":[{kind,plural}…],"apiPath","auth"}  first: the page starts over here
 *   {"type":"ADDED|MODIFIED|DELETED","object":Summary}     every object now, then every change
 *   {"type":"SYNCED"}                                       every kind's objects have been sent
 *   {"type":"EVENT","event":FeedEvent}                      the recent events, then each new one
 *   {"type":"DRIFT","series":[{minute,count}…]}             repairs per minute: now, and after each
 *
 * A page that loses the stream opens it again and gets the whole state anew: nothing is polled.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { KindInfo } from "../../src/resources/kinds.ts";
import type { EventFeed } from "../../src/store/event-feed.ts";
import type { WatchCache } from "../apis/watch-cache.ts";
import { type LineSink, streamLines } from "../apis/watch-stream.ts";
import { summarize } from "./summary.ts";

export interface UiStreamSources {
  kinds: readonly KindInfo[];
  /** Where the page reads one object whole: `/apis/<group>/v1`. */
  apiPath: string;
  /** Authentication is on (the page offers a logout). */
  auth: boolean;
  watchCache(kind: string): WatchCache;
  feed: EventFeed;
}

async function subscribeAll(sources: UiStreamSources, sink: LineSink): Promise<() => void> {
  const stops: Array<() => void> = [];
  const stopAll = () => {
    for (const stop of stops.splice(0)) stop();
  };
  try {
    sink.send({
      type: "HELLO",
      kinds: sources.kinds.map((k) => ({ kind: k.kind, plural: k.plural })),
      apiPath: sources.apiPath,
      auth: sources.auth,
    });
    for (const info of sources.kinds) {
      const stop = await sources.watchCache(info.kind).watch(undefined, [], {
        send: (e) => sink.send({ type: e.type, object: summarize(e.object) }),
        end: () => sink.end(),
      });
      stops.push(stop);
    }
    sink.send({ type: "SYNCED" });
    for (const event of sources.feed.recent()) sink.send({ type: "EVENT", event });
    sink.send({ type: "DRIFT", series: sources.feed.driftRepairs() });
    stops.push(
      sources.feed.subscribe((event, drift) => {
        sink.send({ type: "EVENT", event });
        if (drift) sink.send({ type: "DRIFT", series: drift });
      }),
    );
  } catch (err) {
    stopAll();
    throw err;
  }
  return stopAll;
}

export function streamStatus(
  request: FastifyRequest,
  reply: FastifyReply,
  sources: UiStreamSources,
): Promise<FastifyReply> {
  return streamLines(request, reply, (sink) => subscribeAll(sources, sink), { log: { stream: "ui" } });
}
