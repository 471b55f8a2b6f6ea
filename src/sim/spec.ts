/**
 * The `--nodes` spec of the hollow node simulator: `name:mode[:memMiB[:vcpus]]`, comma-separated,
 * e.g. `hv1:coordinator,hv2:coordinator,hv3:hypervisor:65536:32`.
 */
import { ErrorCodes, PvcError } from "../errors.ts";

export type DaemonMode = "coordinator" | "hypervisor";

export interface HollowNodeSpec {
  name: string;
  mode: DaemonMode;
  /** Simulated RAM (memtotal), MiB. */
  memMiB: number;
  /** Simulated CPU count (first field of staticdata). */
  vcpus: number;
}

export const DEFAULT_NODE_MEM_MIB = 32768;
export const DEFAULT_NODE_VCPUS = 16;

/** Short hostnames, as PVC uses them for node keys. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function invalid(message: string): PvcError {
  return new PvcError(ErrorCodes.CONFIG_INVALID, message);
}

function positiveInt(value: string, what: string, item: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw invalid(`--nodes: ${what} of "${item}" must be a positive integer`);
  return Number(value);
}

export function parseNodeSpec(spec: string): HollowNodeSpec[] {
  const nodes: HollowNodeSpec[] = [];
  for (const raw of spec.split(",")) {
    const item = raw.trim();
    const [name, mode, mem, vcpus, ...rest] = item.split(":");
    if (!name || mode === undefined || rest.length > 0) {
      throw invalid(`--nodes: "${item}" is not name:mode[:memMiB[:vcpus]] (e.g. hv1:coordinator)`);
    }
    if (!NODE_NAME.test(name)) throw invalid(`--nodes: "${name}" is not a valid node name`);
    if (mode !== "coordinator" && mode !== "hypervisor") {
      throw invalid(`--nodes: mode of "${name}" must be coordinator or hypervisor, got "${mode}"`);
    }
    if (nodes.some((n) => n.name === name)) throw invalid(`--nodes: node "${name}" appears twice`);
    nodes.push({
      name,
      mode,
      memMiB: mem === undefined ? DEFAULT_NODE_MEM_MIB : positiveInt(mem, "memMiB", item),
      vcpus: vcpus === undefined ? DEFAULT_NODE_VCPUS : positiveInt(vcpus, "vcpus", item),
    });
  }
  return nodes;
}
