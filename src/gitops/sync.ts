/**
 * One sync of a GitOps folder: converge the store to the folder, safely.
 *
 *  1. Read the folder's settings and every manifest file, twice a moment apart (a folder that
 *     changed in between, e.g. a file caught half-written, is not acted on: the next sync is);
 *     validate every document (whole folder first, nothing written yet). A file with any problem is *held*: none of its objects is
 *     applied, and none of the objects it owned is pruned — they stay as they are until the file
 *     is fixed. Other files go on.
 *  2. Plan against the store: kinds the cluster creates (Node) may only be changed, not created;
 *     immutable fields may not change; an object owned by another folder is not taken over. Any
 *     of these also holds the file.
 *  3. Record the objects about to be created in the inventory *before* creating them, so that a
 *     crash between the two can never leave an object the folder made but does not know.
 *  4. Apply in dependency order (kind rank: pools before volumes before snapshots…; concurrently
 *     within a rank). An object whose owned fields (spec, labels, annotations) already match is
 *     not even sent: a converged folder costs reads only.
 *  5. Prune what left the folder — from the inventory only — in reverse dependency order, unless
 *     the guard holds: a folder that suddenly has no objects, or would lose more than
 *     `prune.maxFraction` of them, prunes nothing (status says why) unless `prune.force`. Objects
 *     of the guarded kinds (VirtualMachine, CephVolume, CephPool) are never deleted unless the
 *     folder opts in per kind: they are released instead (owner annotations removed, left running).
 *  6. Write the status: counts, errors (file, document, line, field), the inventory, and Ready.
 *     Nothing is written when nothing changed.
 */
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import { ErrorCodes, PvcError } from "../errors.ts";
import { type ManifestDoc, type ManifestProblem, resourceKey } from "../manifests/manifests.ts";
import { mapLimit } from "../map-limit.ts";
import { plural } from "../plural.ts";
import { lookupKind, sortForDelete } from "../resources/kinds.ts";
import type { Resource, ResourceStatus } from "../resources/types.ts";
import { checkImmutable, shortValue } from "../resources/validate.ts";
import { stalled } from "../runtime/conditions.ts";
import type { EventRecorder } from "../store/events.ts";
import type { ResourceStore } from "../store/store.ts";
import { FILE_ANNOTATION, ownerOf, SYNC_ANNOTATION, withOwner } from "./annotations.ts";
import { type FolderSnapshot, readFolder } from "./folder.ts";
import { entryKey, type Inventory, type InventoryEntry, inventoryOf, withInventory } from "./inventory.ts";
import {
  type GitOpsSettings,
  GUARDED_KINDS,
  mergeSettings,
  readFolderSettings,
  type SettingsInput,
} from "./settings.ts";
import {
  conditionFor,
  ensureSyncObject,
  formatSyncError,
  GITOPS_KIND,
  type SyncError,
  type SyncResult,
  writeStatus,
} from "./sync-status.ts";

/** Objects applied at once within one rank. */
const APPLY_CONCURRENCY = 8;

export interface SyncDeps {
  /** The store without the write guard (the folder writes its own objects). */
  store: ResourceStore;
  name: string;
  dir: string;
  /** Settings before the folder's own file. */
  base: GitOpsSettings;
  server?: SettingsInput;
  events?: EventRecorder;
  logger?: Logger;
  now?: () => Date;
  /** The guard of the next sync only: prune past it once (`pvcctl` has no verb for it yet). */
  force?: boolean;
  /** Pause between the two reads of the folder that must agree before anything is done. */
  settleMs?: number;
}

/** Long enough for a writer's truncate and write to both land; short next to the debounce. */
const DEFAULT_SETTLE_MS = 20;

function problemToError(p: ManifestProblem): SyncError {
  const e: SyncError = { file: p.file, message: p.message };
  if (p.index !== undefined) e.document = p.index;
  if (p.line !== undefined) e.line = p.line;
  if (p.kind) e.kind = p.kind;
  if (p.name !== undefined) e.name = p.name;
  if (p.pointer !== undefined) e.field = p.pointer;
  if (p.value !== undefined) e.message += ` (got ${shortValue(p.value)})`;
  return e;
}

