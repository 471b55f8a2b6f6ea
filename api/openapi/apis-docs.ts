/**
 * The OpenAPI description of the declarative API (api/apis/routes.ts), the probes and metrics
 * (api/health.ts), the status page (api/ui/) and the document itself. The kinds' bodies are the
 * components generated from schemas/*.json (components.ts); the `plural` parameter lists the
 * registry's kinds, so a new kind appears here without an edit.
 */
import { KINDS } from "../../src/resources/kinds.ts";
import { APIS_PREFIX, GROUP_PATH } from "../apis/routes.ts";
import { type Json, json, pathParams, type RouteDoc, ref, routeKey } from "./route-doc.ts";

const BASE = `${APIS_PREFIX}${GROUP_PATH}`;
const TAG = "declarative API";

const plural = () => ({
  type: "string",
  enum: KINDS.map((k) => k.plural),
  description: "the kind's plural name",
});
const params = (url: string) => pathParams(url, { plural: plural() });

const dryRun = {
  dryRun: {
    type: "string",
    enum: ["true", "false", "All"],
    description: "validate and answer, store nothing",
  },
};
const query = (properties: Record<string, Json>) => ({ type: "object", properties });

/** A manifest in the body: JSON, or YAML (`pvcctl apply` sends YAML). */
function manifestBody(schema: Json): Json {
  return {
    content: {
      "application/json": { schema },
      "application/yaml": { schema },
    },
  };
}

const errors = { default: json("An error, as a Status document (4xx/5xx)", ref("Status")) };

function collectionDocs(): Record<string, RouteDoc> {
  const url = `${BASE}/:plural`;
  return {
    [routeKey("GET", url)]: {
      summary: "List the objects of a kind, or watch them (?watch=true)",
      description:
        "A list reads ZooKeeper (read-your-writes). With `watch=true` the answer is a stream of newline-delimited WatchEvent lines: without a resourceVersion, ADDED for every object now, then every change; from a resourceVersion, the changes after it (410 when it is older than the history kept).",
      tags: [TAG],
      params: params(url),
      querystring: query({
        labelSelector: { type: "string", description: "equality-based: `a=b,c!=d`" },
        watch: { type: "string", enum: ["true", "false", "1", "0"] },
        resourceVersion: { type: "string", description: "watch: resume after this version" },
        timeoutSeconds: { type: "integer", minimum: 1, description: "watch: end the stream after this long" },
      }),
      response: {
        200: {
          description: "The list, or (watch) the stream of events",
          content: {
            "application/json": { schema: ref("ResourceList") },
            "application/x-ndjson": { schema: ref("WatchEvent") },
          },
        },
        ...errors,
      },
    },
    [routeKey("POST", url)]: {
      summary: "Create an object",
      tags: [TAG],
      params: params(url),
      querystring: query(dryRun),
      body: manifestBody(ref("Resource")),
      response: { 201: json("Created", ref("Resource")), ...errors },
    },
  };
}

function objectDocs(): Record<string, RouteDoc> {
  const url = `${BASE}/:plural/:name`;
  const base = { tags: [TAG], params: params(url) };
  const one = (description: string) => json(description, ref("Resource"));
  return {
    [routeKey("GET", url)]: {
      ...base,
      summary: "Read an object",
      response: { 200: one("The object"), ...errors },
    },
    [routeKey("PUT", url)]: {
      ...base,
      summary: "Replace an object (metadata.resourceVersion required: a stale one is 409)",
      querystring: query(dryRun),
      body: manifestBody(ref("Resource")),
      response: { 200: one("Replaced"), ...errors },
    },
    [routeKey("PATCH", url)]: {
      ...base,
      summary: "Merge-patch an object, or apply a full manifest (create or update)",
      description:
        "`application/merge-patch+json` (or `application/json`): an RFC 7386 merge patch. `application/apply-patch+yaml`, or any body with `?apply=true`: a full manifest, created or updated as `pvcctl apply` does; the header `x-pvc-apply-result` says created, updated or unchanged.",
      querystring: query({ ...dryRun, apply: { type: "string", enum: ["true", "false", "1", "0"] } }),
      body: {
        content: {
          "application/merge-patch+json": { schema: { type: "object" } },
          "application/json": { schema: { type: "object" } },
          "application/apply-patch+yaml": { schema: ref("Resource") },
        },
      },
      response: { 200: one("Patched, updated or unchanged"), 201: one("Created by an apply"), ...errors },
    },
    [routeKey("DELETE", url)]: {
      ...base,
      summary: "Delete an object (finalizers may hold it: deletionTimestamp set)",
      querystring: query({ ...dryRun, resourceVersion: { type: "string", description: "precondition" } }),
      response: { 200: one("The object as deleted, or with its deletionTimestamp"), ...errors },
    },
    [routeKey("GET", `${url}/status`)]: {
      ...base,
      summary: "Read an object, for its status",
      response: { 200: one("The object"), ...errors },
    },
    [routeKey("GET", `${url}/events`)]: {
      ...base,
      summary: "An object's events, oldest first (what `pvcctl describe` shows)",
      response: { 200: json("Its events", ref("EventList")), ...errors },
    },
  };
}

function discoveryDocs(): Record<string, RouteDoc> {
  return {
    [routeKey("GET", APIS_PREFIX)]: {
      summary: "The API groups served",
      tags: [TAG],
      response: { 200: json("APIGroupList", { type: "object" }), ...errors },
    },
    [routeKey("GET", BASE)]: {
      summary: "The kinds served: plural, kind, short names, verbs",
      tags: [TAG],
      response: { 200: json("APIResourceList", { type: "object" }), ...errors },
    },
  };
}

function serverDocs(): Record<string, RouteDoc> {
  const text = (description: string, type: string) => ({
    description,
    content: { [type]: { schema: { type: "string" } } },
  });
  return {
    [routeKey("GET", "/healthz")]: {
      summary: "Liveness: the process serves HTTP (open without credentials)",
      tags: ["server"],
      response: { 200: json("Serving", { type: "object" }) },
    },
    [routeKey("GET", "/readyz")]: {
      summary: "Readiness: ZooKeeper connected and every informer synced (open without credentials)",
      tags: ["server"],
      response: {
        200: json("Ready", { type: "object" }),
        503: json("Not ready, with the reasons", { type: "object" }),
      },
    },
    [routeKey("GET", "/metrics")]: {
      summary: "Prometheus metrics",
      tags: ["server"],
      response: { 200: text("Prometheus text format", "text/plain") },
    },
  };
}

/** Every route outside /api/v1 and /ui, by routeKey. */
export function apisDocs(): Record<string, RouteDoc> {
  return { ...discoveryDocs(), ...collectionDocs(), ...objectDocs(), ...serverDocs() };
}
