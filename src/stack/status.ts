/**
 * `stack status` and `stack env`: read-only views of a state dir, from its pid files and stack.json,
 * plus each running ZooKeeper server's role as it reports it (`srvr`).
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import { zkServers } from "./ensemble.ts";
import { readHollowNodeNames } from "./hollow-nodes.ts";
import { DEFAULT_SETTINGS } from "./settings.ts";
import type { Component, StackRecord } from "./state.ts";
import {
  connectionEnv,
  expectedComponents,
  readStackRecord,
  renderEnv,
  resolveStackDir,
  runningPid,
  stackPaths,
} from "./state.ts";
import { fourLetterWord, type ZkRole, zkRole } from "./zookeeper.ts";

export interface ComponentStatus {
  component: Component;
  state: "running" | "stopped" | "disabled";
  pid: number | null;
  /** ZooKeeper servers: the client port, and the role `srvr` reports (null: running, not serving). */
  zookeeper?: { port: number; role: ZkRole | null };
}

export interface StatusResult {
  dir: string;
  bootstrapped: boolean;
  components: ComponentStatus[];
  hollowNodes: string[];
  allRunning: boolean;
  record: StackRecord | null;
}

export function stackStatus(dirOption: string): StatusResult {
  const dir = resolveStackDir(dirOption);
  const paths = stackPaths(dir);
  const record = readStackRecord(paths);
  const settings = record?.settings ?? DEFAULT_SETTINGS;
  const expected = expectedComponents(settings);
  const listed = expected.includes("sim") ? expected : [...expected, "sim" as const];
  const components: ComponentStatus[] = listed.map((component) => {
    if (!expected.includes(component)) return { component, state: "disabled", pid: null };
    const pid = runningPid(paths, component);
    return { component, state: pid === null ? "stopped" : "running", pid };
  });
  const simRunning = components.some((c) => c.component === "sim" && c.state === "running");
  return {
    dir,
    bootstrapped: record !== null,
    components,
    hollowNodes: simRunning ? readHollowNodeNames(paths, record?.settings.nodes ?? null) : [],
    allRunning: record !== null && components.every((c) => c.state !== "stopped"),
    record,
  };
}

/** `stackStatus` with each ZooKeeper server's port and role (a `srvr` to every running one). */
export async function stackStatusWithRoles(dirOption: string): Promise<StatusResult> {
  const status = stackStatus(dirOption);
  const servers = zkServers(stackPaths(status.dir), status.record?.settings ?? DEFAULT_SETTINGS);
  await Promise.all(
    status.components.map(async (c) => {
      const server = servers.find((s) => s.component === c.component);
      if (!server) return;
      const role = c.state === "running" ? zkRole(await fourLetterWord(server.clientPort, "srvr")) : null;
      c.zookeeper = { port: server.clientPort, role };
    }),
  );
  return status;
}

/** The connection settings of a running stack, as shell exports. */
export function stackEnv(dirOption: string): string {
  const status = stackStatus(dirOption);
  if (!status.record || !status.allRunning) {
    const stopped = status.components.filter((c) => c.state === "stopped").map((c) => c.component);
    const why = status.record ? `stopped: ${stopped.join(", ")}` : "never started";
    throw new PvcError(
      ErrorCodes.STACK_NOT_RUNNING,
      `no running stack in ${status.dir} (${why}); run \`pvcctl stack up\``,
    );
  }
  return renderEnv(connectionEnv(stackPaths(status.dir), status.record.settings));
}
