/**
 * Query parameters of the declarative API, parsed strictly: a typo such as `dryRun=yes` is a 400,
 * not a silent real write.
 */
import { ErrorCodes, PvcError } from "../../src/errors.ts";

export type Query = Record<string, string | string[] | undefined>;

function single(query: Query, name: string): string | undefined {
  const v = query[name];
  if (Array.isArray(v)) {
    throw new PvcError(
      ErrorCodes.BAD_REQUEST,
      `query parameter ${name} is given ${v.length} times; give it once`,
    );
  }
  return v;
}

/** `?name=true|1` (or bare `?name`) → true; absent, `false` or `0` → false; anything else is a 400. */
export function flag(query: Query, name: string): boolean {
  const v = single(query, name);
  if (v === undefined || v === "false" || v === "0") return false;
  if (v === "" || v === "true" || v === "1") return true;
  throw new PvcError(
    ErrorCodes.BAD_REQUEST,
    `query parameter ${name}=${JSON.stringify(v)}: use true or false`,
  );
}

/** `?dryRun=true` or Kubernetes' `?dryRun=All`. */
export function dryRun(query: Query): boolean {
  const v = single(query, "dryRun");
  if (v !== undefined && v.toLowerCase() === "all") return true;
  return flag(query, "dryRun");
}

export function text(query: Query, name: string): string | undefined {
  const v = single(query, name);
  return v === "" ? undefined : v;
}

/** A whole number of seconds > 0, or undefined. */
export function seconds(query: Query, name: string): number | undefined {
  const v = text(query, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) <= 0) {
    throw new PvcError(
      ErrorCodes.BAD_REQUEST,
      `query parameter ${name}=${JSON.stringify(v)}: a whole number of seconds > 0`,
    );
  }
  return Number(v);
}
