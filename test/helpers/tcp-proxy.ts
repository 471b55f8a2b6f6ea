/**
 * A loopback TCP proxy whose link can be cut, to make a real ZooKeeper session expire: stopping a
 * standalone server does not expire sessions (they are restored when it comes back), but a client
 * that cannot reach the server for longer than its session timeout loses its session on both sides.
 */
import net from "node:net";

export interface TcpProxy {
  /** `127.0.0.1:<port>` to give to the client instead of the server's address. */
  readonly address: string;
  /** Drops every connection and refuses new ones until `restore()`. */
  cut(): void;
  /**
   * Holds back what the server sends (replies and watch events) until `release()`, in order;
   * what the client sends still goes through. Lets a test put events and replies in a chosen order.
   */
  hold(): void;
  release(): void;
  /**
   * Like a server stopped with SIGSTOP: connections stay open (new ones are accepted) but nothing
   * passes either way until `thaw()`. The client sees a silent server, not a disconnect.
   */
  freeze(): void;
  thaw(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host, portText] = target.split(",")[0].split("/")[0].split(":");
  const targetPort = Number(portText);
  const sockets = new Set<net.Socket>();
  const links = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let isCut = false;
  let isFrozen = false;
  const frozenDrops = new Set<() => void>();

  const server = net.createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, host);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      // A stopped server closes nothing: while frozen, the server side's close waits for thaw().
      if (isFrozen) {
        frozenDrops.add(drop);
        return;
      }
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    const link = { client, upstream };
    if (isFrozen) {
      client.pause();
      upstream.pause();
    } else {
      client.pipe(upstream);
      upstream.pipe(client);
    }
    links.add(link);
    upstream.on("close", () => links.delete(link));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    address: `127.0.0.1:${port}`,
    cut() {
      isCut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      isCut = false;
    },
    hold() {
      for (const { client, upstream } of links) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
    release() {
      for (const { client, upstream } of links) upstream.pipe(client);
    },
    freeze() {
      isFrozen = true;
      for (const { client, upstream } of links) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    thaw() {
      isFrozen = false;
      for (const { client, upstream } of links) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
      for (const drop of frozenDrops) drop();
      frozenDrops.clear();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
