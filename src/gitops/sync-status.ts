/**
 * A GitOps sync's outcome and how it is reported: the result's shape, one-line errors, the
 * GitOpsSync object (its spec mirrors the effective settings) and its status (counts, errors with
 * file, line and field, and the condition), written only when it changed.
 */
import { plural } from "../plural.ts";
import type { Condition, Resource, ResourceStatus } from "../resources/types.ts";
import { applyConditions, ready, stalled, statusEqual } from "../runtime/conditions.ts";
import type { ResourceStore } from "../store/store.ts";
import type { GitOpsSettings } from "./settings.ts";

export const GITOPS_KIND = "GitOpsSync";
const API_VERSION = "pvc.parallelvirtualcluster.org/v1";

export interface SyncError {
  file?: string;
  document?: number;
  line?: number;
  kind?: string;
  name?: string;
  field?: string;
  message: string;
}

export interface SyncResult {
  revision?: string;
  files: number;
  objects: number;
  created: string[];
  updated: string[];
  unchanged: number;
  pruned: string[];
  /** Objects that left the folder but are of a guarded kind: ownership dropped, object kept. */
  released: string[];
  pruneBlocked?: string;
  errors: SyncError[];
  /** Files held back by their problems. */
  heldFiles: string[];
  /** The objects the folder declares as applied (key → document with owner annotations). */
  desired: Map<string, Resource>;
  /** False when the status already said all this (nothing was written for it). */
  statusWritten: boolean;
  /** The folder changed while it was read: nothing was done; sync again. */
  unsettled?: boolean;
}

/** One line, for logs and condition messages: `networks.yaml:12: Network "lan": /spec/vni: …`. */
export function formatSyncError(e: SyncError): string {
  const where = e.file ? `${e.file}${e.line ? `:${e.line}` : ""}: ` : "";
  const what = e.kind ? `${e.kind}${e.name !== undefined ? ` ${JSON.stringify(e.name)}` : ""}: ` : "";
  return `${where}${what}${e.field ? `${e.field || "(document)"}: ` : ""}${e.message}`;
}

export function conditionFor(result: SyncResult, generation: number | undefined): ReturnType<typeof ready> {
  if (result.heldFiles.length > 0) {
    const first = result.errors[0] ? `; first: ${formatSyncError(result.errors[0])}` : "";
    return stalled(
      "InvalidFiles",
      `${result.heldFiles.length === 1 ? "1 file has" : `${result.heldFiles.length} files have`} problems (${result.heldFiles.join(", ")}): their objects were left as they were, the rest was applied${first}`,
      generation,
    );
  }
  if (result.pruneBlocked) return stalled("PruneBlocked", result.pruneBlocked, generation);
  if (result.errors.length > 0) {
    return stalled(
      "ApplyFailed",
      `${plural(result.errors.length, "object")} failed; first: ${formatSyncError(result.errors[0])}`,
      generation,
    );
  }
  return ready(
    "Synced",
    `${plural(result.objects, "object")} from ${plural(result.files, "file")} in sync at revision ${result.revision}`,
    generation,
  );
}

/** The GitOpsSync's spec: the folder and its effective settings. */
export function syncSpec(dir: string, settings: GitOpsSettings): Record<string, unknown> {
  return {
    dir,
    protection: settings.protection,
    prune: {
      maxFraction: settings.prune.maxFraction,
      kinds: settings.prune.kinds,
      force: settings.prune.force,
    },
    ...(settings.ignore.length > 0 ? { ignore: settings.ignore } : {}),
  };
}

/** Creates or updates the GitOpsSync object with the effective settings (no write when unchanged). */
export async function ensureSyncObject(
  store: ResourceStore,
  name: string,
  dir: string,
  settings: GitOpsSettings,
): Promise<Resource> {
  const { resource } = await store.apply({
    apiVersion: API_VERSION,
    kind: GITOPS_KIND,
    metadata: { name },
    spec: syncSpec(dir, settings),
  });
  return resource;
}

/**
 * Writes the sync's status unless it already says all this (the sync time alone is no change).
 * The inventory is not in it (inventory-store.ts), only its size: `objects`.
 */
export async function writeStatus(
  store: ResourceStore,
  sync: Resource,
  previous: Resource | null,
  w: {
    objects: number | undefined;
    result: SyncResult;
    condition: ReturnType<typeof ready>;
    now: () => Date;
  },
): Promise<void> {
  // The status as the last sync left it (the watcher is its only writer); a sync object made
  // again (deleted by hand) starts from nothing.
  const before = (
    previous && previous.metadata.uid === sync.metadata.uid ? (previous.status ?? {}) : {}
  ) as ResourceStatus;
  const r = w.result;
  const candidate: ResourceStatus = {
    observedGeneration: sync.metadata.generation,
    revision: r.revision,
    files: r.files,
    objects: w.objects,
    applied: r.created.length + r.updated.length,
    pruned: r.pruned.length,
    released: r.released.length > 0 ? r.released : undefined,
    pruneBlocked: r.pruneBlocked,
    errors: r.errors.length > 0 ? r.errors : undefined,
  };
  candidate.conditions = applyConditions(
    before.conditions as Condition[] | undefined,
    w.condition,
    w.now(),
  ).conditions;
  const { lastSyncTime: _t, ...beforeRest } = before as ResourceStatus & { lastSyncTime?: string };
  for (const k of Object.keys(candidate)) if (candidate[k] === undefined) delete candidate[k];
  if (statusEqual(beforeRest, candidate)) return;
  await store.updateStatus(GITOPS_KIND, sync.metadata.name, {
    ...candidate,
    lastSyncTime: w.now().toISOString(),
  });
  r.statusWritten = true;
}
