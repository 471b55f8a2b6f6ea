/**
 * Properties of resource sizes (src/resources/size.ts over src/ceph/size.ts), for every size and
 * every string, not a handful of examples: the exact form parses back to the same bytes, the human
 * form never shows less than the size (PVC rounds up) and stays within one unit of it, a number of
 * a unit is that many times the unit, and any text is either refused with a SizeError or matches
 * SIZE_PATTERN (the schema's pattern) and parses within 2^53-1.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  formatSizeExact,
  formatSizeHuman,
  parseSize,
  SIZE_PATTERN,
  SizeError,
  tryParseSize,
} from "../../src/resources/size.ts";

const UNITS: Record<string, number> = {
  B: 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
  P: 1024 ** 5,
};
const bytes = fc.oneof(
  fc.maxSafeNat(),
  // Exact multiples of the units: where formatSizeExact picks a unit.
  fc
    .tuple(fc.integer({ min: 0, max: 4096 }), fc.constantFrom(...Object.values(UNITS)))
    .map(([n, u]) => n * u)
    .filter((n) => n <= Number.MAX_SAFE_INTEGER),
);

test("formatSizeExact then parseSize gives the same number of bytes", () => {
  fc.assert(
    fc.property(bytes, (n) => {
      const text = formatSizeExact(n);
      assert.match(text, new RegExp(SIZE_PATTERN));
      assert.equal(parseSize(text), n);
    }),
  );
});

test("formatSizeHuman rounds up, by less than one of its unit, in at most 4 digits", () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (n) => {
      const text = formatSizeHuman(n);
      const m = /^(\d{1,4})([BKMGTP])$/.exec(text);
      assert.ok(m, `${n} → ${text}`);
      const unit = UNITS[m[2]];
      const shown = Number(m[1]) * unit;
      assert.ok(shown >= n && shown - n < unit, `${n} → ${text}`);
    }),
  );
});

test("<n><unit> is n times the unit, in either case; plain digits are bytes", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 8191 }),
      fc.constantFrom(...Object.keys(UNITS)),
      fc.boolean(),
      (n, unit, lower) => {
        fc.pre(n * UNITS[unit] <= Number.MAX_SAFE_INTEGER); // above it: "is too large", tested below
        const text = `${n}${lower ? unit.toLowerCase() : unit}`;
        assert.equal(parseSize(text), n * UNITS[unit]);
        assert.equal(parseSize(String(n * UNITS[unit])), n * UNITS[unit]);
      },
    ),
  );
});

test("any text is refused with a SizeError, or matches SIZE_PATTERN and fits in 2^53-1", () => {
  const pattern = new RegExp(SIZE_PATTERN);
  const near = fc.stringMatching(/^[ +-]?[0-9]{0,20}[.,eE]?[0-9]{0,3}[BKMGTPbkmgtpiIB ]{0,3}$/);
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), near), (text) => {
      let got: number | undefined;
      try {
        got = parseSize(text);
      } catch (err) {
        assert.ok(err instanceof SizeError, `${JSON.stringify(text)}: ${(err as Error).name}`);
        assert.equal(tryParseSize(text), null);
        return;
      }
      assert.ok(pattern.test(text), `${JSON.stringify(text)} parsed to ${got} but is not SIZE_PATTERN`);
      assert.ok(Number.isSafeInteger(got) && got >= 0, `${JSON.stringify(text)} → ${got}`);
      assert.equal(tryParseSize(text), got);
    }),
    { numRuns: 2_000 },
  );
});

test("above 2^53-1 bytes is refused as too large, in any spelling", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 2n ** 53n, max: 2n ** 70n }), (n) => {
      assert.throws(() => parseSize(String(n)), /too large/);
      const p = n / 1024n ** 5n + 8n;
      assert.throws(() => parseSize(`${p}P`), /too large/);
    }),
  );
});

test("numbers: whole non-negative safe integers are bytes, anything else a SizeError", () => {
  fc.assert(
    fc.property(fc.oneof(fc.double(), fc.maxSafeInteger()), (n) => {
      if (Number.isSafeInteger(n) && n >= 0)
        assert.equal(parseSize(n), Math.abs(n)); // -0 is 0 bytes
      else assert.throws(() => parseSize(n), SizeError, String(n));
    }),
  );
});
