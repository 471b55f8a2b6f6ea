/**
 * validateResource: schema (Ajv, draft 2020-12, strict, all errors) plus each kind's semantic
 * checks, in one pass that reports every failing field; then defaults. Throws one
 * PvcError(VALIDATION_FAILED) whose `details.fields` lists `{pointer, value, message}` per field
 * and whose message has one line per field. Never mutates its input.
 */
import { isDeepStrictEqual } from "node:util";
import type { ErrorObject } from "ajv";
import { ErrorCodes, PvcError } from "../errors.ts";
import { jsonPrefix } from "./json-prefix.ts";
import { escapePointer, isObject, Problems } from "./kinds/util.ts";
import { KINDS, type KindInfo, lookupKind } from "./kinds.ts";
import { type JsonSchema, orderBySchema } from "./schemas.ts";
import type { FieldError, ObjectMeta, Resource } from "./types.ts";

export { parseDomainXml } from "./domain-xml.ts";
export { formatSizeExact, formatSizeHuman, parseSize, SizeError, tryParseSize } from "./size.ts";

/** Reads the value at a JSON pointer (RFC 6901); undefined when absent. */
export function getAtPointer(doc: unknown, at: string): unknown {
  if (at === "") return doc;
  let cur: unknown = doc;
  for (const raw of at.slice(1).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObject(cur)) cur = Object.hasOwn(cur, key) ? cur[key] : undefined;
    else return undefined;
  }
  return cur;
}

function xMessage(err: ErrorObject): string | undefined {
  const parent = err.parentSchema as Record<string, unknown> | undefined;
  const msg = parent?.["x-message"];
  return typeof msg === "string" ? msg : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length];
}

function unknownFieldMessage(err: ErrorObject, field: string): string {
  const props = (err.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  const known = Object.keys(props);
  const best = known
    .map((k) => ({ k, d: levenshtein(field, k) }))
    .filter(({ d }) => d <= Math.max(1, Math.floor(field.length / 3)))
    .sort((x, y) => x.d - y.d)[0];
  const hint = best
    ? `; did you mean ${JSON.stringify(best.k)}?`
    : known.length
      ? ` (known: ${known.join(", ")})`
      : "";
  return `is not a known field${hint}`;
}

/** Turns Ajv's errors into field errors: one per bad field, pointing at the field itself. */
/** Field errors named per document; past it, one line says how many more there are. */
export const MAX_FIELD_ERRORS = 100;

export function mapSchemaErrors(errors: readonly ErrorObject[], doc: unknown): FieldError[] {
  // A combinator with an x-message stands for all its branches' errors.
  const collapsed = errors.filter(
    (e) => (e.keyword === "oneOf" || e.keyword === "anyOf") && xMessage(e) !== undefined,
  );
  const inCollapsed = (e: ErrorObject) =>
    collapsed.some(
      (c) =>
        c !== e && e.schemaPath.startsWith(`${c.schemaPath}/`) && e.instancePath.startsWith(c.instancePath),
    );
  const out: FieldError[] = [];
  const seen = new Set<string>();
  const push = (at: string, message: string, value: unknown = getAtPointer(doc, at)) => {
    const key = `${at}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ pointer: at, value, message });
  };
  for (const [i, e] of errors.entries()) {
    if (out.length >= MAX_FIELD_ERRORS) {
      // A hostile document (an 8 MiB object of unknown keys) has hundreds of thousands of errors:
      // naming each one held the event loop for tens of seconds. The first ones say what is wrong.
      out.push({
        pointer: "",
        value: undefined,
        message: `and ${errors.length - i} more schema errors, not listed`,
      });
      break;
    }
    if (inCollapsed(e) || e.keyword === "propertyNames") continue;
    const params = e.params as Record<string, unknown>;
    // Errors about a property *name* (propertyNames) point at that property.
    const base =
      e.propertyName !== undefined ? `${e.instancePath}/${escapePointer(e.propertyName)}` : e.instancePath;
    if (e.propertyName !== undefined) {
      // The bad value is the key itself.
      push(base, xMessage(e) ?? `is not an allowed name: ${e.message ?? e.keyword}`, e.propertyName);
      continue;
    }
    switch (e.keyword) {
      case "required":
        push(`${base}/${escapePointer(String(params.missingProperty))}`, "is required", undefined);
        break;
      case "additionalProperties": {
        const field = String(params.additionalProperty);
        push(`${base}/${escapePointer(field)}`, unknownFieldMessage(e, field));
        break;
      }
      case "oneOf":
      case "anyOf": {
        const field = (e.parentSchema as Record<string, unknown> | undefined)?.["x-field"];
        const at = typeof field === "string" ? `${base}/${escapePointer(field)}` : base;
        push(at, xMessage(e) ?? e.message ?? `must match the ${e.keyword} alternatives`);
        break;
      }
      case "uniqueItems": {
        const i = Number(params.i);
        const j = Number(params.j);
        push(`${base}/${Math.max(i, j)}`, `duplicates item ${Math.min(i, j)} (${base}/${Math.min(i, j)})`);
        break;
      }
      case "enum":
        push(
          base,
          xMessage(e) ??
            `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
        );
        break;
      case "const":
        push(base, xMessage(e) ?? `must be ${JSON.stringify(params.allowedValue)}`);
        break;
      case "type":
        push(base, xMessage(e) ?? `must be of type ${String(params.type).replace(",", " or ")}`);
        break;
      case "format":
        push(base, xMessage(e) ?? `must be a valid ${String(params.format)}`);
        break;
      default:
        push(base, xMessage(e) ?? e.message ?? `fails ${e.keyword}`);
    }
  }
  return out;
}

