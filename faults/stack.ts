/**
 * The fault suite's own stack: `pvcctl stack up --zk-ensemble 3` with Ceph and hollow nodes, in
 * /work/stack/faults-<pid> style dirs on ports the runner is given, shared by every scenario of a
 * run (one boot, ~10 s). The ZooKeeper servers and the OSD are found by the stack's pid files and
 * roles (`srvr`), the way `stack status` finds them.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { readPidfile, stackPaths } from "../src/stack/state.ts";
import { fourLetterWord, zkRole } from "../src/stack/zookeeper.ts";

const PVCCTL = fileURLToPath(new URL("../bin/pvcctl.js", import.meta.url));

export interface StackPorts {
  zk: number;
  mon: number;
  monV2: number;
  msMin: number;
  msMax: number;
}

export function pvcctl(...args: string[]) {
  return execa(process.execPath, [PVCCTL, ...args], { reject: false, stdin: "ignore", timeout: 180_000 });
}

export class FaultStack {
  readonly clientPorts: number[];
  cephConf = "";

  constructor(
    readonly dir: string,
    readonly ports: StackPorts,
  ) {
    this.clientPorts = [ports.zk, ports.zk + 1, ports.zk + 2];
  }

  get connect(): string {
    return this.clientPorts.map((p) => `127.0.0.1:${p}`).join(",");
  }

  get coordinators(): string[] {
    return this.clientPorts.map((p) => `127.0.0.1:${p}`);
  }

  /** `stack up`: boots it, or restarts whatever of it is down (a killed server, the OSD). */
  async up(attempt = 0): Promise<string> {
    const p = this.ports;
    // biome-ignore format: flag/value pairs read better on few lines
    const r = await pvcctl(
      "stack", "up", "--no-install", "--dir", this.dir, "--zk-ensemble", "3",
      "--zk-port", String(p.zk), "--mon-port", String(p.mon), "--mon-v2-port", String(p.monV2),
      "--ms-port-min", String(p.msMin), "--ms-port-max", String(p.msMax),
    );
    if (r.exitCode !== 0) {
      // Our ports lie in Linux's ephemeral range (32768-60999) on this machine: a port briefly
      // held by another program's outgoing connection (TIME_WAIT, up to 60 s) fails the port
      // check, and the daemon could not bind it either. Wait it out rather than fail the run.
      if (/port check failed/.test(r.stderr) && attempt < 20) {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        return this.up(attempt + 1);
      }
      throw new Error(`stack up failed: ${r.stderr}`);
    }
    this.cephConf = /^export CEPH_CONF=(.*)$/m.exec(r.stdout)?.[1] ?? "";
    return r.stderr;
  }

  async down(): Promise<void> {
    await pvcctl("stack", "down", "--purge", "--dir", this.dir);
  }

  /** Each server's role (index 0-2); null: not serving. */
  async roles(): Promise<Array<string | null>> {
    return Promise.all(this.clientPorts.map(async (p) => zkRole(await fourLetterWord(p, "srvr"))));
  }

  /** Index (0-2) of the server in `role`, waiting for the ensemble to have one. */
  async serverIn(role: "leader" | "follower", timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = (await this.roles()).indexOf(role);
      if (i >= 0) return i;
      if (Date.now() > deadline) throw new Error(`no ZooKeeper ${role} in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Pid of a daemon of the stack: `zookeeper1`-`zookeeper3`, `osd`… */
  pid(component: "zookeeper1" | "zookeeper2" | "zookeeper3" | "osd"): number {
    const entry = readPidfile(stackPaths(this.dir), component);
    if (!entry) throw new Error(`${component} has no pid file in ${this.dir}`);
    return entry.pid;
  }

  zkPid(index: number): number {
    return this.pid(`zookeeper${index + 1}` as "zookeeper1");
  }

  /** `ceph` against the stack (argument array, never a shell). */
  ceph(...args: string[]) {
    return execa("ceph", ["--conf", this.cephConf, "--connect-timeout", "15", ...args], {
      reject: false,
      stdin: "ignore",
      timeout: 60_000,
    });
  }
}

/** Whether a process still exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The text of a file or "" (logs for notes). */
export function tail(path: string, chars = 2000): string {
  try {
    return readFileSync(path, "utf8").slice(-chars);
  } catch {
    return "";
  }
}
