/**
 * Notices a silent ZooKeeper server. node-zookeeper-client pings only when the socket is idle
 * (every 1/3 of the session timeout) and never times a reply out, so a server that stops answering
 * (SIGSTOP, a hung JVM, a dead link TCP has not noticed) left the client "connected" and every call
 * hanging until it came back. Like ZooKeeper's own clients, a connected socket that has received
 * nothing for 2/3 of the granted session timeout is declared dead and destroyed: the library then
 * reports a disconnect (calls in flight fail with CONNECTION_LOSS) and tries the servers again.
 */
import type { Socket } from "node:net";

export class SilenceDetector {
  readonly #socket: () => Socket | undefined;
  readonly #timeoutMs: () => number;
  #timer: NodeJS.Timeout | undefined;
  #watched: Socket | undefined;
  #lastReceived = 0;
  #silentFor = 0;

  /** `socket`: the connected socket now (undefined while not connected); `timeoutMs`: the granted session timeout. */
  constructor(socket: () => Socket | undefined, timeoutMs: () => number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
  }

  /** Checks every 1/6 of the session timeout (idempotent). */
  start(sessionTimeoutMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#check(), Math.max(50, sessionTimeoutMs / 6));
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** How long the server had been silent when the last connection was dropped (0: none was). */
  get lastSilenceMs(): number {
    return this.#silentFor;
  }

  #check(): void {
    const socket = this.#socket();
    if (!socket) return;
    const now = performance.now();
    if (socket !== this.#watched) {
      this.#watched = socket;
      this.#lastReceived = now;
      socket.on("data", () => {
        if (this.#watched === socket) this.#lastReceived = performance.now();
      });
      return;
    }
    const silent = now - this.#lastReceived;
    if (silent > (this.#timeoutMs() * 2) / 3) {
      this.#silentFor = Math.round(silent);
      this.#watched = undefined;
      socket.destroy();
    }
  }
}
