/**
 * What the /api/v1/provisioner route modules share: names as PVC's clients send them, PVC-style
 * value checks that name the value, lists filtered by `limit`, and one write-and-answer helper.
 * Template, script and profile writes have no controller to wait for: stored is done.
 */
import type { FastifyReply } from "fastify";
import { ErrorCodes, PvcError } from "../../../src/errors.ts";
import type { KindObjects } from "../../../src/resources/specs.ts";
import { API_GROUP_VERSION } from "../../../src/resources/types.ts";
import { attempt, type FacadeDeps, fail, ok, respond } from "../facade.ts";
import { limitFilter } from "../limit.ts";
import { getValue, type Values } from "../values.ts";

/** PVC quotes with `"`; v0.6's API turned them into `'` in every message (as storage/common.ts). */
export const q = (value: unknown) => `'${String(value)}'`;

/**
 * A name value. The manual's `?name=net200+net300` reaches us form-decoded as "net200 net300"; no
 * object name holds whitespace, so a space can only have been a `+`, which names may hold.
 */
export function nameOf(values: Values, key = "name"): string | undefined {
  return getValue(values, key)?.replaceAll(" ", "+");
}

/** A whole number value, or PVC's style of error naming the value and what it got. */
export function wholeNumber(values: Values, key: string, what: string): number | string | undefined {
  const text = getValue(values, key);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) return `ERROR: ${what} (${key}) must be a whole number, got ${q(text)}.`;
  return Number(text.trim());
}

/** A true/false value (`true`, `false`, `1`, `0`, `yes`, `no`), or an error naming it. */
export function booleanValue(values: Values, key: string): boolean | string | undefined {
  const text = getValue(values, key);
  if (text === undefined) return undefined;
  const t = text.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(t)) return true;
  if (["false", "0", "no", "off", ""].includes(t)) return false;
  return `ERROR: ${key} must be true or false, got ${q(text)}.`;
}

/** A new object of `kind`. */
export function objectOf(kind: string, name: string, spec: Record<string, unknown>) {
  return { apiVersion: API_GROUP_VERSION, kind, metadata: { name }, spec };
}

/** The objects of `kind` whose names `limit` (PVC's fuzzy regex) matches, by name. */
export function listed<T extends { metadata: { name: string } }>(
  items: readonly T[],
  limit: string | undefined,
): T[] {
  const match = limitFilter(limit);
  return items
    .filter((o) => match(o.metadata.name))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** Runs a store write and answers 200 with `success`, or 510 with the refusal. */
export async function writeAnswer(
  reply: FastifyReply,
  write: () => Promise<unknown>,
  success: string,
): Promise<FastifyReply> {
  const verdict = await attempt(async () => {
    await write();
    return ok(success);
  });
  return respond(reply, verdict);
}

/** A 510 with `message` (a bad value found before any write). */
export function refuse(reply: FastifyReply, message: string): FastifyReply {
  return respond(reply, fail(message));
}

/** A refusal found while writing: `attempt` answers it 510 as `ERROR: <message>`. */
export function refusal(message: string): PvcError {
  return new PvcError(ErrorCodes.BAD_REQUEST, message);
}

/** Rewrites an object's spec from the stored one (update at its version: a race is a CONFLICT). */
export async function editSpec<K extends keyof KindObjects>(
  deps: FacadeDeps,
  kind: K,
  name: string,
  edit: (spec: KindObjects[K]["spec"]) => KindObjects[K]["spec"],
): Promise<void> {
  const current = await deps.store.get(kind, name);
  await deps.store.update({ ...current, spec: edit(current.spec) });
}
