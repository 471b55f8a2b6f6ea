/**
 * One sync of a GitOps folder: converge the store to the folder, safely.
 *
 *  1. Read the folder's settings and its manifest files — only the files that changed since the
 *     last sync (folder.ts keeps each file parsed and validated per content). A changed file is
 *     read twice a moment apart, and one that differs in between (caught half-written) stops the
 *     sync: nothing is done, the next one reads it again. A file with any problem is *held*: none
 *     of its objects is applied, and none of the objects it owned is pruned — they stay as they
 *     are until the file is fixed. Other files go on.
 *  2. Plan every document against the object as it is now (plan.ts; from the informers when the
 *     watcher has them, and only where the document or the object changed since the last sync):
 *     kinds the cluster creates (Node) may only be changed, not created; immutable fields may not
 *     change; an object owned by another folder is not taken over. Any of these also holds the file.
 *  3. Record the objects about to be created in the inventory *before* creating them, so that a
 *     crash between the two can never leave an object the folder made but does not know.
 *  4. Apply in dependency order (kind rank: pools before volumes before snapshots…; concurrently
 *     within a rank). An object whose owned fields (spec, labels, annotations) already match is
 *     not even sent: a converged folder costs no writes.
 *  5. Prune what left the folder — from the inventory only — in reverse dependency order, unless
 *     the guard holds: a folder that suddenly has no objects, or would lose more than
 *     `prune.maxFraction` of them, prunes nothing (status says why) unless `prune.force`. Objects
 *     of the guarded kinds (VirtualMachine, CephVolume, CephPool) are never deleted unless the
 *     folder opts in per kind: they are released instead (owner annotations removed, left running).
 *  6. Write the inventory (the shards that changed: inventory-store.ts) and the status: counts,
 *     errors (file, document, line, field), and Ready. Nothing is written when nothing changed.
 *
 * What a sync keeps for the next one (the file cache, the inventory's copy, the verdicts) is its
 * `SyncMemory`; without one, a sync reads and plans everything, as a first sync does.
 */
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import { ErrorCodes, PvcError } from "../errors.ts";
import { type ManifestDoc, type ManifestProblem, resourceKey } from "../manifests/manifests.ts";
import { mapLimit } from "../map-limit.ts";
import { plural } from "../plural.ts";
import { lookupKind, sortForDelete } from "../resources/kinds.ts";
import type { Resource } from "../resources/types.ts";
import { shortValue } from "../resources/validate.ts";
import { stalled } from "../runtime/conditions.ts";
import type { EventRecorder } from "../store/events.ts";
import type { ResourceStore } from "../store/store.ts";
import { FILE_ANNOTATION, ownerOf, SYNC_ANNOTATION } from "./annotations.ts";
import { FolderCache, type FolderSnapshot } from "./folder.ts";
import { entryKey, type Inventory, type InventoryEntry, inventoryOf } from "./inventory.ts";
import { InventoryStore } from "./inventory-store.ts";
import { type CurrentLookup, planDocs, type Verdict, type Verdicts } from "./plan.ts";
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
  syncSpec,
  writeStatus,
} from "./sync-status.ts";

export { ownedFieldsMatch } from "./plan.ts";

/** Objects applied at once within one rank. */
const APPLY_CONCURRENCY = 8;

/** What one folder's syncs keep between them (the watcher holds one per folder). */
export interface SyncMemory {
  folder: FolderCache;
  inventory: InventoryStore;
  verdicts: Verdicts;
  /** The objects now, from synced informers; without it every planned document is read. */
  current?: CurrentLookup;
  /** The settings file as the last sync read it. */
  settingsText?: string;
  /**
   * What the folder declares, as applied (`Kind/name` → object), set as soon as a sync has
   * planned: a change to one of these objects that differs is drift, and wakes a sync.
   */
  desired: ReadonlyMap<string, Resource>;
}

export function syncMemory(
  store: ResourceStore,
  name: string,
  dir: string,
  current?: CurrentLookup,
): SyncMemory {
  return {
    folder: new FolderCache(dir),
    inventory: new InventoryStore(store.zk, store.layout, name),
    verdicts: new Map(),
    current,
    desired: new Map(),
  };
}

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
  /** Pause between the two reads of a changed file that must agree before anything is done. */
  settleMs?: number;
  /** Kept from the last sync of this folder (default: none, everything is read). */
  memory?: SyncMemory;
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

