/**
 * Request bodies of the declarative API: JSON (fastify's own parser), YAML manifests, and the patch
 * media types. The media type of a PATCH says what it means:
 * - `application/merge-patch+json` (or plain `application/json`): an RFC 7386 merge patch;
 * - `application/apply-patch+yaml` (YAML or JSON text), or any body with `?apply=true`: a full
 *   manifest to create or update from (store.apply, what `pvcctl apply` and GitOps do).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import { loadUserYaml } from "../../src/resources/yaml.ts";

export const MERGE_PATCH = "application/merge-patch+json";
export const APPLY_PATCH = "application/apply-patch+yaml";
const YAML_TYPES = ["application/yaml", "application/x-yaml", "text/yaml", APPLY_PATCH];

function parseYaml(text: string): unknown {
  try {
    // Aliases are costed before anything is built: a few hundred bytes must not stand for 10^9 nodes.
    return loadUserYaml(text);
  } catch (err) {
    throw new PvcError(ErrorCodes.BAD_REQUEST, `the body is not valid YAML: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Adds the YAML and merge-patch parsers to this (encapsulated) instance. */
export function addContentParsers(app: FastifyInstance): void {
  app.addContentTypeParser(MERGE_PATCH, { parseAs: "string" }, app.getDefaultJsonParser("error", "error"));
  app.addContentTypeParser(YAML_TYPES, { parseAs: "string" }, (_request, body, done) => {
    try {
      // YAML is a superset of JSON: an apply body may be either.
      done(null, parseYaml(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

export type PatchMode = "merge" | "apply";

function mediaType(request: FastifyRequest): string {
  return (request.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
}

/** What a PATCH asks for, from its media type and `?apply`. */
export function patchMode(request: FastifyRequest, applyFlag: boolean): PatchMode {
  const type = mediaType(request);
  if (applyFlag || type === APPLY_PATCH) return "apply";
  if (type === MERGE_PATCH || type === "application/json" || type === "") return "merge";
  throw new PvcError(
    ErrorCodes.BAD_REQUEST,
    `PATCH with ${JSON.stringify(type)}: use ${MERGE_PATCH} (merge patch) or ${APPLY_PATCH} / ?apply=true (apply a full manifest)`,
  );
}

/** A body that must be one object (a manifest or a patch). */
export function bodyObject(body: unknown, what: string): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new PvcError(ErrorCodes.BAD_REQUEST, `${what}: the body must be one JSON or YAML object`);
  }
  return body as Record<string, unknown>;
}