function isWithin(child: string, parent: string): boolean {
  return child === parent || child.startsWith(`${parent}/`);
}

/**
 * Values (objects, arrays, scalars) a document may hold. The largest real ones (a Network with
 * thousands of DHCP reservations) hold tens of thousands; an 8 MiB body of 480,000 unknown keys held
 * the event loop for 30-45 s in schema validation, with every request of every client waiting.
 */
export const MAX_DOCUMENT_VALUES = 100_000;

/** Whether `doc` holds more than `max` values, counted without recursion and stopping at `max`. */
function exceedsValues(doc: unknown, max: number): boolean {
  const stack: unknown[] = [doc];
  let count = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (++count > max) return true;
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v !== null && typeof v === "object") for (const x of Object.values(v)) stack.push(x);
  }
  return false;
}

export interface CheckResult {
  /** The kind, when the document named a known one. */
  info?: KindInfo;
  fields: FieldError[];
}

/** Every problem of a document, without throwing and without defaults (for linters and dry runs). */
export function checkResource(doc: unknown): CheckResult {
  if (!isObject(doc)) {
    return {
      fields: [
        { pointer: "", value: doc, message: "must be an object with apiVersion, kind, metadata and spec" },
      ],
    };
  }
  if (typeof doc.kind !== "string") {
    return {
      fields: [
        {
          pointer: "/kind",
          value: doc.kind,
          message: `${doc.kind === undefined ? "is required" : "must be a string"}; known kinds: ${KINDS.map((k) => k.kind).join(", ")}`,
        },
      ],
    };
  }
  if (exceedsValues(doc, MAX_DOCUMENT_VALUES)) {
    return {
      fields: [
        {
          pointer: "",
          value: undefined,
          message: `has more than ${MAX_DOCUMENT_VALUES} values; no resource needs that many`,
        },
      ],
    };
  }
  const info = lookupKind(doc.kind);
  if (!info) {
    return {
      fields: [
        {
          pointer: "/kind",
          value: doc.kind,
          message: `is not a known kind; known kinds: ${KINDS.map((k) => k.kind).join(", ")}`,
        },
      ],
    };
  }
  const schemaOk = info.validateSchema(doc);
  const schemaFields = schemaOk ? [] : mapSchemaErrors(info.validateSchema.errors ?? [], doc);
  const problems = new Problems();
  try {
    info.rules.semantic(doc, problems);
  } catch (err) {
    // Semantic checks tolerate odd shapes; if one still trips over a schema-invalid document,
    // the schema errors already say what is wrong. On a schema-valid document it is a bug.
    if (schemaOk) throw err;
  }
  const semanticFields = problems.list.filter(
    (p) => !schemaFields.some((s) => isWithin(p.pointer, s.pointer)),
  );
  return { info, fields: [...schemaFields, ...semanticFields] };
}