function emptyResult(): SyncResult {
  return {
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
}

/**
 * Step 1: the settings and the folder, each changed file read twice `settleMs` apart (the
 * settings file too, when it changed). Undefined when something changed in between.
 */
async function readInputs(
  deps: SyncDeps,
  memory: SyncMemory,
): Promise<{ settings: GitOpsSettings; snapshot: FolderSnapshot } | undefined> {
  const settleMs = deps.settleMs ?? DEFAULT_SETTLE_MS;
  const first = await readFolderSettings(deps.dir);
  const settings = mergeSettings(deps.base, deps.server ?? {}, first.settings);
  const snapshot = await memory.folder.read(settings.ignore, settleMs);
  if (!snapshot) return undefined;
  if (first.text !== memory.settingsText && settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  const again = await readFolderSettings(deps.dir).catch(() => undefined);
  if (again?.text !== first.text) {
    // The folder's files were taken; the settings are read again (and the files re-listed).
    memory.folder.invalidate();
    return undefined;
  }
  memory.settingsText = first.text;
  return { settings, snapshot };
}

/** A sync that could not read its settings or folder: Stalled, nothing applied or pruned. */
async function reportUnreadable(
  deps: SyncDeps,
  previous: Resource | null,
  result: SyncResult,
  err: unknown,
): Promise<SyncResult> {
  const message = (err as Error).message;
  result.errors.push({ file: (err as PvcError).details?.file as string | undefined, message });
  const sync = await ensureSyncObject(
    deps.store,
    deps.name,
    deps.dir,
    mergeSettings(deps.base, deps.server ?? {}),
  );
  await writeStatus(deps.store, sync, previous, {
    objects: previous?.status?.objects as number | undefined,
    result,
    condition: stalled(
      err instanceof PvcError && err.code === ErrorCodes.CONFIG_INVALID
        ? "InvalidSettings"
        : "FolderUnreadable",
      `${message}; nothing was applied or pruned`,
      sync.metadata.generation,
    ),
    now: deps.now ?? (() => new Date()),
  });
  return result;
}

export async function runSync(deps: SyncDeps): Promise<SyncResult> {
  const { store, name, dir } = deps;
  const log = deps.logger;
  const now = deps.now ?? (() => new Date());
  const memory = deps.memory ?? syncMemory(store, name, dir);
  const result = emptyResult();
  // The sync object as the informer has it (our own writes reach it as they are answered).
  const known = memory.current?.(GITOPS_KIND, name);
  const previousRead = known === undefined ? store.tryGet(GITOPS_KIND, name) : Promise.resolve(known);

  // 1. Settings and the folder. Either failing stops the whole sync: nothing is applied or pruned.
  let inputs: Awaited<ReturnType<typeof readInputs>>;
  try {
    inputs = await readInputs(deps, memory);
  } catch (err) {
    return reportUnreadable(deps, await previousRead, result, err);
  }
  const previous = await previousRead;
  if (!inputs) {
    result.unsettled = true;
    log?.info({ dir }, "gitops: the folder changed while it was read; syncing again");
    return result;
  }
  let { settings } = inputs;
  const { snapshot } = inputs;
  if (deps.force) settings = { ...settings, prune: { ...settings.prune, force: true } };
  result.revision = snapshot.revision;
  result.files = snapshot.files.length;
  const sync =
    previous && isDeepStrictEqual(previous.spec, syncSpec(dir, settings))
      ? previous
      : await ensureSyncObject(store, name, dir, settings);
  const uid = String(sync.metadata.uid);
  // Read while the documents are planned (its freshness check is a round trip).
  const inventoryRead = memory.inventory.read(uid);
  inventoryRead.catch(() => undefined); // awaited below; a failed plan must not leave it unhandled

  // 2. Plan: problems found against the store hold their file too.
  const problems = new Map<string, ManifestProblem[]>();
  const candidates: ManifestDoc[] = [];
  for (const f of snapshot.files) {
    if (f.problems.length > 0) problems.set(f.file, [...f.problems]);
    else for (const d of f.docs) candidates.push(d);
  }
  const verdicts = await planDocs(candidates, {
    store,
    sync: name,
    current: memory.current,
    kept: memory.verdicts,
  });
  for (const v of verdicts) {
    if (v.problems.length > 0) problems.set(v.doc.file, [...(problems.get(v.doc.file) ?? []), ...v.problems]);
  }
  // A sync from before the inventory had shards kept it in its status: carry that over once.
  const inventory = (await inventoryRead) ?? inventoryOf(previous);
  const held = new Set(problems.keys());
  result.heldFiles = [...held].sort();
  for (const file of result.heldFiles)
    for (const p of problems.get(file) ?? []) result.errors.push(problemToError(p));

  // The new inventory: what the folder declares, plus what held files owned (left alone).
  const declared: Verdict[] = [];
  const adding: Verdict[] = [];
  const next: Inventory = new Map();
  for (const v of verdicts) {
    if (held.size > 0 && held.has(v.doc.file)) continue;
    declared.push(v);
    result.desired.set(v.doc.key, v.desired);
    next.set(v.doc.key, v.entry);
    if (!inventory.has(v.doc.key)) adding.push(v);
  }
  memory.desired = result.desired;
  const leaving: InventoryEntry[] = [];
  for (const [key, e] of inventory) {
    if (next.has(key)) continue;
    if (held.has(e.file)) next.set(key, e);
    else leaving.push(e);
  }
  result.pruneBlocked = settings.prune.force
    ? undefined
    : pruneGuard(inventory.size, leaving.length, declared.length, next.size - declared.length, settings);
  if (result.pruneBlocked) {
    for (const e of leaving) next.set(entryKey(e), e);
    log?.warn({ sync: name, leaving: leaving.length }, `gitops: prune blocked: ${result.pruneBlocked}`);
  }

  // 3. Record what is about to be created before creating it.
  if (adding.length > 0) {
    const known: Inventory = new Map(inventory);
    for (const v of adding) known.set(v.doc.key, v.entry);
    await memory.inventory.write(uid, known);
  }

  // 4. Apply, rank by rank.
  await applyDeclared(store, declared, result, (key) => {
    // Not created: not ours to remember (an existing object stays listed).
    if (!inventory.has(key)) next.delete(key);
  });

  // 5. Prune (or release) what left the folder, from the inventory only, dependents first.
  if (!result.pruneBlocked && leaving.length > 0) await pruneLeaving(deps, settings, leaving, next, result);
  result.objects = next.size;

  // 6. The inventory, the status, an event.
  await memory.inventory.write(uid, next);
  const condition = conditionFor(result, sync.metadata.generation);
  await writeStatus(store, sync, previous, { objects: next.size, result, condition, now });
  await recordEvents(deps, result);
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

/** Step 4: sends what differs, rank by rank; `notCreated(key)` for a failed apply. */
async function applyDeclared(
  store: ResourceStore,
  declared: readonly Verdict[],
  result: SyncResult,
  notCreated: (key: string) => void,
): Promise<void> {
  const byRank = new Map<number, Verdict[]>();
  for (const v of declared) {
    if (v.matches) {
      result.unchanged++;
      continue;
    }
    const rank = lookupKind(v.doc.resource.kind)?.rank ?? Number.MAX_SAFE_INTEGER;
    const list = byRank.get(rank) ?? [];
    list.push(v);
    byRank.set(rank, list);
  }
  for (const rank of [...byRank.keys()].sort((a, b) => a - b)) {
    await mapLimit(byRank.get(rank) ?? [], APPLY_CONCURRENCY, async ({ doc, desired, cur }) => {
      try {
        const { action } = await store.apply(desired, { existing: cur !== null });
        if (action === "created") result.created.push(doc.key);
        else if (action === "updated") result.updated.push(doc.key);
        else result.unchanged++;
      } catch (err) {
        result.errors.push({
          file: doc.file,
          document: doc.index,
          line: doc.line,
          kind: doc.resource.kind,
          name: doc.resource.metadata.name,
          message: `apply failed: ${(err as Error).message}`,
        });
        if (!cur) notCreated(doc.key);
      }
    });
  }
}

/** Step 5: prune or release each entry that left the folder; a failure keeps it in `next`. */
async function pruneLeaving(
  deps: SyncDeps,
  settings: GitOpsSettings,
  leaving: readonly InventoryEntry[],
  next: Inventory,
  result: SyncResult,
): Promise<void> {
  const { store, name } = deps;
  const ordered = sortForDelete(leaving.map((e) => ({ kind: e.kind, metadata: { name: e.name }, entry: e })));
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

async function recordEvents(deps: SyncDeps, result: SyncResult): Promise<void> {
  const { events, name } = deps;
  if (!events) return;
  if (result.created.length || result.updated.length || result.pruned.length || result.released.length) {
    const parts = [
      result.created.length ? `created ${result.created.length}` : "",
      result.updated.length ? `updated ${result.updated.length}` : "",
      result.pruned.length ? `pruned ${result.pruned.join(", ")}` : "",
      result.released.length ? `released ${result.released.join(", ")}` : "",
    ].filter(Boolean);
    await events
      .record("gitopssyncs", name, "Normal", "Synced", `Revision ${result.revision}: ${parts.join("; ")}`)
      .catch(() => undefined);
  }
  if (result.pruneBlocked) {
    await events
      .record("gitopssyncs", name, "Warning", "PruneBlocked", result.pruneBlocked)
      .catch(() => undefined);
  }
}

export function syncKey(r: { kind: string; metadata: { name: string } }): string {
  return resourceKey(r);
}

export type { InventoryEntry };
export { formatSyncError, GITOPS_KIND, type SyncError, type SyncResult };
