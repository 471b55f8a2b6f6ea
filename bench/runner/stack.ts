/**
 * The runner's own local stacks, through `pvcctl stack up` / `stack down --purge` in a temp dir
 * and on ports from one base (so a run never touches the stack a developer has up): the single
 * server stack every bench uses, and a 3-server ensemble (without hollow nodes) for the benches that
 * compare against one. The ports of a try lie in a slot of 250 from the base: the single stack's
 * ZooKeeper at +0, its mon at +1 and +2, OSD/mgr +10..+109; the ensemble's ZooKeeper +110..+118
 * (3 ports a server), mon +119 and +120, OSD/mgr +130..+229. Why slots: on a busy machine a
 * client's ephemeral port (32768-60999 on Linux) can hold one of ours, and `stack up` then refuses
 * to start (it checks its ports first); the next slot is tried, up to 4 (base..base+999).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const PVCCTL = fileURLToPath(new URL("../../bin/pvcctl.js", import.meta.url));

export interface RunningStack {
  dir: string;
  /** The `export NAME=value` lines stack up printed (PVC_ZK_CONNECT, CEPH_CONF). */
  env: Record<string, string>;
  zkPort: number;
}

function pvcctl(args: string[], timeoutMs: number) {
  return execa(process.execPath, [PVCCTL, ...args], { reject: false, stdin: "ignore", timeout: timeoutMs });
}

const SLOT = 250;
const SLOTS = 4;

export async function stackUp(tmp: string, base: number, ensemble: boolean): Promise<RunningStack> {
  const dir = join(tmp, ensemble ? "ensemble" : "stack");
  const off = ensemble ? { zk: 110, mon: 119, ms: 130 } : { zk: 0, mon: 1, ms: 10 };
  let failure = "";
  for (let slot = 0; slot < SLOTS; slot++) {
    const o = base + slot * SLOT;
    // biome-ignore format: flag/value pairs read better on few lines
    const args = [
      "stack", "up", "--dir", dir, "--zk-port", String(o + off.zk),
      "--mon-port", String(o + off.mon), "--mon-v2-port", String(o + off.mon + 1),
      "--ms-port-min", String(o + off.ms), "--ms-port-max", String(o + off.ms + 99),
      ...(ensemble ? ["--zk-ensemble", "3", "--no-hollow-nodes"] : []),
    ];
    const up = await pvcctl(args, 600_000);
    if (up.exitCode === 0) {
      const env: Record<string, string> = {};
      for (const m of up.stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm))
        env[m[1]] = m[2].replace(/^'(.*)'$/, "$1");
      return { dir, env, zkPort: o + off.zk };
    }
    await stackDown(dir);
    failure = `pvcctl ${args.join(" ")} failed (exit ${up.exitCode}):\n${up.stderr}`;
    if (!/port check failed/.test(up.stderr)) break;
    console.error(`${up.stderr.trim()}\n(trying the next ${SLOT} ports)`);
  }
  throw new Error(failure);
}

export async function stackDown(dir: string): Promise<void> {
  const down = await pvcctl(["stack", "down", "--purge", "--dir", dir], 120_000);
  if (down.exitCode !== 0) console.error(`stack down --dir ${dir} failed: ${down.stderr}`);
}
