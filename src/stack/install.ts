/**
 * Makes sure the Debian packages the stack runs on are installed. CI machines start bare, so `up`
 * installs them itself; on a prepared machine this is one dpkg-query (a few ms).
 */
import { execa } from "execa";
import { ErrorCodes, PvcError } from "../errors.ts";

// rbd-fuse: the provisioner's attach fallback on hosts without the rbd kernel module (src/provisioner/host-disks.ts).
export const STACK_PACKAGES = [
  "zookeeper",
  "ceph-mon",
  "ceph-osd",
  "ceph-mgr",
  "ceph-common",
  "rbd-fuse",
] as const;

/** Parses `dpkg-query -W -f='${Package} ${Status}\n'` output into the set of fully installed packages. */
export function installedFromDpkgQuery(output: string): Set<string> {
  const installed = new Set<string>();
  for (const line of output.split("\n")) {
    const [name, ...status] = line.trim().split(/\s+/);
    if (name && status.join(" ") === "install ok installed") installed.add(name);
  }
  return installed;
}

export async function missingPackages(): Promise<string[]> {
  // Unknown packages make dpkg-query exit 1 and say so on stderr; stdout still lists the known ones.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${Package} is dpkg-query's format syntax, not ours
  const result = await execa("dpkg-query", ["-W", "-f=${Package} ${Status}\\n", ...STACK_PACKAGES], {
    reject: false,
    stdin: "ignore",
  });
  const installed = installedFromDpkgQuery(result.stdout);
  return STACK_PACKAGES.filter((p) => !installed.has(p));
}

/** Installs missing packages with apt-get. Its output goes to our stderr: stdout is reserved for the env. */
export async function ensurePackages(progress: (msg: string) => void): Promise<void> {
  const missing = await missingPackages();
  if (missing.length === 0) return;
  progress(`installing ${missing.join(" ")} (apt-get, about a minute)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const apt = async (args: string[]) => {
    const r = await execa("apt-get", args, { reject: false, env, stdin: "ignore", stdout: 2, stderr: 2 });
    if (r.failed) {
      throw new PvcError(
        ErrorCodes.STACK_START_FAILED,
        `installing packages failed: apt-get ${args[0]} ${r.exitCode === undefined ? "could not run" : `exited with ${r.exitCode}`} (root needed; or install ${STACK_PACKAGES.join(" ")} yourself and pass --no-install)`,
        { details: { step: "install" } },
      );
    }
  };
  await apt(["update"]);
  await apt(["install", "-y", "--no-install-recommends", ...STACK_PACKAGES]);
}
