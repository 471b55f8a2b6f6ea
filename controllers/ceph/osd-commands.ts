/**
 * OSD add and remove (PVC's manual: POST and DELETE /api/v1/storage/ceph/osd): the commands PVC
 * v0.6's node daemon ran (node-daemon/pvcd/CephInstance.py add_osd/remove_osd), as data, their
 * pre-flight, and their runner. CephClusterOps (cluster-ops.ts) is the only caller; the facade
 * validates the request (api/v1/storage/osd.ts) and shapes the answer.
 *
 * These commands act on a node's block devices, so they run only on that node, and only after a
 * pre-flight shows that each one can run there (the node is this host, the device is a block
 * device, device-mapper and systemd are present, every program is installed). Anything else is a
 * 510 naming the first command that cannot run, and nothing has run: a half-built OSD is worse than
 * none. (On the project's machines device-mapper is missing, so `ceph-volume lvm` never runs.)
 */
import { existsSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { execa } from "execa";
import { connectBoundArgs } from "../../src/ceph/run.ts";

/** The bound of one OSD step. */
const STEP_TIMEOUT_MS = 600_000;

/** One command: argv, no shell. */
export type Command = readonly string[];

/**
 * The commands that add an OSD on `device` of `node` (PVC's add_osd, less its placeholder
 * `ceph osd create`/`rm`: ceph-volume allocates the id): zap, prepare, activate (id and fsid come from `ceph-volume lvm list`: `{id}`/`{fsid}` are filled in
 * from it), CRUSH placement with the weight, service check.
 */
export function osdAddCommands(node: string, device: string, weight: number): Command[] {
  return [
    ["ceph-volume", "lvm", "zap", "--destroy", device],
    ["ceph-volume", "lvm", "prepare", "--bluestore", "--data", device],
    ["ceph-volume", "lvm", "list", device, "--format", "json"],
    ["ceph-volume", "lvm", "activate", "--bluestore", "{id}", "{fsid}"],
    ["ceph", "osd", "crush", "add", "osd.{id}", String(weight), "root=default", `host=${node}`],
    ["systemctl", "status", "ceph-osd@{id}"],
  ];
}

/** The commands that remove OSD `id` whose data is on `device` (PVC's remove_osd). */
export function osdRemoveCommands(id: number, device: string): Command[] {
  return [
    ["ceph", "osd", "out", String(id)],
    ["systemctl", "stop", `ceph-osd@${id}`],
    ["ceph-volume", "lvm", "zap", "--destroy", device],
    ["ceph", "osd", "purge", String(id), "--yes-i-really-mean-it"],
  ];
}

export interface HostFacts {
  hostname: string;
  exists(path: string): boolean;
  isBlockDevice(path: string): boolean;
  hasProgram(name: string): boolean;
}

export const localHost: HostFacts = {
  hostname: hostname(),
  exists: (p) => existsSync(p),
  isBlockDevice: (p) => {
    try {
      return statSync(p).isBlockDevice();
    } catch {
      return false;
    }
  },
  hasProgram: (name) =>
    (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(`${dir}/${name}`)),
};

/**
 * The first command of `commands` that cannot run on `node` from this host, with why; undefined
 * when all can. Nothing is run to find out.
 */
export function preflight(
  node: string,
  device: string,
  commands: Command[],
  host: HostFacts = localHost,
): { command: Command; why: string } | undefined {
  for (const command of commands) {
    const program = command[0];
    if (node.split(".")[0] !== host.hostname.split(".")[0]) {
      return { command, why: `it must run on node ${node}, and this API host is ${host.hostname}` };
    }
    if (!host.hasProgram(program)) return { command, why: `${program} is not installed on ${host.hostname}` };
    if (program === "ceph-volume" && command.includes(device) && !host.isBlockDevice(device)) {
      return { command, why: `${device} is not a block device on ${host.hostname}` };
    }
    if (program === "ceph-volume" && !host.exists("/dev/mapper/control")) {
      return {
        command,
        why: `device-mapper is not available on ${host.hostname} (ceph-volume lvm needs it)`,
      };
    }
    if (program === "systemctl" && !host.exists("/run/systemd/system")) {
      return { command, why: `systemd is not running on ${host.hostname}` };
    }
  }
  return undefined;
}

export function show(command: Command): string {
  return command.join(" ");
}

/**
 * Runs the commands in order, filling `{id}`/`{fsid}` from `ceph-volume lvm list`; stops at the
 * first failure and says which command failed. Only called after a clean preflight.
 */
export async function runCommands(
  commands: Command[],
  cephConf: string | undefined,
): Promise<{ ok: true; id?: string } | { ok: false; command: string; why: string }> {
  const vars: Record<string, string> = {};
  for (const raw of commands) {
    const command = raw.map((a) => a.replace(/\{(id|fsid)\}/g, (_, k: string) => vars[k] ?? `{${k}}`));
    // `ceph` gets the same connect bound as every other Ceph call (run.ts); every step is killed
    // after STEP_TIMEOUT_MS (a zap or prepare of a large disk takes minutes).
    const argv =
      command[0] === "ceph" && cephConf
        ? ["--conf", cephConf, ...connectBoundArgs(STEP_TIMEOUT_MS), ...command.slice(1)]
        : command.slice(1);
    const result = await execa(command[0], argv, {
      reject: false,
      stdin: "ignore",
      timeout: STEP_TIMEOUT_MS,
    });
    if (result.exitCode !== 0) {
      return {
        ok: false,
        command: show(command),
        why:
          String(result.stderr || result.shortMessage)
            .trim()
            .split("\n")
            .pop() ?? "",
      };
    }
    if (command[1] === "lvm" && command[2] === "list") {
      try {
        const listed = JSON.parse(String(result.stdout)) as Record<
          string,
          Array<{ tags?: Record<string, string> }>
        >;
        const [id, entries] = Object.entries(listed)[0] ?? [];
        if (id !== undefined) vars.id = id;
        const fsid = entries?.[0]?.tags?.["ceph.osd_fsid"];
        if (fsid) vars.fsid = fsid;
      } catch {
        return { ok: false, command: show(command), why: "its output is not the JSON expected" };
      }
    }
  }
  return { ok: true, id: vars.id };
}