const emptyIsAbsent = (m: Record<string, string> | undefined) =>
  m && Object.keys(m).length > 0 ? m : undefined;

/** Whether applying `desired` would change nothing of what the folder owns in `current`. */
export function ownedFieldsMatch(current: Resource, desired: Resource): boolean {
  return (
    current.apiVersion === desired.apiVersion &&
    isDeepStrictEqual(current.spec ?? {}, desired.spec ?? {}) &&
    isDeepStrictEqual(emptyIsAbsent(current.metadata.labels), emptyIsAbsent(desired.metadata.labels)) &&
    isDeepStrictEqual(
      emptyIsAbsent(current.metadata.annotations),
      emptyIsAbsent(desired.metadata.annotations),
    ) &&
    (desired.metadata.finalizers === undefined ||
      isDeepStrictEqual(current.metadata.finalizers ?? [], desired.metadata.finalizers)) &&
    (desired.metadata.ownerReferences === undefined ||
      isDeepStrictEqual(current.metadata.ownerReferences ?? [], desired.metadata.ownerReferences))
  );
}

function pct(n: number): string {
  return `${Math.round(n * 100)}%`;
}

/** Why the prune must not happen, or undefined. */
export function pruneGuard(
  previous: number,
  leaving: number,
  declared: number,
  held: number,
  settings: GitOpsSettings,
): string | undefined {
  if (leaving === 0 || previous === 0) return undefined;
  if (declared === 0 && held === 0) {
    return `the folder declares no objects now; refusing to prune all ${plural(previous, "object")} it owned (an emptied or unmounted folder looks like this). Restore the files, or set prune.force: true in .pvc-gitops.yaml to prune them`;
  }
  const share = leaving / previous;
  if (share > settings.prune.maxFraction) {
    return `${leaving} of the ${plural(previous, "object")} the folder owned (${pct(share)}) left it, more than prune.maxFraction ${pct(settings.prune.maxFraction)}; refusing to prune any. Restore the files, raise prune.maxFraction or set prune.force: true in .pvc-gitops.yaml`;
  }
  return undefined;
}

