/**
 * The apply engine of `pvcctl apply` (the CLI only parses flags and prints):
 * - objects go in dependency order (kind rank: pools before volumes before snapshots, networks and
 *   volumes before VMs…), concurrently within a rank;
 * - `--prune` with an apply set: every object applied carries the set's label, and afterwards the
 *   objects that carry it but are not in the input are deleted, dependents first — only those,
 *   never anything without the label;
 * - `--wait`: until every object applied is Ready for the generation just written.
 * Validation happens before this (the caller applies nothing unless every document is valid).
 */
import { isDeepStrictEqual } from "node:util";
import type { ManifestDoc } from "../manifests/manifests.ts";
import { mapLimit } from "../map-limit.ts";
import { KINDS, lookupKind, sortForDelete } from "../resources/kinds.ts";
import type { Resource } from "../resources/types.ts";
import type { ApiClient, ApplyAction } from "./api-client.ts";
import { ownedView } from "./diff.ts";
import { isReadyNow, readyCondition } from "./format.ts";

/** The label that marks the objects of an apply set (`pvcctl apply --prune --applyset NAME`). */
export const APPLYSET_LABEL = "pvcctl.pvc.parallelvirtualcluster.org/applyset";
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export function checkApplySetName(name: string): string | undefined {
  if (name === "" || !LABEL_VALUE.test(name)) {
    return `apply set name ${JSON.stringify(name)} must be a label value: up to 63 letters, digits, - _ . starting and ending with a letter or digit`;
  }
  return undefined;
}

/** `network/lan`: how pvcctl names objects in its output. */
export function label(r: { kind: string; metadata: { name: string } }): string {
  return `${lookupKind(r.kind)?.singular ?? r.kind.toLowerCase()}/${r.metadata.name}`;
}

/** A one-line progress display on a TTY (stderr), silent elsewhere. */
export class Progress {
  readonly #stream: NodeJS.WriteStream | undefined;
  readonly #total: number;
  #done = 0;
  #shown = false;

  constructor(total: number, stream: NodeJS.WriteStream = process.stderr, minimum = 10) {
    this.#total = total;
    this.#stream = stream.isTTY && total >= minimum ? stream : undefined;
  }

