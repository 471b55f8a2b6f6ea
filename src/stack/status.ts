/**
 * `stack status` and `stack env`: read-only views of a state dir, from its pid files and stack.json.
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import { readHollowNodeNames } from "./hollow-nodes.ts";
import type { Component, StackRecord } from "./state.ts";
import {
  COMPONENTS,
  connectionEnv,
  readStackRecord,
  renderEnv,
  resolveStackDir,
  runningPid,
  stackPaths,
} from "./state.ts";

export interface ComponentStatus {
  component: Component;
  state: "running" | "stopped" | "disabled";
  pid: number | null;
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
  const simEnabled = record ? record.settings.nodes !== null : true;
  const components: ComponentStatus[] = COMPONENTS.map((component) => {
    if (component === "sim" && !simEnabled) return { component, state: "disabled", pid: null };
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
