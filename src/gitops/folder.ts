/**
 * One read of a GitOps folder: every manifest file (recursively; hidden files and folders are
 * skipped, so `.git` and `.pvc-gitops.yaml` are not manifests), each parsed and validated on its
 * own, so that a bad file is a problem of that file only. Duplicates across files are a problem
 * of the later file (in path order). The revision is a hash of every file's path and content.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import {
  displayName,
  duplicateProblems,
  listManifestFiles,
  type ManifestDoc,
  type ManifestProblem,
  parseManifests,
} from "../manifests/manifests.ts";

export interface FolderFile {
  /** Relative to the folder, `/`-separated. */
  file: string;
  docs: ManifestDoc[];
  problems: ManifestProblem[];
}

export interface FolderSnapshot {
  dir: string;
  files: FolderFile[];
  revision: string;
}

const REFUSED = {
  GitOpsSync: "GitOpsSync objects are written by the GitOps watcher itself; a folder cannot declare one",
};

/** Whether `file` (relative, `/`-separated) is, or is inside, one of the ignored paths. */
export function isIgnored(file: string, ignore: readonly string[]): boolean {
  return ignore.some((p) => file === p || file.startsWith(`${p}/`));
}

export async function readFolder(dir: string, ignore: readonly string[] = []): Promise<FolderSnapshot> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`GitOps folder ${dir} does not exist or is not a folder`);
  const paths = (await listManifestFiles(dir)).filter((p) => !isIgnored(displayName(dir, p), ignore));
  const hash = createHash("sha256");
  const files: FolderFile[] = [];
  for (const path of paths) {
    const file = displayName(dir, path);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      // Removed between the listing and the read: it is simply not there any more.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    hash.update(file).update("\0").update(text).update("\0");
    files.push({ file, ...parseManifests(file, text, { refuseKinds: REFUSED }) });
  }
  const byFile = new Map(files.map((f) => [f.file, f]));
  for (const p of duplicateProblems(files.flatMap((f) => f.docs))) byFile.get(p.file)?.problems.push(p);
  return { dir, files, revision: hash.digest("hex").slice(0, 16) };
}
