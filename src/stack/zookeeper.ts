/**
 * ZooKeeper 3.8 from the Debian package, standalone or as one member of an ensemble (ensemble.ts
 * says which servers there are), run straight from the jar so its data, config and log stay in the
 * state dir (the packaged init scripts would use /etc and /var).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { ErrorCodes, PvcError } from "../errors.ts";
import type { ZkServer } from "./ensemble.ts";
import type { Daemon } from "./process.ts";
import { spawnDaemon, waitFor } from "./process.ts";
import type { StackPaths } from "./state.ts";
import { logFile } from "./state.ts";

/** `peers`: every member of the ensemble (this server among them); none for a standalone server. */
export function renderZooCfg(opts: { dataDir: string; port: number; peers?: readonly ZkServer[] }): string {
  const peers = opts.peers ?? [];
  return [
    "# Written by pvcctl stack up; regenerated on every fresh start.",
    "tickTime=2000",
    `dataDir=${opts.dataDir}`,
    `clientPort=${opts.port}`,
    "clientPortAddress=127.0.0.1",
    ...(peers.length === 0
      ? []
      : [
          // Followers get 10 ticks to load the leader's snapshot, 5 to answer it after that.
          "initLimit=10",
          "syncLimit=5",
          ...peers.map((p) => `server.${p.id}=127.0.0.1:${p.quorumPort}:${p.electionPort}`),
        ]),
    // Tests open many sessions from one address; the default cap of 60 would refuse some.
    "maxClientCnxns=0",
    "admin.enableServer=false",
    // srvr is the readiness probe; ruok answers imok before the server serves requests.
    "4lw.commands.whitelist=srvr,ruok,stat,mntr,conf",
    "",
  ].join("\n");
}

/**
 * The JVM flags measured to start fastest with the least memory (about 57 MB RSS). An ensemble
 * member runs QuorumPeerMain (elections, the leader's log); a standalone server the plain one.
 * `PVC_STACK_ZK_HEAP` (a JVM size, e.g. 1g) raises the 256 MB heap: the scale benchmarks hold
 * more keys than that takes.
 */
export function zookeeperCommand(zooCfg: string, member = false): { command: string; args: string[] } {
  const heap = process.env.PVC_STACK_ZK_HEAP ?? "256m";
  if (!/^[0-9]+[kmg]$/i.test(heap))
    throw new PvcError(
      ErrorCodes.CONFIG_INVALID,
      `PVC_STACK_ZK_HEAP: must be a JVM size like 1g, got "${heap}"`,
    );
  return {
    command: "java",
    args: [
      "-Xms32m",
      `-Xmx${heap}`,
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      "-Dzookeeper.admin.enableServer=false",
      "-cp",
      // The jar's manifest Class-Path brings the rest; slf4j-simple makes the log reach stderr.
      "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
      member
        ? "org.apache.zookeeper.server.quorum.QuorumPeerMain"
        : "org.apache.zookeeper.server.ZooKeeperServerMain",
      zooCfg,
    ],
  };
}

/** Sends a four-letter word and returns the whole reply, or null if nobody answers. */
export function fourLetterWord(port: number, word: string, timeoutMs = 1000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const done = (value: string | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.on("connect", () => socket.write(word));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
    });
    socket.on("end", () => done(reply));
    socket.on("error", () => done(null));
  });
}

export type ZkRole = "standalone" | "leader" | "follower" | "observer";

/**
 * The server's role from its `srvr` reply, or null while it serves nothing: `srvr` reports the
 * mode only once the server accepts sessions (an ensemble member electing or syncing says
 * "not currently serving requests").
 */
export function zkRole(srvrReply: string | null): ZkRole | null {
  const m = srvrReply === null ? null : /^Mode: (standalone|leader|follower|observer)$/m.exec(srvrReply);
  return m ? (m[1] as ZkRole) : null;
}

/** Ready means serving, in whatever role. */
export function isServing(srvrReply: string | null): boolean {
  return zkRole(srvrReply) !== null;
}

/** Writes the server's zoo.cfg (and, for an ensemble member, its myid) under its own dir. */
export function writeZookeeperConfig(server: ZkServer, servers: readonly ZkServer[]): void {
  mkdirSync(server.dataDir, { recursive: true });
  const member = server.id > 0;
  if (member) writeFileSync(join(server.dataDir, "myid"), `${server.id}\n`);
  writeFileSync(
    server.zooCfg,
    renderZooCfg({ dataDir: server.dataDir, port: server.clientPort, peers: member ? servers : undefined }),
  );
}

export async function startZookeeper(paths: StackPaths, server: ZkServer): Promise<Daemon> {
  const { command, args } = zookeeperCommand(server.zooCfg, server.id > 0);
  return spawnDaemon({ command, args, log: logFile(paths, server.component), cwd: server.dir });
}

/**
 * Waits until `srvr` reports a role; `check` fails fast when a started daemon has exited. An
 * ensemble member serves only once a quorum has elected a leader, so wait for all of them together.
 */
export async function waitZookeeper(paths: StackPaths, server: ZkServer, check: () => void): Promise<void> {
  await waitFor(
    `${server.component} start`,
    { timeoutMs: 30_000, log: logFile(paths, server.component), check },
    async () => (isServing(await fourLetterWord(server.clientPort, "srvr")) ? true : undefined),
  );
}
