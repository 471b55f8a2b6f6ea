/**
 * Sends the route fuzzer's requests exactly as built: node:http with the request target as given
 * (fetch would normalize `..` and re-encode the path), one connection per request (a request that
 * confuses the server's parser cannot spoil the next one), a deadline per request, and raw bytes
 * over a socket for protocol-level garbage. Bodies of answers are kept only in part: enough to
 * show in a report. A streaming answer (a watch) counts as answered once its head arrives.
 */
import { request } from "node:http";
import { connect } from "node:net";

export interface Answer {
  /** The HTTP status, or what happened instead. */
  status: number | "timeout" | "error";
  /** The first bytes of the answer's body (or the error). */
  body: string;
  ms: number;
}

/** Kept of each answer's body, for reports. */
const KEEP_BYTES = 2_000;
/** How long a body may keep streaming after the head (watch streams never end by themselves). */
const BODY_GRACE_MS = 1_000;

export interface HttpTarget {
  host: string;
  port: number;
}

export function targetOf(url: string): HttpTarget {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** One request; never rejects. */
export function send(
  target: HttpTarget,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  timeoutMs: number,
  localAddress?: string,
): Promise<Answer> {
  const started = performance.now();
  return new Promise<Answer>((resolve) => {
    let status: number | undefined;
    let kept = "";
    let done = false;
    const finish = (a: Omit<Answer, "ms">) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...a, ms: performance.now() - started });
    };
    const timer = setTimeout(
      () =>
        finish(
          status === undefined
            ? { status: "timeout", body: `no answer within ${timeoutMs} ms` }
            : { status, body: kept },
        ),
      timeoutMs,
    );
    let req: ReturnType<typeof request>;
    try {
      req = request({
        host: target.host,
        port: target.port,
        method,
        path,
        // Framed explicitly: node sends a GET's or DELETE's body without a length otherwise, and
        // the server would read it as the next request.
        headers: {
          connection: "close",
          ...(body ? { "content-length": String(body.length) } : {}),
          ...headers,
        },
        agent: false,
        localAddress,
      });
    } catch (err) {
      // The client refused to build it (a character node:http will not send): not the server's doing.
      clearTimeout(timer);
      resolve({ status: "error", body: `client: ${(err as Error).message}`, ms: 0 });
      return;
    }
    req.on("response", (res) => {
      status = res.statusCode ?? 0;
      const grace = setTimeout(() => finish({ status: status as number, body: kept }), BODY_GRACE_MS);
      res.on("data", (chunk: Buffer) => {
        if (kept.length < KEEP_BYTES) kept += chunk.toString("utf8").slice(0, KEEP_BYTES - kept.length);
      });
      res.on("end", () => {
        clearTimeout(grace);
        finish({ status: status as number, body: kept });
      });
      res.on("error", () => {
        clearTimeout(grace);
        finish({ status: status as number, body: kept });
      });
    });
    req.on("error", (err) => {
      // The server may answer (413) and close before an oversized body is all sent: the answer counts.
      if (status !== undefined) finish({ status, body: kept });
      else finish({ status: "error", body: `${(err as NodeJS.ErrnoException).code ?? ""} ${err.message}` });
    });
    req.end(body);
  });
}

/** Raw bytes over TCP; the status is read from the answer's status line, if one comes. */
export function sendRaw(
  target: HttpTarget,
  bytes: Buffer,
  timeoutMs: number,
  localAddress?: string,
): Promise<Answer> {
  const started = performance.now();
  return new Promise<Answer>((resolve) => {
    let got = "";
    let done = false;
    const socket = connect({ port: target.port, host: target.host, localAddress });
    const finish = (why?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve({
        status: m ? Number(m[1]) : why === "timeout" ? "timeout" : "error",
        body: got.slice(0, KEEP_BYTES) || (why ?? "closed without an answer"),
        ms: performance.now() - started,
      });
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.on("connect", () => socket.end(bytes));
    socket.on("data", (chunk: Buffer) => {
      got += chunk.toString("latin1");
      // The head of the first answer is all we need.
      if (got.includes("\r\n\r\n") && got.length > KEEP_BYTES) finish();
    });
    socket.on("end", () => finish());
    socket.on("close", () => finish());
    socket.on("error", (err) => finish(err.message));
  });
}
