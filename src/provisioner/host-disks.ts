/**
 * Provisioning's disks on this host: attach an RBD volume as a block device, make its filesystem,
 * mount it, and undo all of it. Production hosts map with the kernel (`rbd map`); a host without
 * the rbd module (containers, this CI) uses the fallback the issue describes: `rbd-fuse` shows a
 * pool's images as files and `losetup` turns one into a loop device. The method is chosen by what
 * the host has (`attachMethod`) and said in the VM's status; with neither, TOOL_MISSING names
 * what is missing instead of skipping the disk.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { ErrorCodes, PvcError } from "../errors.ts";
import { run, runOk } from "./exec.ts";

export type AttachMethod = "krbd" | "rbd-fuse";

/** Where a host looks for programs (execFile's PATH lookup, done up front to choose a method). */
export function programOnPath(program: string): boolean {
  const dirs = (process.env.PATH ?? "").split(":").filter((d) => d !== "");
  return dirs.some((d) => existsSync(join(d, program)));
}

/** The method this host can attach with, or TOOL_MISSING naming what each method lacks. */
export function attachMethod(): AttachMethod {
  const krbdMissing = [
    ...(existsSync("/sys/bus/rbd") ? [] : ["the rbd kernel module (/sys/bus/rbd)"]),
    ...(programOnPath("rbd") ? [] : ["rbd"]),
  ];
  if (krbdMissing.length === 0) return "krbd";
  const fuseMissing = [
    ...(programOnPath("rbd-fuse") ? [] : ["rbd-fuse (Debian package rbd-fuse)"]),
    ...(programOnPath("losetup") ? [] : ["losetup"]),
    ...(existsSync("/dev/fuse") ? [] : ["/dev/fuse"]),
  ];
  if (fuseMissing.length === 0) return "rbd-fuse";
  throw new PvcError(
    ErrorCodes.TOOL_MISSING,
    `no way to attach an RBD volume on this host: rbd map needs ${krbdMissing.join(" and ")}; the rbd-fuse fallback needs ${fuseMissing.join(" and ")}`,
    { details: { krbdMissing, fuseMissing } },
  );
}

/** mkfs options in PVC's `--opt=val` form, split at the first `=` as PVC does (`-L=root` → -L root). */
export function mkfsArgs(options: readonly string[]): string[] {
  return options.flatMap((o) => {
    const at = o.indexOf("=");
    return at < 0 ? [o] : [o.slice(0, at), o.slice(at + 1)];
  });
}

export interface Attached {
  pool: string;
  image: string;
  device: string;
}

/**
 * One provisioning's attachments: every attach is recorded so `releaseAll` undoes them all, in
 * reverse, whatever failed in between (mounts first, then devices, then the fuse mounts).
 */
export class HostDisks {
  readonly method: AttachMethod;
  readonly #cephConf: string;
  readonly #fuseDirs = new Map<string, string>();
  readonly #devices: Attached[] = [];
  readonly #mounts: string[] = [];
  #workDir: string | undefined;

  /** `workDir`: a fixed directory (made if missing) instead of a fresh temporary one. */
  constructor(cephConf: string, method: AttachMethod = attachMethod(), workDir?: string) {
    this.#cephConf = cephConf;
    this.method = method;
    this.#workDir = workDir;
  }

  async #dir(): Promise<string> {
    if (this.#workDir) await mkdir(this.#workDir, { recursive: true });
    this.#workDir ??= await mkdtemp(join(tmpdir(), "pvc-provision-"));
    return this.#workDir;
  }