const MAX_VALUE_TEXT = 60;

/**
 * A value as shown in an error message: JSON, cut to 60 characters. Only those characters are
 * written (jsonPrefix), never the whole value: a bad field may hold a huge or aliased value.
 */
export function shortValue(value: unknown): string {
  let text: string;
  let cut = false;
  try {
    const prefix = jsonPrefix(value, MAX_VALUE_TEXT);
    text = prefix?.text ?? String(value);
    cut = prefix?.cut ?? false;
  } catch {
    text = String(value); // a toJSON that throws
  }
  return cut || text.length > MAX_VALUE_TEXT ? `${text.slice(0, MAX_VALUE_TEXT - 1)}…` : text;
}

/** One line per field: `/spec/ipv4/gateway: must be a host address inside 10.0.0.0/24 (got "10.1.0.1")`. */
export function formatFieldErrors(fields: readonly FieldError[]): string {
  return fields
    .map(
      (f) =>
        `  ${f.pointer || "(document)"}: ${f.message}${f.value === undefined ? "" : ` (got ${shortValue(f.value)})`}`,
    )
    .join("\n");
}

/** The VALIDATION_FAILED error for a list of field errors (also for callers with checks of their own). */
export function validationError(
  kind: string | undefined,
  name: string | undefined,
  fields: FieldError[],
): PvcError {
  const what = [kind ?? "document", name === undefined ? undefined : JSON.stringify(name)]
    .filter(Boolean)
    .join(" ");
  const count = fields.length === 1 ? "1 invalid field" : `${fields.length} invalid fields`;
  return new PvcError(ErrorCodes.VALIDATION_FAILED, `${what}: ${count}:\n${formatFieldErrors(fields)}`, {
    details: { kind, name, fields },
  });
}

/**
 * Validates a document of any kind and returns it with defaults applied (a new object; the input
 * is not touched). Throws PvcError(VALIDATION_FAILED) listing every failing field.
 */
export function validateResource(doc: unknown): Resource {
  const { info, fields } = checkResource(doc);
  const obj = doc as Record<string, unknown>;
  const metadata = isObject(obj?.metadata) ? obj.metadata : {};
  const name = typeof metadata.name === "string" ? metadata.name : undefined;
  if (fields.length > 0 || !info) {
    throw validationError(typeof obj?.kind === "string" ? obj.kind : undefined, name, fields);
  }
  const copy = structuredClone(obj) as unknown as Resource;
  const specSchema = (info.schema.properties as Record<string, JsonSchema>).spec;
  const defaulted = info.defaults(copy.spec as Record<string, unknown>, copy.metadata as ObjectMeta);
  copy.spec = orderBySchema(specSchema, defaulted, String(info.schema.$id)) as Record<string, unknown>;
  if (!info.validateSchema(copy)) {
    // Defaults must keep a valid document valid; anything else is a bug in a kind's defaults().
    throw new Error(
      `defaults of ${info.kind} produced an invalid document:\n${formatFieldErrors(mapSchemaErrors(info.validateSchema.errors ?? [], copy))}`,
    );
  }
  return copy;
}

/**
 * Fields that may not change after creation (the kind's `immutable` pointers), compared on the
 * validated (defaulted) forms of the stored object and the update. Empty when the update is fine.
 */
export function checkImmutable(current: Resource, next: Resource): FieldError[] {
  const info = lookupKind(next.kind);
  if (!info) return [];
  const out: FieldError[] = [];
  for (const at of info.immutable) {
    const before = getAtPointer(current, at);
    const after = getAtPointer(next, at);
    if (!isDeepStrictEqual(before, after)) {
      out.push({
        pointer: at,
        value: after,
        message: `is immutable (was ${before === undefined ? "unset" : shortValue(before)}); delete and recreate the object to change it`,
      });
    }
  }
  return out;
}
