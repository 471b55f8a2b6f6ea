/**
 * Loads the JSON Schemas in `schemas/` (draft 2020-12) into one Ajv instance, strict mode.
 *
 * Every kind schema refers to `envelope.json` for metadata, status and the shared value formats.
 * Two annotation keywords of our own are registered (Ajv's strict mode refuses unknown ones):
 * `x-message` replaces Ajv's generic message for errors of the keywords beside it, and `x-field`
 * names the property that an `anyOf`/`oneOf` error is about (see validate.ts).
 */
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";

export type JsonSchema = Record<string, unknown>;

/** Directory of the schema files (repo-root `schemas/`). */
export const SCHEMA_DIR = new URL("../../schemas/", import.meta.url);

export function loadSchemaFile(file: string): JsonSchema {
  return JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), "utf8")) as JsonSchema;
}

// ajv-formats is CommonJS; under NodeNext its default export is the module object's `default`.
const addFormats = addFormatsPlugin as unknown as typeof addFormatsPlugin.default;

function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    // `type: ["integer", "string"]` for sizes; strict mode otherwise refuses union types.
    allowUnionTypes: true,
    // Keeps `parentSchema` on each error, where `x-message`/`x-field` are read.
    verbose: true,
  });
  addFormats(ajv, ["date-time", "ipv4", "ipv6"]);
  ajv.addKeyword({ keyword: "x-message", schemaType: "string" });
  ajv.addKeyword({ keyword: "x-field", schemaType: "string" });
  return ajv;
}

export const ajv = createAjv();
export const envelopeSchema = loadSchemaFile("envelope.json");
ajv.addSchema(envelopeSchema);

const compiled = new Map<string, ValidateFunction>();

/** Loads and compiles `schemas/<file>` once; returns the schema and its validator. */
export function compileSchemaFile(file: string): { schema: JsonSchema; validate: ValidateFunction } {
  const schema = loadSchemaFile(file);
  let validate = compiled.get(file);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(file, validate);
  }
  return { schema, validate };
}

function resolveRef(ref: string, baseId: string): { schema: JsonSchema; baseId: string } | undefined {
  const url = new URL(ref, baseId).href;
  const schema = ajv.getSchema(url)?.schema;
  if (typeof schema !== "object" || schema === null) return undefined;
  return { schema: schema as JsonSchema, baseId: url.split("#")[0] };
}

interface FlatSchema {
  /** `properties` along the schema's `$ref` chain, nearest first. */
  merged: Record<string, JsonSchema>;
  items: JsonSchema | undefined;
  /** The base id the properties' own `$ref`s resolve against. */
  base: string;
}

/** Per schema node and base id: resolving `$ref` URLs on every document was a hot spot. */
const flattened = new WeakMap<JsonSchema, Map<string, FlatSchema>>();

function flatten(schema: JsonSchema, baseId: string): FlatSchema {
  let byBase = flattened.get(schema);
  const hit = byBase?.get(baseId);
  if (hit) return hit;
  let current = schema;
  let base = baseId;
  const merged: Record<string, JsonSchema> = {};
  let items: JsonSchema | undefined;
  for (let depth = 0; depth < 10; depth++) {
    const props = current.properties as Record<string, JsonSchema> | undefined;
    if (props) for (const [k, v] of Object.entries(props)) merged[k] ??= v;
    if (!items && typeof current.items === "object") items = current.items as JsonSchema;
    const ref = typeof current.$ref === "string" ? resolveRef(current.$ref, base) : undefined;
    if (!ref) break;
    current = ref.schema;
    base = ref.baseId;
  }
  const flat = { merged, items, base };
  if (!byBase) {
    byBase = new Map();
    flattened.set(schema, byBase);
  }
  byBase.set(baseId, flat);
  return flat;
}

/**
 * Returns `value` with object keys in the order of the schema's `properties` (then any others, in
 * their given order), recursively through `$ref`, `properties` and `items`. Two documents that
 * are equal after defaults then also serialize identically, whatever order the user wrote.
 */
export function orderBySchema(
  schema: JsonSchema,
  value: unknown,
  baseId = String(schema.$id ?? ""),
): unknown {
  const { merged, items, base } = flatten(schema, baseId);
  if (Array.isArray(value)) return items ? value.map((v) => orderBySchema(items, v, base)) : value;
  if (typeof value !== "object" || value === null) return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(merged)) {
    if (Object.hasOwn(obj, key)) out[key] = orderBySchema(merged[key], obj[key], base);
  }
  for (const [key, v] of Object.entries(obj)) if (!Object.hasOwn(out, key)) out[key] = v;
  return out;
}
