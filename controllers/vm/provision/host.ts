/**
 * Phases 3 to 5 on this host: attach every volume that has a filesystem (krbd or the rbd-fuse +
 * losetup fallback), mkfs it with the template's options, mount the mountpoints under the run's
 * directory (parents first), run the script's install() in a python3 subprocess with PVC's keyword
 * arguments, then unmount and detach — always, whatever failed before. A resumed run starts this
 * block again from the attach (formatting anew), so a half-run install never counts.
 */
import type { AttachMethod } from "../../../src/provisioner/host-disks.ts";
import { HostDisks } from "../../../src/provisioner/host-disks.ts";
import { runInstall } from "../../../src/provisioner/install.ts";
import type { ProvisionPhase } from "../../../src/resources/statuses.ts";
import type { Resolved } from "./resolve.ts";
import type { PlannedVolume } from "./volumes.ts";

export interface HostWork {
  cephConf: string;
  /** Undefined when no volume is to be attached (none has a filesystem). */
  method: AttachMethod | undefined;
  workDir: string;
  vmName: string;
  vmId: number;
  planned: readonly PlannedVolume[];
  resolved: Resolved;
  /** Aborts install() (the job was cancelled); the disks are detached all the same. */
  signal?: AbortSignal;
}

export interface HostOutcome {
  output: string;
  /** The phase that failed and why; undefined when all went well. */
  failed?: { phase: ProvisionPhase; error: string };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The disks as PVC passes them to install(): its storage table's rows. */
function scriptDisks(planned: readonly PlannedVolume[]) {
  return planned.map((v) => ({
    pool: v.pool,
    disk_id: v.id,
    disk_size_gb: v.disk?.sizeGiB ?? null,
    filesystem: v.disk?.filesystem ?? null,
    filesystem_args: (v.disk?.filesystemArgs ?? []).join(" "),
    mountpoint: v.disk?.mountpoint ?? null,
    volume: v.volume,
  }));
}

/** The keyword arguments of install(): PVC's five, then the profile's own. */
export function installArguments(w: HostWork, root: string): Record<string, unknown> {
  return {
    ...w.resolved.arguments,
    vm_name: w.vmName,
    vm_id: w.vmId,
    temporary_directory: root,
    disks: scriptDisks(w.planned),
    networks: w.resolved.network.networks.map((n) => ({ vni: n.vni })),
  };
}

const depth = (mountpoint: string) => mountpoint.split("/").filter((p) => p !== "").length;

/** Attach, mkfs, mount, install, detach; `enter` is told each phase as it begins. */
export async function attachInstallDetach(
  w: HostWork,
  enter: (phase: ProvisionPhase) => Promise<void>,
): Promise<HostOutcome> {
  // Without a method nothing is attached: "krbd" is never used then, only named.
  const disks = new HostDisks(w.cephConf, w.method ?? "krbd", w.workDir);
  let phase: ProvisionPhase = "attach";
  const outcome: HostOutcome = { output: "" };
  try {
    const root = await disks.rootDir();
    const formatted = w.planned.filter((v) => v.disk?.filesystem);
    const devices = new Map<string, string>();
    for (const v of formatted) {
      const { device } = await disks.attach(v.pool, v.volume);
      devices.set(v.id, device);
      await disks.mkfs(device, v.disk?.filesystem ?? "", v.disk?.filesystemArgs ?? []);
    }
    const mounted = formatted.filter((v) => v.disk?.mountpoint);
    mounted.sort((a, b) => depth(a.disk?.mountpoint ?? "") - depth(b.disk?.mountpoint ?? ""));
    for (const v of mounted) await disks.mount(devices.get(v.id) ?? "", root, v.disk?.mountpoint ?? "/");
    phase = "install";
    await enter(phase);
    const r = await runInstall(w.resolved.script, installArguments(w, root), undefined, w.signal);
    outcome.output = r.output;
    if (!r.ok) outcome.failed = { phase, error: r.error ?? "install() failed" };
  } catch (err) {
    outcome.failed = { phase, error: message(err) };
  }
  await enter("detach").catch(() => undefined);
  const problems = await disks.releaseAll();
  if (problems.length > 0) {
    const why = `unmount/detach failed: ${problems.join("; ")}`;
    outcome.failed = outcome.failed
      ? { ...outcome.failed, error: `${outcome.failed.error} (and ${why})` }
      : { phase: "detach", error: why };
  }
  return outcome;
}
