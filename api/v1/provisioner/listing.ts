/**
 * GET (all, by `limit`, or one) and DELETE, alike for every provisioner kind: a kind, the words
 * v0.6 used for it, and how v0.6 showed one object.
 */
import type { KindObjects, ObjectOf } from "../../../src/resources/specs.ts";
import type { FacadeDeps, FacadeHandler } from "../facade.ts";
import { notFound } from "../facade.ts";
import { readValues } from "../values.ts";
import { listed, nameOf, q, refuse, writeAnswer } from "./common.ts";
import { idsOf } from "./shape.ts";

export interface KindWords<K extends keyof KindObjects> {
  kind: K;
  /** v0.6's name for one, e.g. `system template`. */
  one: string;
  /** v0.6's 404 message, e.g. `No system templates found`. */
  none: string;
  show: (o: ObjectOf<K>, id: number) => unknown;
}

export type ByTemplate = { template: string };

/** The shown objects of a kind whose names match (a `limit`, or one exact name). */
export function shown<K extends keyof KindObjects>(
  deps: FacadeDeps,
  words: KindWords<K>,
  match: { limit?: string; name?: string },
): unknown[] {
  const all = deps.informer(words.kind).list();
  const ids = idsOf(all);
  const picked =
    match.name !== undefined ? all.filter((o) => o.metadata.name === match.name) : listed(all, match.limit);
  return picked.map((o) => words.show(o, ids.get(o.metadata.name) ?? 0));
}

/** GET of the collection: `limit` as PVC's fuzzy regex; the manual's `name` as one exact name. */
export function listHandler<K extends keyof KindObjects>(words: KindWords<K>): FacadeHandler {
  return async (deps, request, reply) => {
    const v = readValues(request);
    const name = nameOf(v);
    const out = shown(deps, words, name !== undefined ? { name } : { limit: nameOf(v, "limit") });
    return out.length === 0 ? notFound(reply, words.none) : out;
  };
}

/** GET of one by its path name. */
export function getHandler<K extends keyof KindObjects>(
  words: KindWords<K>,
  param: (p: Record<string, string>) => string,
): FacadeHandler<Record<string, string>> {
  return async (deps, request, reply) => {
    const out = shown(deps, words, { name: param(request.params) });
    return out.length === 0 ? notFound(reply, words.none) : out;
  };
}

/** DELETE of one: refused (510, naming the profiles) while a profile uses it. */
export function deleteHandler<K extends keyof KindObjects>(
  words: KindWords<K>,
  param: (p: Record<string, string>) => string,
): FacadeHandler<Record<string, string>> {
  return async (deps, request, reply) => {
    const name = param(request.params);
    if (!(await deps.store.tryGet(words.kind, name)))
      return refuse(reply, `ERROR: The ${words.one} ${q(name)} does not exist.`);
    return writeAnswer(reply, () => deps.store.delete(words.kind, name), `Removed ${words.one} ${q(name)}`);
  };
}
