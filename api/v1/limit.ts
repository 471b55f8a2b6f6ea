/**
 * PVC's fuzzy `limit`, exactly as PVC v0.6's client-common does it (node.py, vm.py, network.py,
 * ceph.py `get_list`):
 *
 *     if not re.match('\^.*', limit): limit = '.*' + limit    # does not start with ^
 *     if not re.match('.*\$', limit): limit = limit + '.*'    # has no $ (before any newline)
 *     re.match(limit, name)                                   # anchored at the start only
 *
 * So `hv` finds `hv1` and `pvchv2`, `^hv` only names starting with hv, `hv1$` only names ending
 * with hv1. The result here is a RegExp anchored at the start like `re.match`. Patterns are
 * JavaScript regular expressions: the common syntax is the same as Python's, but Python-only
 * constructs such as `(?P<name>…)` are refused as invalid.
 */
import { ErrorCodes, PvcError } from "../../src/errors.ts";

/** The limit as PVC widens it, before compiling (exported for tests and messages). */
export function fuzzyPattern(limit: string): string {
  let pattern = limit;
  if (!pattern.startsWith("^")) pattern = `.*${pattern}`;
  const firstLine = pattern.split("\n", 1)[0];
  if (!firstLine.includes("$")) pattern = `${pattern}.*`;
  return pattern;
}

/**
 * Compiles a PVC fuzzy limit. Throws PvcError(BAD_REQUEST) with PVC's "Regex Error: …" message for
 * an invalid pattern (the facade answers it with 400), never a crash.
 */
export function fuzzyLimit(limit: string): RegExp {
  const pattern = fuzzyPattern(limit);
  try {
    // Compiled bare first: inside the group below, a stray ")" could close it and pass.
    new RegExp(pattern);
    // `re.match` anchors at the start only; the group keeps a top-level `|` inside the anchor.
    return new RegExp(`^(?:${pattern})`);
  } catch (err) {
    throw new PvcError(
      ErrorCodes.BAD_REQUEST,
      `Regex Error: limit ${JSON.stringify(limit)} is not a valid regular expression: ${(err as Error).message}`,
      { cause: err, details: { limit } },
    );
  }
}

/** A filter for a list of names: all of them without a limit, else those the fuzzy limit matches. */
export function limitFilter(limit: string | undefined): (name: string) => boolean {
  if (limit === undefined || limit === "") return () => true;
  const re = fuzzyLimit(limit);
  return (name) => re.test(name);
}
