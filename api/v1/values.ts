/**
 * PVC's values: every /api/v1 endpoint takes its arguments as query parameters or as a form body
 * (urlencoded or multipart), in GET and POST alike, like Flask's `request.values`. Query values come
 * first, so for a key given in both the query wins `getValue` (as in Flask); `getValues` has them all.
 * A repeated key (`arg=a&arg=b`, `filesystem_arg`) is a list. A flag is on by its presence alone
 * (`?restart`, `?restart=` and `?restart=no` are all "on"), as the manual says.
 */
import type { FastifyRequest } from "fastify";

export type Values = Readonly<Record<string, string | readonly string[]>>;

function push(out: Record<string, string[]>, key: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) push(out, key, v);
    return;
  }
  // A multipart file part (`curl -F data=@file`) arrives as a Buffer: its text is the value.
  const text = Buffer.isBuffer(value)
    ? value.toString("utf8")
    : typeof value === "object"
      ? undefined
      : String(value);
  if (text === undefined) return;
  out[key] ??= [];
  out[key].push(text);
}

function collect(out: Record<string, string[]>, source: unknown): void {
  if (source === null || typeof source !== "object" || Buffer.isBuffer(source)) return;
  for (const [key, value] of Object.entries(source)) push(out, key, value);
}

/** Query values, then form-body values; a key with one value maps to a string, with several to a list. */
export function readValues(request: FastifyRequest): Values {
  // No prototype: a key such as `constructor` or `__proto__` is the client's value, not Object's.
  const all: Record<string, string[]> = Object.create(null);
  collect(all, request.query);
  if (isFormBody(request)) collect(all, request.body);
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [key, list] of Object.entries(all)) out[key] = list.length === 1 ? list[0] : list;
  return out;
}

/** Only form bodies carry values (a JSON body is not PVC's protocol). */
function isFormBody(request: FastifyRequest): boolean {
  const type = request.headers["content-type"] ?? "";
  return type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data");
}

/** The first value of `name`, or undefined if it was not given. */
export function getValue(values: Values, name: string): string | undefined {
  const v = values[name];
  return v === undefined ? undefined : typeof v === "string" ? v : v[0];
}

/** Every value of `name` in order (for repeated keys such as `arg`); [] if not given. */
export function getValues(values: Values, name: string): string[] {
  const v = values[name];
  return v === undefined ? [] : typeof v === "string" ? [v] : [...v];
}

/** A flag: true if `name` was given at all, whatever its value. */
export function hasFlag(values: Values, name: string): boolean {
  return values[name] !== undefined;
}
