/**
 * ZooKeeper 3.8 standalone from the Debian package, run straight from the jar so its data, config
 * and log stay in the state dir (the packaged init scripts would use /etc and /var).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import type { Daemon } from "./process.ts";
import { spawnDaemon, waitFor } from "./process.ts";
import type { StackPaths } from "./state.ts";
import { logFile } from "./state.ts";

export function renderZooCfg(opts: { dataDir: string; port: number }): string {
  return [
    "# Written by pvcctl stack up; regenerated on every fresh start.",
    "tickTime=2000",
    `dataDir=${opts.dataDir}`,
    `clientPort=${opts.port}`,
    "clientPortAddress=127.0.0.1",
    // Tests open many sessions from one address; the default cap of 60 would refuse some.
    "maxClientCnxns=0",
    "admin.enableServer=false",
    // srvr is the readiness probe; ruok answers imok before the server serves requests.
    "4lw.commands.whitelist=srvr,ruok,stat,mntr,conf",
    "",
  ].join("\n");
}

/** The JVM flags measured to start fastest with the least memory (about 57 MB RSS). */
export function zookeeperCommand(zooCfg: string): { command: string; args: string[] } {
  return {
    command: "java",
    args: [
      "-Xms32m",
      "-Xmx256m",
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      "-Dzookeeper.admin.enableServer=false",
      "-cp",
      // The jar's manifest Class-Path brings the rest; slf4j-simple makes the log reach stderr.
      "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
      "org.apache.zookeeper.server.ZooKeeperServerMain",
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

/** Ready means serving: `srvr` reports the mode only once the server accepts sessions. */
export function isServing(srvrReply: string | null): boolean {
  return srvrReply !== null && /^Mode: standalone$/m.test(srvrReply);
}

export function writeZookeeperConfig(paths: StackPaths, port: number): void {
  mkdirSync(paths.zkData, { recursive: true });
  writeFileSync(paths.zooCfg, renderZooCfg({ dataDir: paths.zkData, port }));
}

export async function startZookeeper(paths: StackPaths): Promise<Daemon> {
  const { command, args } = zookeeperCommand(paths.zooCfg);
  return spawnDaemon({ command, args, log: logFile(paths, "zookeeper"), cwd: paths.zk });
}

/** Waits until `srvr` says standalone; `check` fails fast when a started daemon has exited. */
export async function waitZookeeper(paths: StackPaths, port: number, check: () => void): Promise<void> {
  await waitFor(
    "zookeeper start",
    { timeoutMs: 30_000, log: logFile(paths, "zookeeper"), check },
    async () => (isServing(await fourLetterWord(port, "srvr")) ? true : undefined),
  );
}
