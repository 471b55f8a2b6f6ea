/**
 * What the status page is sent of each object: enough to list, filter and colour it (kind, name,
 * labels, generations, conditions, drift, the status's short scalar fields such as a Network's vni
 * or a VM's state and node), a few hundred bytes instead of the whole object (a VM's XML, a
 * GitOpsSync's inventory), so that 10,000 objects load in a few MB. The page reads one object
 * whole (for its YAML) from the declarative API when it is opened.
 *
 * Two kinds have a panel of their own and send what it shows: Node (memory, running domains: how
 * many, and the first uuids, which the page names from the VirtualMachines' summaries) and
 * GitOpsSync (the folder, its errors, a prune held back, the inventory's size).
 */
import type { Condition, Resource, ResourceStatus } from "../../src/resources/types.ts";

export interface Summary {
  kind: string;
  name: string;
  labels: Record<string, string>;
  generation?: number;
  observedGeneration?: number;
  deleting: boolean;
  resourceVersion?: string;
  conditions: Array<Pick<Condition, "type" | "status" | "reason" | "message" | "lastTransitionTime">>;
  /** What a Report drift policy kept (status.drift). */
  drift?: string[];
  /** The status's scalar fields (short strings, numbers, booleans). */
  fields: Record<string, string | number | boolean>;
  /** The Node and GitOpsSync panels' own figures. */
  panel?: Record<string, unknown>;
}

/** Longer strings are left out of `fields` (a console log, a revision hash is kept). */
const MAX_FIELD_CHARS = 120;
/** GitOps errors sent (the rest are counted). */
const MAX_SYNC_ERRORS = 50;
/** A node's running domains sent by uuid (the page names them from the VMs' summaries); the rest are counted. */
const MAX_RUNNING = 64;
const SKIPPED_FIELDS = new Set(["observedGeneration"]);

function scalarFields(status: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(status)) {
    if (SKIPPED_FIELDS.has(key)) continue;
    if (typeof value === "number" || typeof value === "boolean") out[key] = value;
    else if (typeof value === "string" && value.length <= MAX_FIELD_CHARS) out[key] = value;
  }
  return out;
}

function panelOf(obj: Resource, status: Record<string, unknown>): Record<string, unknown> | undefined {
  if (obj.kind === "Node") {
    const running = status.runningDomains;
    const uuids = Array.isArray(running) ? running.map(String) : [];
    return { memory: status.memory, runningDomains: uuids.length, running: uuids.slice(0, MAX_RUNNING) };
  }
  if (obj.kind === "GitOpsSync") {
    const errors = Array.isArray(status.errors) ? status.errors : [];
    const inventory = status.inventory;
    return {
      dir: (obj.spec as { dir?: unknown }).dir,
      errors: errors.slice(0, MAX_SYNC_ERRORS),
      errorCount: errors.length,
      inventory: Array.isArray(inventory) ? inventory.length : 0,
    };
  }
  return undefined;
}

export function summarize(obj: Resource): Summary {
  const status = (obj.status ?? {}) as ResourceStatus & Record<string, unknown>;
  const drift = status.drift;
  const summary: Summary = {
    kind: obj.kind,
    name: obj.metadata.name,
    labels: obj.metadata.labels ?? {},
    generation: obj.metadata.generation,
    observedGeneration: status.observedGeneration,
    deleting: obj.metadata.deletionTimestamp !== undefined,
    resourceVersion: obj.metadata.resourceVersion,
    conditions: (status.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      lastTransitionTime: c.lastTransitionTime,
    })),
    fields: scalarFields(status),
  };
  if (Array.isArray(drift) && drift.length > 0) summary.drift = drift.map(String);
  const panel = panelOf(obj, status);
  if (panel) summary.panel = panel;
  return summary;
}
