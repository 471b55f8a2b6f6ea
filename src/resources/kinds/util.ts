/**
 * Small helpers for the per-kind semantic checks and defaults. Semantic checks run even on
 * documents that failed the schema (so one answer lists every problem), so they read values
 * through these guards and never assume a shape.
 */
import type { FieldError, ObjectMeta } from "../types.ts";

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function escapePointer(segment: string | number): string {
  return String(segment).replaceAll("~", "~0").replaceAll("/", "~1");
}

/** Builds a JSON pointer from segments: pointer("spec", "ipv4", "gateway") → "/spec/ipv4/gateway". */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${escapePointer(s)}`).join("");
}

/** Collects field errors; one instance per validation. */
export class Problems {
  readonly list: FieldError[] = [];

  add(at: string, value: unknown, message: string): void {
    this.list.push({ pointer: at, value, message });
  }
}

/** What a kind contributes beyond its schema. */
export interface KindRules {
  /** Fills defaults and normalizes; returns a new spec (the input is not mutated). */
  defaults(spec: Json, metadata: ObjectMeta): Json;
  /** Cross-field and format checks the schema cannot express. Must not throw on odd shapes. */
  semantic(doc: Json, problems: Problems): void;
  /** Objects of other kinds this one names (for apply ordering and dependency checks). */
  references(doc: Json): { kind: string; name: string }[];
}

export function metadataName(doc: Json): string | undefined {
  return isObject(doc.metadata) ? asString(doc.metadata.name) : undefined;
}

export function specOf(doc: Json): Json {
  return isObject(doc.spec) ? doc.spec : {};
}

/** Reports every later element whose key equals an earlier one's. */
export function checkUnique(
  problems: Problems,
  items: unknown[],
  key: (item: Json) => string | undefined,
  at: (index: number) => string,
  what: string,
  raw: (item: Json) => unknown = key,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    if (!isObject(item)) return;
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, index);
    else problems.add(at(index), raw(item), `duplicates ${what} of ${at(first)}`);
  });
}
