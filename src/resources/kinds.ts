/**
 * The kind registry: every kind we serve, its names, its schema, whether users may create it,
 * where it goes in apply order, and its rules (defaults, semantic checks, references).
 *
 * Apply order (`rank`, lower first; deletes go in reverse): what a kind names must exist before
 * it. Pools before volumes before snapshots; networks before network templates; pools and volumes
 * before storage templates (disks go in pools, images copy volumes); all templates and scripts
 * before profiles; profiles, networks and volumes before VMs. Nodes are never applied (rank 0 only
 * so that a listing sorts them first).
 */
import type { ValidateFunction } from "ajv";
import { ErrorCodes, PvcError } from "../errors.ts";
import { cephPoolRules, cephSnapshotRules, cephVolumeRules } from "./kinds/ceph.ts";
import { networkRules } from "./kinds/network.ts";
import {
  networkTemplateRules,
  provisionerProfileRules,
  provisionerScriptRules,
  storageTemplateRules,
  systemTemplateRules,
  userdataTemplateRules,
} from "./kinds/provisioner.ts";
import type { KindRules } from "./kinds/util.ts";
import { nodeRules, virtualMachineRules } from "./kinds/vm.ts";
import { compileSchemaFile, type JsonSchema } from "./schemas.ts";
import { API_GROUP_VERSION, type ObjectMeta } from "./types.ts";

export interface ResourceRef {
  kind: string;
  name: string;
}

export interface KindInfo {
  /** CamelCase kind, as in documents: `CephVolume`. */
  kind: string;
  /** Lowercase plural: the store folder and the API path segment (`cephvolumes`). */
  plural: string;
  singular: string;
  shortNames: readonly string[];
  apiVersion: string;
  /** The kind's JSON Schema (draft 2020-12), as in `schemas/<file>`. */
  schema: JsonSchema;
  schemaFile: string;
  /** Ajv validator for the whole document (schema only; see validate.ts for the full check). */
  validateSchema: ValidateFunction;
  /** False for kinds that only the cluster creates (Node). */
  userCreatable: boolean;
  /** Apply order: lower ranks first, deletes in reverse. */
  rank: number;
  /**
   * Whether objects of the kind get a Ready condition (from their controller, or the GitOps
   * watcher): `pvcctl apply --wait` waits only for those. Templates, scripts and profiles have
   * none: they are read when a VM is provisioned.
   */
  reportsReady: boolean;
  /** JSON pointers into the document that may not change after creation. */
  immutable: readonly string[];
  /** Fills defaults and normalizes (pure: returns a new spec). Expects a valid spec. */
  defaults(spec: Record<string, unknown>, metadata: ObjectMeta): Record<string, unknown>;
  /** Objects of other kinds this document names. */
  references(doc: Record<string, unknown>): ResourceRef[];
  /** @internal semantic checks, used by validateResource. */
  rules: KindRules;
}

interface KindDef {
  kind: string;
  plural: string;
  shortNames: string[];
  userCreatable?: boolean;
  rank: number;
  /** False for kinds no controller reports on (default true). */
  reportsReady?: boolean;
  immutable?: string[];
  rules: KindRules;
}

