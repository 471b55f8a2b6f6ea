/**
 * Properties of PVC's fuzzy `limit` (api/v1/limit.ts), matched with RE2:
 * - on patterns a backtracking engine runs safely (no nested repeats), RE2 answers exactly what
 *   JavaScript's RegExp answers for PVC's `re.match` of the widened pattern;
 * - plain words keep PVC's meaning: `w` anywhere, `^w` at the start, `w$` at the end;
 * - hostile patterns (nested and counted repeats, alternations of overlapping branches) against
 *   near-miss names are refused with a 400 or answered in linear time: each match within a bound
 *   hundreds of times what it takes, far below the 18 s one such request cost a backtracking engine;
 * - any text at all is compiled or refused with PvcError BAD_REQUEST, never another error.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { fuzzyLimit, fuzzyPattern, limitFilter } from "../../api/v1/limit.ts";
import { ErrorCodes, isPvcError } from "../../src/errors.ts";

const ALPHABET = ["a", "b", "c", "1", "-", "."];
const literal = fc.constantFrom("a", "b", "c", "1", "-", "\\.");
const atom = fc.oneof(
  { weight: 5, arbitrary: literal },
  fc.constantFrom(".", "[ab]", "[^a]", "\\d", "[a-c]", "\\w"),
);
/** An atom with at most one quantifier: no nested repeats, so a backtracking engine stays fast. */
const piece = fc
  .tuple(atom, fc.constantFrom("", "", "", "?", "*", "+", "{0,2}", "{1,3}"))
  .map(([a, q]) => a + q);
const sequence = fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join(""));
const safePattern = fc
  .tuple(fc.boolean(), fc.array(sequence, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean())
  .map(([caret, alternatives, group, dollar]) => {
    const body = alternatives.join("|");
    // Ungrouped, a top-level `|` leaves the ^ and $ to one branch each: `re.match` still anchors
    // the whole pattern at the start (a branch without ^ must not match in the middle).
    if (!group) return `${caret ? "^" : ""}${body}${dollar ? "$" : ""}`;
    return `${caret ? "^" : ""}(?:${body})${dollar ? "$" : ""}`;
  });
const name = fc.array(fc.constantFrom(...ALPHABET, "x", "A"), { maxLength: 16 }).map((c) => c.join(""));

test("RE2 answers what a backtracking engine answers, on patterns it runs safely", () => {
  fc.assert(
    fc.property(safePattern, fc.array(name, { minLength: 1, maxLength: 8 }), (limit, names) => {
      const reference = new RegExp(`^(?:${fuzzyPattern(limit)})`);
      const ours = fuzzyLimit(limit);
      for (const n of names)
        assert.equal(ours.test(n), reference.test(n), `limit ${limit} on ${JSON.stringify(n)}`);
    }),
    { numRuns: 1_000 },
  );
});

test("a plain word matches anywhere; ^word at the start; word$ at the end", () => {
  const word = fc
    .array(fc.constantFrom("a", "b", "c", "1", "-"), { minLength: 1, maxLength: 4 })
    .map((c) => c.join(""));
  fc.assert(
    fc.property(word, name, (w, n) => {
      assert.equal(limitFilter(w)(n), n.includes(w), `${w} in ${n}`);
      assert.equal(limitFilter(`^${w}`)(n), n.startsWith(w), `^${w} on ${n}`);
      assert.equal(limitFilter(`${w}$`)(n), n.endsWith(w), `${w}$ on ${n}`);
      assert.equal(limitFilter(`^${w}$`)(n), n === w, `^${w}$ on ${n}`);
    }),
  );
});

/** Nested and counted repeats over overlapping atoms: exponential for a backtracking engine. */
const bombAtom = fc.constantFrom(
  "a",
  "a?",
  "a*",
  "a+",
  "(?:a|a)",
  "(?:a|aa)",
  "\\w",
  ".",
  "[a-z]",
  "(?:a|b)",
);
const bomb: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    bombAtom,
    fc.tuple(tie("node"), fc.constantFrom("+", "*", "{2,}", "{1,20}")).map(([n, q]) => `(${n})${q}`),
    fc.tuple(tie("node"), tie("node")).map(([a, b]) => `(?:${a}|${b})`),
    fc.tuple(tie("node"), tie("node")).map(([a, b]) => `${a}${b}`),
  ),
})).node;

/** Generous: a linear match of 253 characters takes well under a millisecond here. */
const BOUND_MS = 1_000;

test("hostile patterns against near misses: refused (400) or matched in bounded time", () => {
  let worst = 0;
  fc.assert(
    fc.property(
      bomb,
      fc.constantFrom("", "$", "b", "!$"),
      fc.integer({ min: 10, max: 252 }),
      fc.constantFrom("!", "b", "\u0000", "é"),
      (core, tail, length, miss) => {
        const limit = `${core}${tail}`;
        let matcher: ReturnType<typeof fuzzyLimit>;
        try {
          matcher = fuzzyLimit(limit);
        } catch (err) {
          assert.ok(isPvcError(err) && err.code === ErrorCodes.BAD_REQUEST, `${limit}: ${err}`);
          return;
        }
        const victim = `${"a".repeat(length)}${miss}`;
        const started = performance.now();
        matcher.test(victim);
        const ms = performance.now() - started;
        worst = Math.max(worst, ms);
        assert.ok(
          ms < BOUND_MS,
          `limit ${limit} took ${ms.toFixed(0)} ms on ${length} a and ${JSON.stringify(miss)}`,
        );
      },
    ),
    { numRuns: 300 },
  );
  assert.ok(worst < BOUND_MS);
});

test("any text is compiled or refused with a 400, never another error", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 80 }),
        fc.stringMatching(/^[()[\]{}\\?*+|^$.a-c0-9,:<>=!P-]{0,30}$/),
      ),
      (limit) => {
        try {
          fuzzyLimit(limit).test("abc");
        } catch (err) {
          assert.ok(
            isPvcError(err) && err.code === ErrorCodes.BAD_REQUEST,
            `${JSON.stringify(limit)}: ${err}`,
          );
          assert.match(err.message, /^Regex Error: limit /);
        }
      },
    ),
    { numRuns: 2_000 },
  );
});
