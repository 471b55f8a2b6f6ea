/**
 * Notices a silent ZooKeeper server. node-zookeeper-client pings only when the socket is idle
 * (every 1/3 of the session timeout) and never times a reply out, so a server that stops answering
 * (SIGSTOP, a hung JVM, a dead link TCP has not noticed) left the client "connected" and every call
 * hanging until it came back. Like ZooKeeper's own clients, a connected socket that has received
 * nothing for 2/3 of the granted session timeout is declared dead and destroyed: the library then
 * reports a disconnect (calls in flight fail with CONNECTION_LOSS) and tries the servers again.
 *
 * The handshake too: the library stops its connect timer when TCP connects, not when the server
 * answers the session request, so a server whose kernel accepts connections while the process is
 * stopped (one member of an ensemble under SIGSTOP) held the client there for good, however many
 * other servers the connect string named. As the Java client does, a socket still waiting for its
 * session after the session timeout divided by the number of servers is dropped, and the library
 * moves on to the next server.
 */
import type { Socket } from "node:net";

/** The socket to watch now and how long it may stay silent. */
export interface Watched {
  socket: Socket;
  limitMs: number;
}

export class SilenceDetector {
  readonly #probe: () => Watched | undefined;
  #timer: NodeJS.Timeout | undefined;
  #watched: Socket | undefined;
  #lastReceived = 0;
  #silentFor = 0;

  /** `probe`: the socket to watch now and its limit (undefined while there is none to watch). */
  constructor(probe: () => Watched | undefined) {
    this.#probe = probe;
  }

  /** Checks every `intervalMs` (idempotent). */
  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#check(), Math.max(50, intervalMs));
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
    const watched = this.#probe();
    if (!watched) return;
    const { socket, limitMs } = watched;
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
    if (silent > limitMs) {
      this.#silentFor = Math.round(silent);
      this.#watched = undefined;
      socket.destroy();
    }
  }
}
