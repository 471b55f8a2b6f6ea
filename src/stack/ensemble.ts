/**
 * Which ZooKeeper servers a stack runs, and where: one standalone server (the default), or an
 * ensemble of N on loopback, as PVC's coordinators run it. Pure: names, ports and paths only, so
 * `up`, `down`, `status` and `env` agree on them.
 *
 * An ensemble of N takes one block of 3×N ports from `--zk-port`: the client ports first (so the
 * connect string reads `127.0.0.1:P,127.0.0.1:P+1,…`), then the quorum ports, then the election
 * ports. Server i (1-based) keeps its zoo.cfg, data and myid in `zookeeper/server<i>/`, its pid
 * file and log as component `zookeeper<i>`. A standalone server keeps the layout it always had.
 */
import { join } from "node:path";
import type { StackSettings } from "./settings.ts";
import type { StackPaths } from "./state.ts";

/** `zookeeper` for a standalone server, `zookeeper<i>` for ensemble member i. */
export type ZkComponent = "zookeeper" | `zookeeper${number}`;

export interface ZkServer {
  /** The server's myid (1..N); 0 for a standalone server, which has none. */
  id: number;
  component: ZkComponent;
  clientPort: number;
  /** Followers' connection to the leader; 0 when standalone. */
  quorumPort: number;
  /** Leader election; 0 when standalone. */
  electionPort: number;
  dir: string;
  dataDir: string;
  zooCfg: string;
}

/** The sizes `--zk-ensemble` accepts: odd, so that a majority survives the loss of (N-1)/2 servers. */
export const ENSEMBLE_SIZES = [1, 3, 5, 7] as const;

/** The components (pid file and log names) of the servers, in id order. */
export function zkComponents(settings: Pick<StackSettings, "zkEnsemble">): ZkComponent[] {
  const n = settings.zkEnsemble;
  return n === 1 ? ["zookeeper"] : Array.from({ length: n }, (_, i) => `zookeeper${i + 1}` as const);
}

/** The ports of server `id` (1-based) of an ensemble of `n` whose block starts at `zkPort`. */
export function memberPorts(
  zkPort: number,
  n: number,
  id: number,
): Pick<ZkServer, "clientPort" | "quorumPort" | "electionPort"> {
  return {
    clientPort: zkPort + id - 1,
    quorumPort: zkPort + n + id - 1,
    electionPort: zkPort + 2 * n + id - 1,
  };
}

export function zkServers(paths: StackPaths, settings: StackSettings): ZkServer[] {
  const n = settings.zkEnsemble;
  if (n === 1) {
    return [
      {
        id: 0,
        component: "zookeeper",
        clientPort: settings.zkPort,
        quorumPort: 0,
        electionPort: 0,
        dir: paths.zk,
        dataDir: paths.zkData,
        zooCfg: paths.zooCfg,
      },
    ];
  }
  return Array.from({ length: n }, (_, i) => {
    const dir = memberDir(paths, i + 1);
    return {
      id: i + 1,
      component: `zookeeper${i + 1}` as const,
      ...memberPorts(settings.zkPort, n, i + 1),
      dir,
      dataDir: join(dir, "data"),
      zooCfg: join(dir, "zoo.cfg"),
    };
  });
}

function memberDir(paths: StackPaths, id: number): string {
  return join(paths.zk, `server${id}`);
}

const MAX_SIZE = ENSEMBLE_SIZES[ENSEMBLE_SIZES.length - 1];

/**
 * Every ZooKeeper component and zoo.cfg a stack dir may hold, whatever its settings: `down` and a
 * fresh start look for all of them (a failed start may have left a member without a stack.json).
 */
export const ALL_ZK_COMPONENTS: readonly ZkComponent[] = [
  "zookeeper",
  ...zkComponents({ zkEnsemble: MAX_SIZE }),
];

export function allZooCfgs(paths: StackPaths): string[] {
  return [
    paths.zooCfg,
    ...Array.from({ length: MAX_SIZE }, (_, i) => join(memberDir(paths, i + 1), "zoo.cfg")),
  ];
}

/** Every port the ZooKeeper servers bind, by what it is for (for the checks before a start). */
export function zkPortsByName(servers: readonly ZkServer[]): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const s of servers) {
    const who = s.id === 0 ? "ZooKeeper" : `ZooKeeper ${s.id}`;
    ports[`${who} port`] = s.clientPort;
    if (s.quorumPort) ports[`${who} quorum port`] = s.quorumPort;
    if (s.electionPort) ports[`${who} election port`] = s.electionPort;
  }
  return ports;
}

/** PVC's `coordinators:` as ZooKeeper takes it: every server, comma-separated. */
export function zkConnectString(servers: readonly ZkServer[]): string {
  return servers.map((s) => `127.0.0.1:${s.clientPort}`).join(",");
}
