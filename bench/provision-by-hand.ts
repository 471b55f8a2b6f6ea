/**
 * bench/provision's baseline: one VM's provisioning done by hand with the CLI tools, step by step,
 * as an administrator (or PVC v0.6's worker) would on this host: `rbd create` ×3 (and the volume
 * keys PVC's add_volume writes), attach with rbd-fuse + losetup (this host has no rbd kernel
 * module), `mkfs.ext4`, `mount` (/ first, then /var, /var/log), the script's install() in python3,
 * `umount`, `losetup -d`, the fuse mount's `umount`, and define: PVC's define_vm, the domain's keys
 * in one multi. Nothing of ours runs here but the ZooKeeper client and the key paths.
 */
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { DomainChildKey, PvcKeys } from "../src/pvc/keys.ts";
import type { ZkClient } from "../src/zk/client.ts";

export interface HandDisk {
  id: string;
  label: string;
  mountpoint: string;
}

export interface HandSetup {
  zk: ZkClient;
  /** A PVC root of the baseline's own (nothing of ours watches it). */
  keys: PvcKeys;
  cephConf: string;
  pool: string;
  disks: readonly HandDisk[];
  sizeGiB: number;
  script: string;
  arguments: Record<string, string>;
  networks: readonly number[];
}

/** The steps' names, in order, as bench/provision prints them. */
export const HAND_STEPS = ["volumes", "attach", "mkfs", "mount", "install", "detach", "define"] as const;
export type HandStep = (typeof HAND_STEPS)[number];

/** install() called the way a by-hand run does it: the file run, its install called with JSON kwargs. */
const RUN_INSTALL =
  "import json, runpy, sys; runpy.run_path(sys.argv[1])['install'](**json.loads(sys.argv[2]))";

/** Provisions `name` by hand; returns each step's milliseconds. */
export async function provisionByHand(s: HandSetup, name: string): Promise<Record<HandStep, number>> {
  const times = {} as Record<HandStep, number>;
  const step = async <T>(what: HandStep, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await fn();
    times[what] = performance.now() - started;
    return value;
  };
  const conf = ["-c", s.cephConf];
  const image = (d: HandDisk) => `${name}_${d.id}`;

  await step("volumes", async () => {
    for (const d of s.disks) {
      await execa("rbd", [...conf, "create", "--size", `${s.sizeGiB}G`, `${s.pool}/${image(d)}`]);
      await s.zk.mkdirp(s.keys.cephVolumeStats(s.pool, image(d)));
    }
  });
  const work = await mkdtemp(join(tmpdir(), "bench-hand-"));
  const fuse = join(work, "fuse");
  const root = join(work, "root");
  await mkdir(fuse);
  await mkdir(root);
  const devices = await step("attach", async () => {
    await execa("rbd-fuse", [...conf, "-p", s.pool, fuse]);
    const out: string[] = [];
    for (const d of s.disks)
      out.push((await execa("losetup", ["-f", "--show", join(fuse, image(d))])).stdout);
    return out;
  });
  await step("mkfs", async () => {
    for (const [i, d] of s.disks.entries()) await execa("mkfs.ext4", ["-q", "-L", d.label, devices[i]]);
  });
  const mounted = await step("mount", async () => {
    const targets: string[] = [];
    for (const [i, d] of s.disks.entries()) {
      const target = join(root, d.mountpoint);
      await mkdir(target, { recursive: true });
      await execa("mount", [devices[i], target]);
      targets.push(target);
    }
    return targets;
  });
  const vmId = randomUUID();
  await step("install", async () => {
    const kwargs = {
      vm_name: name,
      vm_id: vmId,
      temporary_directory: root,
      disks: s.disks.map((d) => ({
        disk_id: d.id,
        pool: s.pool,
        filesystem: "ext4",
        mountpoint: d.mountpoint,
      })),
      networks: s.networks.map((vni) => ({ vni })),
      ...s.arguments,
    };
    const scriptFile = join(work, "script.py");
    await writeFile(scriptFile, s.script);
    await execa("python3", ["-c", RUN_INSTALL, scriptFile, JSON.stringify(kwargs)]);
  });
  await step("detach", async () => {
    for (const target of [...mounted].reverse()) await execa("umount", [target]);
    for (const device of [...devices].reverse()) await execa("losetup", ["-d", device]);
    await execa("umount", [fuse]);
    await rm(work, { recursive: true, force: true });
  });
  await step("define", () => defineByHand(s, name, vmId));
  return times;
}

/** PVC's define_vm: the domain's keys in one multi (stopped; the XML names the three volumes). */
async function defineByHand(s: HandSetup, name: string, uuid: string): Promise<void> {
  const rbd = s.disks.map((d) => `${s.pool}/${name}_${d.id}`);
  const disks = s.disks
    .map(
      (d, i) =>
        `<disk type='network' device='disk'><driver name='qemu' discard='unmap'/><source protocol='rbd' name='${rbd[i]}'><host name='127.0.0.1' port='6789'/></source><target dev='${d.id}' bus='scsi'/></disk>`,
    )
    .join("");
  const nets = s.networks
    .map(
      (vni, i) =>
        `<interface type='bridge'><mac address='52:54:00:00:00:0${i}'/><source bridge='vmbr${vni}'/><model type='virtio'/></interface>`,
    )
    .join("");
  const xml = `<domain type='kvm'><name>${name}</name><uuid>${uuid}</uuid><memory unit='MiB'>1024</memory><vcpu>2</vcpu><devices>${disks}${nets}<serial type='pty'/><console type='pty'/></devices></domain>`;
  const values: [DomainChildKey, string][] = [
    ["state", "stop"],
    ["node", "hv1"],
    ["lastnode", ""],
    ["node_limit", ""],
    ["node_selector", "mem"],
    ["node_autostart", "False"],
    ["failedreason", ""],
    ["consolelog", ""],
    ["rbdlist", rbd.join(",")],
    ["profile", ""],
    ["xml", xml],
  ];
  await s.zk.mkdirp(s.keys.domains());
  await s.zk.multi([
    { op: "create", path: s.keys.domain(uuid), data: name },
    ...values.map(([key, data]) => ({ op: "create" as const, path: s.keys.domainKey(uuid, key), data })),
  ]);
}
