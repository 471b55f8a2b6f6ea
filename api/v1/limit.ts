/**
 * PVC's fuzzy `limit`, exactly as PVC v0.6's client-common does it (node.py, vm.py, network.py,
 * ceph.py `get_list`):
 *
 *     if not re.match('\^.*', limit): limit = '.*' + limit    # does not start with ^
 *     if not re.match('.*\$', limit): limit = limit + '.*'    # has no $ (before any newline)
 *     re.match(limit, name)                                   # anchored at the start only
 *
 * So `hv` finds `hv1` and `pvchv2`, `^hv` only names starting with hv, `hv1$` only names ending
 * with hv1. The result here matches anchored at the start like `re.match`.
 *
 * The pattern is user text run against every name of a list, so it is matched by RE2 (the re2js
 * port: pure JavaScript, no native build), whose time is linear in the name's length. A
 * backtracking engine (JavaScript's RegExp, Python's re) takes exponential time on patterns such as
 * `(a+)+$`, and one such request blocked the whole process for 18 s. RE2's syntax is the common
 * Perl/Python one, including Python's `(?P<name>…)` and inline flags such as `(?i)`; what needs
 * backtracking (backreferences, lookahead and lookbehind) is refused with a 400, as are patterns
 * longer than MAX_LIMIT_LENGTH or compiling to more than MAX_LIMIT_PROGRAM_SIZE instructions.
 */
import { RE2JS } from "re2js";
import { ErrorCodes, PvcError } from "../../src/errors.ts";

/**
 * The longest limit accepted, in characters. Real limits are a few dozen (an alternation of 40
 * names fits). At this length the patterns without a counted repeat `{n}` that we tried compiled to
 * at most about 800 instructions, so only `{n}` meets MAX_LIMIT_PROGRAM_SIZE.
 */
export const MAX_LIMIT_LENGTH = 512;

/**
 * The most RE2 instructions a limit may compile to. Matching is linear in the name's length but
 * also in the program's size, and counted repeats multiply it: `(?i)(?:.*(\pL|\pN)){400}` compiles
 * to 2,000 instructions and costs about 19 ms per 253-character name here. At 1,000 the worst
 * pattern we found costs about 4 ms per name; realistic limits (a UUID, `^(web|db)-[0-9]{1,3}$`)
 * stay under 60 instructions.
 */
export const MAX_LIMIT_PROGRAM_SIZE = 1000;

/** A compiled limit: `test` answers PVC's `re.match(limit, name)`. */
export interface LimitMatcher {
  test(name: string): boolean;
}

/** The limit as PVC widens it, before compiling (exported for tests and messages). */
export function fuzzyPattern(limit: string): string {
  let pattern = limit;
  if (!pattern.startsWith("^")) pattern = `.*${pattern}`;
  const firstLine = pattern.split("\n", 1)[0];
  if (!firstLine.includes("$")) pattern = `${pattern}.*`;
  return pattern;
}

function regexError(limit: string, why: string, cause?: unknown): PvcError {
  return new PvcError(ErrorCodes.BAD_REQUEST, `Regex Error: limit ${JSON.stringify(limit)} ${why}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { limit },
  });
}

/** RE2's own words for a refused pattern, without its "error parsing regexp: " preamble. */
function re2Reason(err: unknown): string {
  return (err as Error).message.replace(/^error parsing regexp: /, "");
}

/**
 * Whether a backtracking engine would have taken the pattern: then RE2 refused a valid regular
 * expression it does not support (a backreference, a lookaround, a repeat count over 1000), and
 * the message says so rather than calling it invalid. Compiling a RegExp is safe (only matching
 * can backtrack) and the pattern's length is already bounded.
 */
function isBacktrackingSyntax(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * Compiles a PVC fuzzy limit. Throws PvcError(BAD_REQUEST) with PVC's "Regex Error: …" message for
 * an invalid, unsupported, too long or too complex pattern (the facade answers it with 400), never
 * a crash.
 */
export function fuzzyLimit(limit: string): LimitMatcher {
  // Checked before anything else looks at the text; the message does not echo a huge limit.
  if (limit.length > MAX_LIMIT_LENGTH) {
    throw new PvcError(
      ErrorCodes.BAD_REQUEST,
      `Regex Error: limit is ${limit.length} characters long; at most ${MAX_LIMIT_LENGTH} are accepted`,
      { details: { limitLength: limit.length, maxLength: MAX_LIMIT_LENGTH } },
    );
  }
  const pattern = fuzzyPattern(limit);
  let re: RE2JS;
  try {
    // Compiled bare first: inside the group below, a stray ")" could close it and pass.
    RE2JS.compile(pattern);
    // `re.match` anchors at the start only; the group keeps a top-level `|` inside the anchor.
    // Without MULTILINE, RE2's `^` is the start of the name, like Python's without re.M.
    re = RE2JS.compile(`^(?:${pattern})`);
  } catch (err) {
    if (isBacktrackingSyntax(pattern)) {
      throw regexError(
        limit,
        `uses syntax this server does not support (limits are matched in linear time with RE2 syntax: no backreferences or lookaround): ${re2Reason(err)}`,
        err,
      );
    }
    throw regexError(limit, `is not a valid regular expression: ${re2Reason(err)}`, err);
  }
  const size = re.programSize();
  if (size > MAX_LIMIT_PROGRAM_SIZE) {
    throw regexError(
      limit,
      `is too complex: it compiles to ${size} instructions; at most ${MAX_LIMIT_PROGRAM_SIZE} are accepted`,
    );
  }
  return { test: (name) => re.test(name) };
}

/** A filter for a list of names: all of them without a limit, else those the fuzzy limit matches. */
export function limitFilter(limit: string | undefined): (name: string) => boolean {
  if (limit === undefined || limit === "") return () => true;
  const re = fuzzyLimit(limit);
  return (name) => re.test(name);
}
