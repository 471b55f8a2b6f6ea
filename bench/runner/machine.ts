/** What the report says about the machine and the code a run measured. */
import { readFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { execa } from "execa";
import { fourLetterWord } from "../../src/stack/zookeeper.ts";

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  freeGiB: number;
  node: string;
  ceph: string;
  zookeeper: string;
  commit: string;
  date: string;
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
}

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return line.split(":")[1].trim();
  } catch {
    // not Linux: os.cpus() names it too
  }
  return cpus()[0]?.model ?? "unknown";
}

async function output(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false, stdin: "ignore", timeout: 20_000 });
  return r.exitCode === 0 ? r.stdout.trim() : `unknown (${cmd} ${args.join(" ")} failed)`;
}

/** `zkPort`: a client port of the run's ZooKeeper (its `srvr` answer names the version). */
export async function describeMachine(zkPort: number): Promise<Machine> {
  const srvr = await fourLetterWord(zkPort, "srvr");
  // Debian's build says "3.8.0-${mvngit.commit.id}": the version is the part before the dash.
  const zk = /Zookeeper version: ([^\s,-]+)/.exec(srvr ?? "")?.[1] ?? "unknown";
  const commit = await output("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = (await output("git", ["status", "--porcelain", "--untracked-files=no"])) !== "";
  const ceph = (await output("ceph", ["--version"])).replace(/^ceph version /, "");
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    ramGiB: totalmem() / 2 ** 30,
    freeGiB: freemem() / 2 ** 30,
    node: process.version,
    ceph,
    zookeeper: zk,
    commit: dirty ? `${commit} (with uncommitted changes)` : commit,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}
