/**
 * How an object says that a GitOps folder owns it: two annotations the watcher adds to every
 * object it applies. Any API replica can then tell, from the object alone, who owns it (the
 * write guard, `pvcctl describe`); the inventory in the GitOpsSync status stays the only list
 * that prune reads.
 */
import type { Resource } from "../resources/types.ts";

const PREFIX = "gitops.pvc.parallelvirtualcluster.org";
/** The GitOpsSync (folder) that owns the object. */
export const SYNC_ANNOTATION = `${PREFIX}/sync`;
/** The file of the folder that declares it, relative to the folder. */
export const FILE_ANNOTATION = `${PREFIX}/file`;

export interface Owner {
  sync: string;
  file: string;
}

/** The folder that claims this object, or undefined. */
export function ownerOf(r: Pick<Resource, "metadata">): Owner | undefined {
  const a = r.metadata.annotations;
  const sync = a?.[SYNC_ANNOTATION];
  if (!sync) return undefined;
  return { sync, file: a?.[FILE_ANNOTATION] ?? "" };
}

/** The document with the owner annotations set (a new object; the input is not touched). */
export function withOwner<T extends Resource>(r: T, owner: Owner): T {
  return {
    ...r,
    metadata: {
      ...r.metadata,
      annotations: {
        ...(r.metadata.annotations ?? {}),
        [SYNC_ANNOTATION]: owner.sync,
        [FILE_ANNOTATION]: owner.file,
      },
    },
  };
}
