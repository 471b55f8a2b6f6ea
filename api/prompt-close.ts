/**
 * A stop that waits for no client. Node's close ends idle keep-alive connections and waits for the
 * requests in flight; a connection that has not sent a request yet is neither, and it held a stop
 * until Node's headers timeout, 60-70 s: fetch and browsers open such spare connections (measured:
 * undici opened one beside a status-page stream, and `pvcctl serve` then took 70 s to stop).
 * So, as the server closes, the connections that never sent a request are destroyed at once, and
 * whatever is still open `graceMs` later (a request still waiting, a TLS handshake never finished)
 * is cut.
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";

export interface PromptCloseOptions {
  /** TLS: a connection counts once its handshake is done (the socket requests arrive on). */
  tls: boolean;
  graceMs: number;
}

export function closePromptly(app: FastifyInstance, options: PromptCloseOptions): void {
  const server = app.server;
  const silent = new Set<Socket>();
  server.on(options.tls ? "secureConnection" : "connection", (socket: Socket) => {
    silent.add(socket);
    socket.once("close", () => silent.delete(socket));
  });
  server.on("request", (req: IncomingMessage) => silent.delete(req.socket));

  let cut: NodeJS.Timeout | undefined;
  app.addHook("preClose", (done) => {
    for (const socket of silent) socket.destroy();
    cut = setTimeout(() => {
      app.log.warn({ graceMs: options.graceMs }, "stopping: cutting the connections still open");
      server.closeAllConnections();
    }, options.graceMs);
    done();
  });
  app.addHook("onClose", (_instance, done) => {
    clearTimeout(cut);
    done();
  });
}
