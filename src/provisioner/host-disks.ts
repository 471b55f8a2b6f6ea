/**
 * Provisioning's disks on this host: attach an RBD volume as a block device, make its filesystem,
 * mount it, and undo all of it. Production hosts map with the kernel (`rbd map`); a host without
 * the rbd module (containers, this CI) uses the fallback the issue describes: `rbd-fuse` shows a
 * pool's images as files and `losetup` turns one into a loop device. The method is chosen by what
 * the host has (`attachMethod`) and said in the VM's status; with neither, TOOL_MISSING names
 * what is missing instead of skipping the disk.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { ErrorCodes, PvcError } from "../errors.ts";
import { runOk } from "./exec.ts";

export type AttachMethod = "krbd" | "rbd-fuse";

/** Where a host looks for programs (execFile's PATH lookup, done up front to choose a method). */
function onPath(program: string): boolean {
  const dirs = (process.env.PATH ?? "").split(":").filter((d) => d !== "");
  return dirs.some((d) => existsSync(join(d, program)));
}

/** The method this host can attach with, or TOOL_MISSING naming what each method lacks. */
export function attachMethod(): AttachMethod {
  const krbdMissing = [
    ...(existsSync("/sys/bus/rbd") ? [] : ["the rbd kernel module (/sys/bus/rbd)"]),
    ...(onPath("rbd") ? [] : ["rbd"]),
  ];
  if (krbdMissing.length === 0) return "krbd";
  const fuseMissing = [
    ...(onPath("rbd-fuse") ? [] : ["rbd-fuse (Debian package rbd-fuse)"]),
    ...(onPath("losetup") ? [] : ["losetup"]),
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

  constructor(cephConf: string, method: AttachMethod = attachMethod()) {
    this.#cephConf = cephConf;
    this.method = method;
  }

  async #dir(): Promise<string> {
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