  async #fuseDir(pool: string): Promise<string> {
    const known = this.#fuseDirs.get(pool);
    if (known) return known;
    const dir = join(await this.#dir(), `fuse-${pool}`);
    await mkdir(dir);
    await runOk("rbd-fuse", ["-c", this.#cephConf, "-p", pool, dir], { timeoutMs: 30_000 });
    this.#fuseDirs.set(pool, dir);
    return dir;
  }

  /** The volume as a block device on this host. */
  async attach(pool: string, image: string): Promise<Attached> {
    let device: string;
    if (this.method === "krbd") {
      device = (await runOk("rbd", ["-c", this.#cephConf, "map", `${pool}/${image}`])).trim();
    } else {
      const dir = await this.#fuseDir(pool);
      device = (await runOk("losetup", ["-f", "--show", join(dir, image)])).trim();
    }
    const attached = { pool, image, device };
    this.#devices.push(attached);
    return attached;
  }

  async mkfs(device: string, filesystem: string, options: readonly string[]): Promise<void> {
    // -F/-f would be needed to overwrite an existing filesystem: a resumed phase formats once only.
    await runOk(`mkfs.${filesystem}`, [...mkfsArgs(options), device], { timeoutMs: 300_000 });
  }

  /** Mounts `device` at `mountpoint` under `root` (made first; parents are mounted first by the caller). */
  async mount(device: string, root: string, mountpoint: string): Promise<string> {
    const target = join(root, mountpoint);
    // The template's mountpoint is user text: `/../../etc` would mount the volume over the host's /etc.
    if (relative(root, target).split(sep)[0] === "..") {
      throw new PvcError(
        ErrorCodes.BAD_REQUEST,
        `mountpoint ${JSON.stringify(mountpoint)} leads out of the VM's root`,
        {
          details: { mountpoint },
        },
      );
    }
    await mkdir(target, { recursive: true });
    await runOk("mount", [device, target]);
    this.#mounts.push(target);
    return target;
  }

  /** A fresh directory for the VM's root filesystem. */
  async rootDir(): Promise<string> {
    const dir = join(await this.#dir(), "root");
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Unmounts and detaches everything, deepest first; errors are collected, never stop the rest. */
  async releaseAll(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: () => Promise<unknown>) => {
      try {
        await what();
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    };
    for (const target of this.#mounts.splice(0).reverse()) await attempt(() => runOk("umount", [target]));
    for (const d of this.#devices.splice(0).reverse()) {
      await attempt(() =>
        this.method === "krbd"
          ? runOk("rbd", ["-c", this.#cephConf, "unmap", d.device])
          : runOk("losetup", ["-d", d.device]),
      );
    }
    for (const dir of [...this.#fuseDirs.values()]) await attempt(() => runOk("umount", [dir]));
    this.#fuseDirs.clear();
    if (this.#workDir && problems.length === 0) {
      const dir = this.#workDir;
      this.#workDir = undefined;
      await attempt(() => rm(dir, { recursive: true, force: true }));
    }
    return problems;
  }
}

/** Mount points (deepest first) under `dir`, from the kernel's table; octal escapes decoded. */
async function mountsUnder(dir: string): Promise<{ target: string; type: string }[]> {
  const table = await readFile("/proc/self/mounts", "utf8");
  const decode = (t: string) =>
    t.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  return table
    .split("\n")
    .map((line) => line.split(" "))
    .filter((f) => f.length >= 3)
    .map((f) => ({ target: decode(f[1]), type: f[2] }))
    .filter((m) => m.target.startsWith(`${dir}/`))
    .sort((a, b) => b.target.length - a.target.length);
}

/** Loop devices whose backing file is under `dir` (rbd-fuse images of a dead run). */
async function loopsUnder(dir: string): Promise<string[]> {
  const r = await run("losetup", ["--list", "--json", "--output", "NAME,BACK-FILE"]);
  if (r.code !== 0 || r.stdout.trim() === "") return [];
  const parsed = JSON.parse(r.stdout) as { loopdevices?: { name: string; "back-file"?: string | null }[] };
  return (parsed.loopdevices ?? [])
    .filter((l) => (l["back-file"] ?? "").startsWith(`${dir}/`))
    .map((l) => l.name);
}

/** krbd devices mapped from `images` (`pool/image`). */
async function krbdMapped(cephConf: string, images: readonly string[]): Promise<string[]> {
  const r = await run("rbd", ["-c", cephConf, "showmapped", "--format", "json"]);
  if (r.code !== 0 || r.stdout.trim() === "") return [];
  const rows = JSON.parse(r.stdout) as { pool?: string; name?: string; device?: string }[];
  return rows.filter((m) => images.includes(`${m.pool}/${m.name}`)).map((m) => m.device ?? "");
}

/**
 * Undoes what a provisioning run that died (server killed mid-phase) left in `workDir`: its
 * mounts (deepest first), the loop devices on its rbd-fuse files, krbd mappings of `images`, the
 * fuse mounts, then the directory itself — removed only once nothing is mounted under it, so a
 * volume's files are never deleted through a mount that stayed. Returns what could not be undone.
 */
export async function releaseStale(
  workDir: string,
  options: { cephConf: string; method: AttachMethod; images: readonly string[] },
): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: () => Promise<unknown>) => {
    try {
      await what();
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  };
  if (!existsSync(workDir)) return problems;
  const mounts = await mountsUnder(workDir);
  for (const m of mounts.filter((x) => !x.type.startsWith("fuse")))
    await attempt(() => runOk("umount", [m.target]));
  if (options.method === "krbd") {
    for (const device of await krbdMapped(options.cephConf, options.images))
      await attempt(() => runOk("rbd", ["-c", options.cephConf, "unmap", device]));
  } else {
    for (const device of await loopsUnder(workDir)) await attempt(() => runOk("losetup", ["-d", device]));
  }
  for (const m of mounts.filter((x) => x.type.startsWith("fuse")))
    await attempt(() => runOk("umount", [m.target]));
  const left = await mountsUnder(workDir);
  if (left.length > 0) problems.push(`still mounted: ${left.map((m) => m.target).join(", ")}`);
  else await attempt(() => rm(workDir, { recursive: true, force: true }));
  return problems;
}