  tick(what: string): void {
    this.#done++;
    if (!this.#stream) return;
    const width = String(this.#total).length;
    const line = `[${String(this.#done).padStart(width)}/${this.#total}] ${what}`;
    const cols = this.#stream.columns || 80;
    this.#stream.write(`\r\u001b[2K${line.slice(0, cols - 1)}`);
    this.#shown = true;
  }

  /** Clears the line (before printing a result line, and at the end). */
  clear(): void {
    if (this.#stream && this.#shown) this.#stream.write("\r\u001b[2K");
    this.#shown = false;
  }
}

export interface ApplyResult {
  key: string;
  label: string;
  action?: ApplyAction;
  generation?: number;
  error?: string;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** Label the objects with this apply set (and prune it if `prune`). */
  applySet?: string;
  prune?: boolean;
  /** Print one result line (stdout). */
  out: (line: string) => void;
  /** Print one problem line (stderr). */
  err: (line: string) => void;
  progress?: Progress;
  concurrency?: number;
}

export interface ApplyOutcome {
  results: ApplyResult[];
  pruned: string[];
  failures: number;
}

const VERB: Record<ApplyAction, string> = {
  created: "created",
  updated: "configured",
  unchanged: "unchanged",
};

/** The document to send: as written, with the apply set's label when there is one. */
function outgoing(doc: ManifestDoc, applySet?: string): Resource {
  const raw = structuredClone(doc.raw) as unknown as Resource;
  if (applySet)
    raw.metadata = {
      ...raw.metadata,
      labels: { ...(raw.metadata.labels ?? {}), [APPLYSET_LABEL]: applySet },
    };
  return raw;
}

/** The validated document as the server will store it (for dry-run verdicts and diffs). */
export function desiredOf(doc: ManifestDoc, applySet?: string): Resource {
  const r = structuredClone(doc.resource);
  if (applySet)
    r.metadata = { ...r.metadata, labels: { ...(r.metadata.labels ?? {}), [APPLYSET_LABEL]: applySet } };
  return r;
}

export async function applyManifests(
  client: ApiClient,
  docs: readonly ManifestDoc[],
  options: ApplyOptions,
): Promise<ApplyOutcome> {
  const suffix = options.dryRun ? " (dry run)" : "";
  const outcome: ApplyOutcome = { results: [], pruned: [], failures: 0 };
  const byRank = new Map<number, ManifestDoc[]>();
  for (const d of docs) {
    const rank = lookupKind(d.resource.kind)?.rank ?? Number.MAX_SAFE_INTEGER;
    byRank.set(rank, [...(byRank.get(rank) ?? []), d]);
  }
  const print = (line: string, error = false) => {
    options.progress?.clear();
    (error ? options.err : options.out)(line);
  };
  for (const rank of [...byRank.keys()].sort((a, b) => a - b)) {
    const group = (byRank.get(rank) ?? []).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const results = new Map<string, ApplyResult>();
    await mapLimit(group, options.concurrency ?? 8, async (d) => {
      const r: ApplyResult = { key: d.key, label: label(d.resource) };
      try {
        let action: ApplyAction;
        let written: Resource;
        if (options.dryRun) {
          // The server's dry run validates and checks (immutables, protection); what it would do
          // is read from the live object, since a dry run stores nothing to compare.
          const live = await client.tryGet(d.resource.kind, d.resource.metadata.name);
          ({ resource: written } = await client.apply(outgoing(d, options.applySet), { dryRun: true }));
          action = !live
            ? "created"
            : isDeepStrictEqual(ownedView(live), ownedView(desiredOf(d, options.applySet)))
              ? "unchanged"
              : "updated";
        } else {
          ({ resource: written, action } = await client.apply(outgoing(d, options.applySet)));
        }
        r.action = action;
        r.generation = written?.metadata?.generation;
      } catch (err) {
        r.error = (err as Error).message;
      }
      results.set(d.key, r);
      options.progress?.tick(`${r.label} ${r.error ? "failed" : VERB[r.action as ApplyAction]}`);
    });
    // Printed in a stable order, whatever order the requests finished in.
    for (const d of group) {
      const r = results.get(d.key) as ApplyResult;
      outcome.results.push(r);
      if (r.error) {
        outcome.failures++;
        print(
          `${r.label} failed: ${r.error.split("\n").join("\n  ")} (${d.file} document ${d.index}, line ${d.line})`,
          true,
        );
      } else {
        print(`${r.label} ${VERB[r.action as ApplyAction]}${suffix}`);
      }
    }
  }
  if (options.prune && options.applySet) {
    await prune(client, docs, options, outcome, print, suffix);
  }
  options.progress?.clear();
  return outcome;
}

async function prune(
  client: ApiClient,
  docs: readonly ManifestDoc[],
  options: ApplyOptions,
  outcome: ApplyOutcome,
  print: (line: string, error?: boolean) => void,
  suffix: string,
): Promise<void> {
  const keep = new Set(docs.map((d) => d.key));
  const selector = `${APPLYSET_LABEL}=${options.applySet}`;
  const members: Resource[] = [];
  for (const info of KINDS.filter((k) => k.userCreatable)) {
    for (const r of await client.list(info.kind, { labelSelector: selector })) {
      // The label is checked again here: only objects that carry this set's label go.
      if (r.metadata.labels?.[APPLYSET_LABEL] !== options.applySet) continue;
      if (!keep.has(`${info.kind}/${r.metadata.name}`)) members.push({ ...r, kind: info.kind });
    }
  }
  for (const r of sortForDelete(members)) {
    try {
      await client.delete(r.kind, r.metadata.name, { dryRun: options.dryRun });
      outcome.pruned.push(`${r.kind}/${r.metadata.name}`);
      print(`${label(r)} pruned${suffix}`);
    } catch (err) {
      outcome.failures++;
      print(`${label(r)} prune failed: ${(err as Error).message}`, true);
    }
  }
}

export interface WaitItem {
  kind: string;
  name: string;
  /** The generation that must be observed Ready (undefined: any). */
  generation?: number;
}

/** Why an object is not ready yet, for the timeout message. */
export function notReadyReason(r: Resource | undefined): string {
  if (!r) return "not found";
  const c = readyCondition(r);
  if (!c) return "no Ready condition yet (does this kind have a controller?)";
  const seen = c.observedGeneration ?? r.status?.observedGeneration;
  if (
    c.status === "True" &&
    seen !== undefined &&
    r.metadata.generation !== undefined &&
    seen < r.metadata.generation
  ) {
    return `generation ${r.metadata.generation} not observed yet (at ${seen})`;
  }
  return `Ready=${c.status} ${c.reason}: ${c.message}`;
}

/**
 * Waits until every item is Ready for its generation or the deadline passes; lists each kind once
 * per round. Returns the items still not ready, with why.
 */
export async function waitReady(
  client: ApiClient,
  items: readonly WaitItem[],
  deadline: number,
  onReady?: (item: WaitItem) => void,
): Promise<{ item: WaitItem; why: string }[]> {
  let pending = [...items];
  let last = new Map<string, Resource>();
  let delay = 50;
  for (;;) {
    const kinds = [...new Set(pending.map((p) => p.kind))];
    last = new Map();
    for (const kind of kinds) {
      for (const r of await client.list(kind))
        last.set(`${lookupKind(kind)?.kind ?? kind}/${r.metadata.name}`, r);
    }
    pending = pending.filter((p) => {
      const r = last.get(`${lookupKind(p.kind)?.kind ?? p.kind}/${p.name}`);
      const ok =
        r !== undefined &&
        isReadyNow(r) &&
        (p.generation === undefined || (r.metadata.generation ?? 0) >= p.generation);
      if (ok) onReady?.(p);
      return !ok;
    });
    if (pending.length === 0) return [];
    if (Date.now() >= deadline) {
      return pending.map((p) => ({
        item: p,
        why: notReadyReason(last.get(`${lookupKind(p.kind)?.kind ?? p.kind}/${p.name}`)),
      }));
    }
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(1, deadline - Date.now()))));
    delay = Math.min(500, delay * 2);
  }
}