const DEFS: KindDef[] = [
  { kind: "Node", plural: "nodes", shortNames: ["no"], userCreatable: false, rank: 0, rules: nodeRules },
  {
    kind: "Network",
    plural: "networks",
    shortNames: ["net"],
    rank: 1,
    // vni and type may change: the controller moves or rewrites the keys in one transaction.
    rules: networkRules,
  },
  {
    kind: "CephPool",
    plural: "cephpools",
    shortNames: ["pool", "cpool"],
    rank: 1,
    immutable: ["/spec/application"],
    rules: cephPoolRules,
  },
  {
    kind: "SystemTemplate",
    reportsReady: false,
    plural: "systemtemplates",
    shortNames: ["systpl"],
    rank: 1,
    rules: systemTemplateRules,
  },
  {
    kind: "UserdataTemplate",
    reportsReady: false,
    plural: "userdatatemplates",
    shortNames: ["usertpl"],
    rank: 1,
    rules: userdataTemplateRules,
  },
  {
    kind: "ProvisionerScript",
    reportsReady: false,
    plural: "provisionerscripts",
    shortNames: ["script"],
    rank: 1,
    rules: provisionerScriptRules,
  },
  {
    kind: "CephVolume",
    plural: "cephvolumes",
    shortNames: ["volume", "vol", "cvol"],
    rank: 2,
    immutable: ["/spec/pool", "/spec/name", "/spec/source"],
    rules: cephVolumeRules,
  },
  {
    kind: "NetworkTemplate",
    reportsReady: false,
    plural: "networktemplates",
    shortNames: ["nettpl"],
    rank: 2,
    rules: networkTemplateRules,
  },
  {
    kind: "CephSnapshot",
    plural: "cephsnapshots",
    shortNames: ["snapshot", "snap", "csnap"],
    rank: 3,
    immutable: ["/spec/pool", "/spec/volume", "/spec/name"],
    rules: cephSnapshotRules,
  },
  {
    kind: "StorageTemplate",
    reportsReady: false,
    plural: "storagetemplates",
    shortNames: ["stortpl"],
    rank: 3,
    rules: storageTemplateRules,
  },
  {
    kind: "ProvisionerProfile",
    reportsReady: false,
    plural: "provisionerprofiles",
    shortNames: ["profile"],
    rank: 4,
    rules: provisionerProfileRules,
  },
  {
    kind: "VirtualMachine",
    plural: "virtualmachines",
    shortNames: ["vm"],
    rank: 5,
    immutable: ["/spec/profile"],
    rules: virtualMachineRules,
  },
  // Written by the GitOps watcher (src/gitops) only: the watched folder's settings, last sync and inventory.
  {
    kind: "GitOpsSync",
    plural: "gitopssyncs",
    shortNames: ["sync", "syncs"],
    userCreatable: false,
    rank: 6,
    rules: { defaults: (spec) => ({ ...spec }), semantic: () => undefined, references: () => [] },
  },
];

function build(def: KindDef): KindInfo {
  const schemaFile = `${def.kind.toLowerCase()}.json`;
  const { schema, validate } = compileSchemaFile(schemaFile);
  const rules = def.rules;
  return Object.freeze({
    kind: def.kind,
    plural: def.plural,
    singular: def.kind.toLowerCase(),
    shortNames: Object.freeze([...def.shortNames]),
    apiVersion: API_GROUP_VERSION,
    schema,
    schemaFile,
    validateSchema: validate,
    userCreatable: def.userCreatable ?? true,
    rank: def.rank,
    reportsReady: def.reportsReady ?? true,
    immutable: Object.freeze([...(def.immutable ?? [])]),
    defaults: (spec: Record<string, unknown>, metadata: ObjectMeta) => rules.defaults(spec, metadata),
    references: (doc: Record<string, unknown>) => dedupeRefs(rules.references(doc)),
    rules,
  });
}

function dedupeRefs(refs: ResourceRef[]): ResourceRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const key = `${r.kind}/${r.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every kind, in apply order (rank, then kind name). */
export const KINDS: readonly KindInfo[] = Object.freeze(
  DEFS.map(build).sort((a, b) => a.rank - b.rank || a.kind.localeCompare(b.kind)),
);

const LOOKUP = new Map<string, KindInfo>();
for (const info of KINDS) {
  for (const alias of [info.kind, info.plural, info.singular, ...info.shortNames]) {
    const key = alias.toLowerCase();
    const clash = LOOKUP.get(key);
    if (clash && clash !== info)
      throw new Error(`kind alias ${alias} is used by ${clash.kind} and ${info.kind}`);
    LOOKUP.set(key, info);
  }
}

/** Finds a kind by kind, plural, singular or short name, case-insensitively. */
export function lookupKind(name: string): KindInfo | undefined {
  return LOOKUP.get(name.toLowerCase());
}

/** Like lookupKind, but throws NOT_FOUND naming the known kinds. */
export function getKind(name: string): KindInfo {
  const info = lookupKind(name);
  if (!info) {
    throw new PvcError(
      ErrorCodes.NOT_FOUND,
      `unknown kind ${JSON.stringify(name)}; known kinds: ${KINDS.map((k) => k.kind).join(", ")}`,
      { details: { kind: name } },
    );
  }
  return info;
}

/** Sorts documents for apply: by kind rank, then kind, then name (stable for equal keys). */
export function sortForApply<T extends { kind: string; metadata: { name: string } }>(
  docs: readonly T[],
): T[] {
  const rank = (d: T) => lookupKind(d.kind)?.rank ?? Number.MAX_SAFE_INTEGER;
  return [...docs].sort(
    (a, b) =>
      rank(a) - rank(b) || a.kind.localeCompare(b.kind) || a.metadata.name.localeCompare(b.metadata.name),
  );
}

/** Sorts documents for deletion: dependents first (the reverse of sortForApply). */
export function sortForDelete<T extends { kind: string; metadata: { name: string } }>(
  docs: readonly T[],
): T[] {
  return sortForApply(docs).reverse();
}
