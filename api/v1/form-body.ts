/**
 * The form bodies PVC's clients post (urlencoded, and multipart for `curl -F data=@file`), parsed
 * into `request.body` as key → value (a repeated key → a list, a file part → a Buffer), for
 * readValues (values.ts).
 *
 * Multipart is read here rather than by the plugin's `attachFieldsToBody`: the parser (busboy)
 * fails a malformed body (no boundary, a truncated part…) with a plain Error, which the error
 * handler could not tell from a bug and answered 500. Here a body that cannot be read is the
 * client's error, BAD_REQUEST, saying why; the plugin's own typed errors (413 for a file too large)
 * keep their status.
 */
import formbody from "@fastify/formbody";
import multipart, { type Multipart } from "@fastify/multipart";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ErrorCodes, PvcError } from "../../src/errors.ts";

/** Largest form body or uploaded value we take (a VM's XML, a userdata or a script). */
export const FORM_LIMIT_BYTES = 8 * 1024 * 1024;

type FormValue = string | Buffer;

/** Adds both form parsers to `app`'s scope (a function, not a plugin: the routes beside it need them). */
export async function addFormBodies(app: FastifyInstance): Promise<void> {
  await app.register(formbody, { bodyLimit: FORM_LIMIT_BYTES });
  await app.register(multipart, { limits: { fileSize: FORM_LIMIT_BYTES, fieldSize: FORM_LIMIT_BYTES } });
  app.addHook("preValidation", async (request) => {
    if (request.isMultipart()) request.body = await readMultipart(request);
  });
}

async function readMultipart(request: FastifyRequest): Promise<Record<string, FormValue | FormValue[]>> {
  const body: Record<string, FormValue | FormValue[]> = {};
  try {
    for await (const part of request.parts()) {
      const value = await partValue(part);
      if (value === undefined) continue;
      const seen = body[part.fieldname];
      body[part.fieldname] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    }
  } catch (err) {
    throw malformed(err);
  }
  return body;
}

async function partValue(part: Multipart): Promise<FormValue | undefined> {
  if (part.type === "file") return part.toBuffer();
  // busboy cuts a field at the size limit and says so; a cut value must not pass for the whole one.
  if (part.valueTruncated) {
    throw new PvcError(
      ErrorCodes.BAD_REQUEST,
      `ERROR: Form field '${part.fieldname}' is larger than ${FORM_LIMIT_BYTES} bytes.`,
      { details: { field: part.fieldname } },
    );
  }
  // A part declared application/json arrives parsed; PVC's values are text.
  return typeof part.value === "string" ? part.value : undefined;
}

function malformed(err: unknown): unknown {
  if (err instanceof PvcError) return err;
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new PvcError(
    ErrorCodes.BAD_REQUEST,
    `ERROR: The request body is not valid multipart/form-data: ${why}.`,
    {
      cause: err,
    },
  );
}
