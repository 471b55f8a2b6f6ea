/**
 * Settings of one local stack: ports, auth mode, OSD size and the hollow-node spec. Pure: parsing and
 * validation only, so the CLI and the tests share one definition of what a valid setting is.
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import { ENSEMBLE_SIZES, memberPorts } from "./ensemble.ts";

export type CephAuth = "none" | "cephx";

export interface StackSettings {
  /** The client port of the (first) ZooKeeper server; an ensemble takes 3×N ports from here (ensemble.ts). */
  zkPort: number;
  /** ZooKeeper servers: 1 (standalone) or an odd ensemble size. */
  zkEnsemble: number;
  monPort: number;
  monV2Port: number;
  msPortMin: number;
  msPortMax: number;
  cephAuth: CephAuth;
  /** Size of the sparse bluestore block file, in Ceph's size syntax (`10G`). */
  osdSize: string;
  /** Hollow-node spec for `pvcctl sim run --nodes`, or null when hollow nodes are off. */
  nodes: string | null;
}

/** Ports chosen away from Ceph's (3300/6789/6800+) and ZooKeeper's (2181) so a real cluster can coexist. */
export const DEFAULT_SETTINGS: StackSettings = {
  zkPort: 22181,
  zkEnsemble: 1,
  monPort: 26789,
  monV2Port: 23300,
  msPortMin: 26800,
  msPortMax: 26999,
  cephAuth: "none",
  osdSize: "10G",
  nodes: "hv1:coordinator,hv2:coordinator,hv3:hypervisor",
};

export const DEFAULT_STACK_DIR = ".state/stack";

function invalid(message: string): PvcError {
  return new PvcError(ErrorCodes.CONFIG_INVALID, message);
}

export function parsePort(name: string, value: string | number): number {
  const text = String(value).trim();
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535)
    throw invalid(`${name} must be a TCP port (1-65535), got "${value}"`);
  return port;
}

/** `--zk-ensemble`: a quorum is a majority, so an even count adds a server and no tolerance. */
export function parseEnsembleSize(value: string | number): number {
  const n = Number(String(value).trim());
  if (!(ENSEMBLE_SIZES as readonly number[]).includes(n))
    throw invalid(`--zk-ensemble must be one of ${ENSEMBLE_SIZES.join(", ")}, got "${value}"`);
  return n;
}

export function parseCephAuth(value: string): CephAuth {
  if (value === "none" || value === "cephx") return value;
  throw invalid(`--ceph-auth must be "none" or "cephx", got "${value}"`);
}

/** Ceph parses sizes with IEC suffixes; we accept the plain forms only, so ceph.conf never gets odd text. */
export function parseOsdSize(value: string): string {
  const m = /^(\d+)([KMGT]?)$/i.exec(value.trim());
  if (!m) throw invalid(`--osd-size must look like 10G, 512M or a byte count, got "${value}"`);
  const bytes = Number(m[1]) * 1024 ** "_KMGT".indexOf((m[2] || "_").toUpperCase());
  // bluestore needs room for bluefs and its reservations; below 1 GiB mkfs fails or the OSD starts full.
  if (bytes < 1024 ** 3) throw invalid(`--osd-size must be at least 1G, got "${value}"`);
  return `${m[1]}${m[2].toUpperCase()}`;
}

export interface HollowNode {
  name: string;
  mode: "coordinator" | "hypervisor";
}

/** `hv1:coordinator,hv2:hypervisor` → nodes. Names follow PVC's node names (they become ZK path segments). */
export function parseNodeSpec(spec: string): HollowNode[] {
  const nodes: HollowNode[] = [];
  for (const item of spec.split(",")) {
    const [name, mode, ...rest] = item.trim().split(":");
    if (!name || rest.length > 0 || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      throw invalid(`--nodes: "${item}" is not name:mode (e.g. hv1:coordinator)`);
    }
    if (mode !== "coordinator" && mode !== "hypervisor") {
      throw invalid(`--nodes: mode of "${name}" must be coordinator or hypervisor, got "${mode ?? ""}"`);
    }
    if (nodes.some((n) => n.name === name)) throw invalid(`--nodes: node "${name}" appears twice`);
    nodes.push({ name, mode });
  }
  return nodes;
}

/** Every ZooKeeper port by flag-like name: `--zk-port`, or for an ensemble each server's three. */
function zkPortNames(s: StackSettings): Record<string, number> {
  const n = parseEnsembleSize(s.zkEnsemble);
  if (n === 1) return { "--zk-port": s.zkPort };
  const out: Record<string, number> = {};
  for (let id = 1; id <= n; id++) {
    const p = memberPorts(s.zkPort, n, id);
    for (const [role, port] of [
      ["client", p.clientPort],
      ["quorum", p.quorumPort],
      ["election", p.electionPort],
    ] as const)
      out[`ZooKeeper ${id} ${role} port (--zk-port+${port - s.zkPort})`] = port;
  }
  return out;
}

/** Cross-field checks: the mon and ZK ports must be distinct and outside the messenger range. */
export function validateSettings(s: StackSettings): StackSettings {
  if (s.msPortMin > s.msPortMax)
    throw invalid(`--ms-port-min (${s.msPortMin}) is above --ms-port-max (${s.msPortMax})`);
  // The OSD binds 8 ports and the mgr 2 from this range; leave slack for a restarting daemon.
  if (s.msPortMax - s.msPortMin + 1 < 16)
    throw invalid("the --ms-port-min..--ms-port-max range needs at least 16 ports");
  const fixed = { ...zkPortNames(s), "--mon-port": s.monPort, "--mon-v2-port": s.monV2Port };
  const seen = new Map<number, string>();
  for (const [name, port] of Object.entries(fixed)) {
    const other = seen.get(port);
    if (port > 65535) throw invalid(`${name} would be ${port}, above 65535: lower --zk-port`);
    if (other) throw invalid(`${name} and ${other} are both ${port}`);
    seen.set(port, name);
    if (port >= s.msPortMin && port <= s.msPortMax) {
      throw invalid(`${name} ${port} lies inside the messenger range ${s.msPortMin}-${s.msPortMax}`);
    }
  }
  if (s.nodes !== null) parseNodeSpec(s.nodes);
  return s;
}

/**
 * The state dir ends up inside ceph.conf and zoo.cfg, where `$`, `#`, `;`, `=` and whitespace have
 * meaning; refusing them is simpler and safer than quoting for three config dialects.
 */
export function checkStateDir(absDir: string): string {
  if (!/^\/[A-Za-z0-9_./@+,:-]*$/.test(absDir)) {
    throw invalid(`stack dir "${absDir}" may only contain letters, digits and _ . / @ + , : -`);
  }
  return absDir;
}
