/**
 * One HTTP request of pvcctl's API client, on node:http(s) with keep-alive agents: the answer's
 * status, headers and text. Why not fetch: Node 20's fetch costs about 1 ms of CPU per request
 * in its streams and abort signals — a third of `pvcctl apply`'s CPU over 10,000 documents, on a
 * machine where the server and ZooKeeper need the same cores (issue 16). Idle sockets do not keep
 * the process alive (the agent unrefs them); a request on a reused socket that the server closed
 * meanwhile is sent once more on a new one (Node's advice for keep-alive clients).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Thrown when no answer came in time (`name` as fetch's, so callers read it the same way). */
export class HttpTimeoutError extends Error {
  override name = "TimeoutError";
}

const AGENTS = {
  "http:": new HttpAgent({ keepAlive: true, maxSockets: 16 }),
  "https:": new HttpsAgent({ keepAlive: true, maxSockets: 16 }),
};

export function httpSend(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
  retried = false,
): Promise<HttpAnswer> {
  const u = new URL(url);
  const https = u.protocol === "https:";
  const headers =
    init.body === undefined
      ? init.headers
      : { ...init.headers, "content-length": String(Buffer.byteLength(init.body)) };
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      u,
      { method: init.method, headers, agent: https ? AGENTS["https:"] : AGENTS["http:"] },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.setTimeout(init.timeoutMs, () =>
      req.destroy(new HttpTimeoutError(`no answer within ${init.timeoutMs} ms`)),
    );
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (!retried && req.reusedSocket && err.code === "ECONNRESET") {
        httpSend(url, init, true).then(resolve, reject);
        return;
      }
      reject(err);
    });
    req.end(init.body);
  });
}
