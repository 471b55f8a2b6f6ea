/**
 * The kinds' JSON Schemas (schemas/*.json, draft 2020-12) as OpenAPI 3.1 components, generated at
 * run time from the very schemas the store validates with, so the document cannot drift from them.
 *
 * OpenAPI 3.1's Schema Object is JSON Schema 2020-12, so a schema moves over as it is, except for
 * where it lives: `schemas/network.json` becomes `#/components/schemas/Network`, its `$defs/aclList`
 * becomes `Network_aclList`, and `envelope.json#/$defs/objectMeta` becomes `Envelope_objectMeta`.
 * Every `$ref` is rewritten to those names (tools that render or generate from the document resolve
 * `#/components/...` refs; few resolve a file name against a `$id`), and `$id`/`$schema` go.
 * Our annotation keywords (`x-message`, `x-field`) stay: OpenAPI allows `x-` extensions there.
 */
import { KINDS } from "../../src/resources/kinds.ts";
import { envelopeSchema, type JsonSchema } from "../../src/resources/schemas.ts";

type Json = unknown;

const ENVELOPE_FILE = "envelope.json";
const ENVELOPE = "Envelope";
const COMPONENTS = "#/components/schemas/";

/** Component name of each schema file: the kind's name, or Envelope. */
function ownersByFile(): Map<string, string> {
  const owners = new Map<string, string>([[ENVELOPE_FILE, ENVELOPE]]);
  for (const info of KINDS) owners.set(info.schemaFile, info.kind);
  return owners;
}

/** `$ref` (relative to the file `owner` came from) as a components ref. */
function componentRef(ref: string, owner: string, owners: Map<string, string>): string {
  const hash = ref.indexOf("#");
  const file = hash < 0 ? ref : ref.slice(0, hash);
  const fragment = hash < 0 ? "" : ref.slice(hash + 1);
  const target = file === "" ? owner : owners.get(file);
  if (target === undefined)
    throw new Error(`openapi: $ref ${JSON.stringify(ref)} names an unknown schema file`);
  if (fragment === "" || fragment === "/") return `${COMPONENTS}${target}`;
  const def = /^\/\$defs\/([A-Za-z0-9_.-]+)$/.exec(fragment);
  if (!def)
    throw new Error(`openapi: $ref ${JSON.stringify(ref)}: only whole schemas and $defs are supported`);
  return `${COMPONENTS}${target}_${def[1]}`;
}

/** A copy of `value` with every `$ref` rewritten (see the file comment). */
function rewriteRefs(value: Json, owner: string, owners: Map<string, string>): Json {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, owner, owners));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, Json> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      key === "$ref" && typeof v === "string"
        ? componentRef(v, owner, owners)
        : rewriteRefs(v, owner, owners);
  }
  return out;
}

/** One schema file's components: the schema itself (not for the envelope) and each of its $defs. */
function componentsOf(
  schema: JsonSchema,
  owner: string,
  owners: Map<string, string>,
  withRoot: boolean,
): Record<string, Json> {
  const { $id: _id, $schema: _schema, $defs, ...rest } = schema;
  const out: Record<string, Json> = {};
  if (withRoot) out[owner] = rewriteRefs(rest, owner, owners);
  for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, Json>)) {
    out[`${owner}_${name}`] = rewriteRefs(def, owner, owners);
  }
  return out;
}

/** Any resource: one of the kinds, told apart by `kind`. */
export function resourceSchema(): Json {
  return {
    description: "A resource of any kind (the path's kind at /apis/.../<plural>).",
    oneOf: KINDS.map((k) => ({ $ref: `${COMPONENTS}${k.kind}` })),
    discriminator: {
      propertyName: "kind",
      mapping: Object.fromEntries(KINDS.map((k) => [k.kind, `${COMPONENTS}${k.kind}`])),
    },
  };
}

/** The declarative API's own documents besides the kinds. */
function apiDocuments(): Record<string, Json> {
  const ref = (name: string) => ({ $ref: `${COMPONENTS}${name}` });
  return {
    Resource: resourceSchema(),
    ResourceList: {
      type: "object",
      required: ["apiVersion", "kind", "metadata", "items"],
      properties: {
        apiVersion: { type: "string" },
        kind: { type: "string", description: "`<Kind>List`" },
        metadata: { type: "object", properties: { resourceVersion: { type: "string" } } },
        items: { type: "array", items: ref("Resource") },
      },
    },
    WatchEvent: {
      type: "object",
      description: "One line of a watch (?watch=true): newline-delimited JSON.",
      required: ["type", "object"],
      properties: { type: { enum: ["ADDED", "MODIFIED", "DELETED"] }, object: ref("Resource") },
    },
    Event: {
      type: "object",
      required: ["type", "reason", "message", "timestamp", "firstTimestamp", "count"],
      properties: {
        type: { enum: ["Normal", "Warning"] },
        reason: { type: "string" },
        message: { type: "string" },
        timestamp: { type: "string", format: "date-time" },
        firstTimestamp: { type: "string", format: "date-time" },
        count: { type: "integer", minimum: 1 },
      },
    },
    EventList: {
      type: "object",
      properties: {
        kind: { const: "EventList" },
        apiVersion: { type: "string" },
        involvedObject: {
          type: "object",
          properties: { kind: { type: "string" }, name: { type: "string" }, uid: { type: "string" } },
        },
        items: { type: "array", items: ref("Event") },
      },
    },
    Status: {
      type: "object",
      description:
        "An error of the declarative API: `code` is the stable code of the error catalogue (src/errors.ts), `details.fields` names each bad field by JSON pointer with its value.",
      required: ["kind", "apiVersion", "status", "code", "reason", "message"],
      properties: {
        kind: { const: "Status" },
        apiVersion: { const: "v1" },
        status: { const: "Failure" },
        code: { type: "string" },
        reason: { type: "string" },
        message: { type: "string" },
        details: { type: "object" },
      },
    },
    Message: {
      type: "object",
      description: "PVC's answer shape on /api/v1 (and the auth gate's refusals outside /apis).",
      required: ["message"],
      properties: { message: { type: "string" } },
    },
  };
}

/** Every component schema of the document: the kinds, the envelope's definitions, the API's documents. */
export function componentSchemas(): Record<string, Json> {
  const owners = ownersByFile();
  const out: Record<string, Json> = { ...componentsOf(envelopeSchema, ENVELOPE, owners, false) };
  for (const info of KINDS) Object.assign(out, componentsOf(info.schema, info.kind, owners, true));
  return { ...out, ...apiDocuments() };
}