export async function runSync(deps: SyncDeps): Promise<SyncResult> {
  const { store, name, dir } = deps;
  const log = deps.logger;
  const now = deps.now ?? (() => new Date());
  const result: SyncResult = {
    files: 0,
    objects: 0,
    created: [],
    updated: [],
    unchanged: 0,
    pruned: [],
    released: [],
    errors: [],
    heldFiles: [],
    desired: new Map(),
    statusWritten: false,
  };

  const previous = await store.tryGet(GITOPS_KIND, name);
  const inventory = inventoryOf(previous);

  // 1. Settings and the folder. Either failing stops the whole sync: nothing is applied or pruned.
  let settings: GitOpsSettings;
  let snapshot: FolderSnapshot;
  try {
    const read = async () => {
      const folder = await readFolderSettings(dir);
      const merged = mergeSettings(deps.base, deps.server ?? {}, folder.settings);
      return { text: folder.text, settings: merged, snapshot: await readFolder(dir, merged.ignore) };
    };
    const first = await read();
    // A file being written while we read it (writeFile truncates, then writes) looks empty or
    // cut, and acting on it would prune or release what it declares. Act only on a folder that
    // read the same twice, `settleMs` apart; otherwise the write's own event brings a new sync.
    const settleMs = deps.settleMs ?? DEFAULT_SETTLE_MS;
    if (settleMs > 0) {
      await new Promise((r) => setTimeout(r, settleMs));
      const again = await read();
      if (again.snapshot.revision !== first.snapshot.revision || again.text !== first.text) {
        result.unsettled = true;
        log?.info({ dir }, "gitops: the folder changed while it was read; syncing again");
        return result;
      }
    }
    settings = first.settings;
    snapshot = first.snapshot;
  } catch (err) {
    const message = (err as Error).message;
    result.errors.push({ file: (err as PvcError).details?.file as string | undefined, message });
    const sync = await ensureSyncObject(store, name, dir, mergeSettings(deps.base, deps.server ?? {}));
    await writeStatus(store, sync, previous, {
      inventory,
      result,
      condition: stalled(
        err instanceof PvcError && err.code === ErrorCodes.CONFIG_INVALID
          ? "InvalidSettings"
          : "FolderUnreadable",
        `${message}; nothing was applied or pruned`,
        sync.metadata.generation,
      ),
      now,
    });
    return result;
  }
  if (deps.force) settings = { ...settings, prune: { ...settings.prune, force: true } };
  result.revision = snapshot.revision;
  result.files = snapshot.files.length;
  const sync = await ensureSyncObject(store, name, dir, settings);

  // 2. Plan: problems found against the store hold their file too.
  const problems = new Map<string, ManifestProblem[]>();
  for (const f of snapshot.files) if (f.problems.length > 0) problems.set(f.file, [...f.problems]);
  const candidates = snapshot.files.filter((f) => !problems.has(f.file)).flatMap((f) => f.docs);
  const current = new Map<string, Resource | null>();
  const hold = (d: ManifestDoc, pointer: string, message: string, value?: unknown) => {
    const list = problems.get(d.file) ?? [];
    list.push({
      file: d.file,
      index: d.index,
      line: d.line,
      kind: d.resource.kind,
      name: d.resource.metadata.name,
      pointer,
      value,
      message,
    });
    problems.set(d.file, list);
  };
  await mapLimit(candidates, 16, async (d) => {
    const cur = await store.tryGet(d.resource.kind, d.resource.metadata.name);
    current.set(d.key, cur);
    const info = lookupKind(d.resource.kind);
    if (!cur && info && !info.userCreatable) {
      hold(
        d,
        "/metadata/name",
        `${info.kind} ${JSON.stringify(d.resource.metadata.name)} does not exist: ${info.kind} objects are created by the cluster; a folder may only change existing ones`,
      );
      return;
    }
    if (!cur) return;
    const owner = ownerOf(cur);
    if (owner && owner.sync !== name) {
      hold(
        d,
        "/metadata/name",
        `is already owned by the GitOps folder of sync ${JSON.stringify(owner.sync)} (file ${owner.file}); one object, one folder`,
      );
      return;
    }
    for (const f of checkImmutable(cur, d.resource)) hold(d, f.pointer, f.message, f.value);
  });

  const held = new Set(problems.keys());
  result.heldFiles = [...held].sort();
  for (const file of result.heldFiles)
    for (const p of problems.get(file) ?? []) result.errors.push(problemToError(p));
  const declared = snapshot.files.filter((f) => !held.has(f.file)).flatMap((f) => f.docs);
  for (const d of declared) {
    result.desired.set(d.key, withOwner(d.resource, { sync: name, file: d.file }));
  }

  // The new inventory: what the folder declares, plus what held files owned (left alone).
  const next: Inventory = new Map();
  for (const d of declared)
    next.set(d.key, { kind: d.resource.kind, name: d.resource.metadata.name, file: d.file });
  for (const [key, e] of inventory) if (!next.has(key) && held.has(e.file)) next.set(key, e);
  const leaving = [...inventory.values()].filter((e) => !next.has(entryKey(e)));
  result.pruneBlocked = settings.prune.force
    ? undefined
    : pruneGuard(inventory.size, leaving.length, declared.length, next.size - declared.length, settings);
  if (result.pruneBlocked) {
    for (const e of leaving) next.set(entryKey(e), e);
    log?.warn({ sync: name, leaving: leaving.length }, `gitops: prune blocked: ${result.pruneBlocked}`);
  }

  // 3. Record what is about to be created before creating it.
  const adding = declared.filter((d) => !inventory.has(d.key));
  let known: Inventory = inventory;
  if (adding.length > 0) {
    known = new Map(inventory);
    for (const d of adding)
      known.set(d.key, { kind: d.resource.kind, name: d.resource.metadata.name, file: d.file });
    await store.updateStatus(
      GITOPS_KIND,
      name,
      withInventory((previous?.status ?? {}) as ResourceStatus, known),
    );
  }

  // 4. Apply, rank by rank.
  const byRank = new Map<number, ManifestDoc[]>();
  for (const d of declared) {
    const rank = lookupKind(d.resource.kind)?.rank ?? Number.MAX_SAFE_INTEGER;
    byRank.set(rank, [...(byRank.get(rank) ?? []), d]);
  }
  for (const rank of [...byRank.keys()].sort((a, b) => a - b)) {
    await mapLimit(byRank.get(rank) ?? [], APPLY_CONCURRENCY, async (d) => {
      const desired = result.desired.get(d.key) as Resource;
      const cur = current.get(d.key);
      if (cur && ownedFieldsMatch(cur, desired)) {
        result.unchanged++;
        return;
      }
      try {
        const { action } = await store.apply(desired);
        if (action === "created") result.created.push(d.key);
        else if (action === "updated") result.updated.push(d.key);
        else result.unchanged++;
      } catch (err) {
        result.errors.push({
          file: d.file,
          document: d.index,
          line: d.line,
          kind: d.resource.kind,
          name: d.resource.metadata.name,
          message: `apply failed: ${(err as Error).message}`,
        });
        // Not created: not ours to remember (an existing object stays listed).
        if (!cur && !inventory.has(d.key)) next.delete(d.key);
      }
    });
  }

  // 5. Prune (or release) what left the folder, from the inventory only, dependents first.
  if (!result.pruneBlocked && leaving.length > 0) {
    const ordered = sortForDelete(
      leaving.map((e) => ({ kind: e.kind, metadata: { name: e.name }, entry: e })),
    );
    for (const { entry } of ordered) {
      const key = entryKey(entry);
      try {
        const cur = lookupKind(entry.kind) ? await store.tryGet(entry.kind, entry.name) : null;
        if (!cur) continue; // already gone
        if (ownerOf(cur)?.sync !== name) {
          // Someone took it over (revert mode allows writes): not ours to delete any more.
          result.released.push(key);
          continue;
        }
        const userCreatable = lookupKind(entry.kind)?.userCreatable ?? false;
        // Kinds the cluster creates (Node) are never deleted by a folder; guarded kinds only if opted in.
        if (
          !userCreatable ||
          (GUARDED_KINDS.includes(entry.kind) && !settings.prune.kinds.includes(entry.kind))
        ) {
          await store.patch(entry.kind, entry.name, {
            metadata: { annotations: { [SYNC_ANNOTATION]: null, [FILE_ANNOTATION]: null } },
          });
          result.released.push(key);
          continue;
        }
        await store.delete(entry.kind, entry.name);
        result.pruned.push(key);
      } catch (err) {
        if (err instanceof PvcError && err.code === ErrorCodes.NOT_FOUND) continue;
        next.set(key, entry);
        result.errors.push({
          file: entry.file,
          kind: entry.kind,
          name: entry.name,
          message: `prune failed: ${(err as Error).message}`,
        });
      }
    }
  }
  result.objects = next.size;

  // 6. Status.
  const condition = conditionFor(result, sync.metadata.generation);
  await writeStatus(store, sync, previous, { inventory: next, result, condition, now });
  if (
    deps.events &&
    (result.created.length || result.updated.length || result.pruned.length || result.released.length)
  ) {
    const parts = [
      result.created.length ? `created ${result.created.length}` : "",
      result.updated.length ? `updated ${result.updated.length}` : "",
      result.pruned.length ? `pruned ${result.pruned.join(", ")}` : "",
      result.released.length ? `released ${result.released.join(", ")}` : "",
    ].filter(Boolean);
    await deps.events
      .record("gitopssyncs", name, "Normal", "Synced", `Revision ${result.revision}: ${parts.join("; ")}`)
      .catch(() => undefined);
  }
  if (deps.events && result.pruneBlocked) {
    await deps.events
      .record("gitopssyncs", name, "Warning", "PruneBlocked", result.pruneBlocked)
      .catch(() => undefined);
  }
  log?.info(
    {
      sync: name,
      revision: result.revision,
      created: result.created.length,
      updated: result.updated.length,
      unchanged: result.unchanged,
      pruned: result.pruned.length,
      released: result.released.length,
      errors: result.errors.length,
    },
    "gitops: synced",
  );
  return result;
}

export function syncKey(r: { kind: string; metadata: { name: string } }): string {
  return resourceKey(r);
}

export type { InventoryEntry };
export { formatSyncError, GITOPS_KIND, type SyncError, type SyncResult };
