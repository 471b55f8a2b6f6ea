/**
 * shortValue quotes a bad field's value in an error message, cut to 60 characters. It writes only
 * those characters: a DAG standing for 10^9 strings (a YAML alias bomb), a cycle or a million
 * levels of nesting are quoted at once, and ordinary values exactly as JSON.stringify-then-cut did.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonPrefix } from "../../src/resources/json-prefix.ts";
import { shortValue } from "../../src/resources/validate.ts";

/** The previous shortValue, for ordinary values whose whole JSON is cheap. */
function stringifyThenCut(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** What a cut quote is: the first 59 characters of the JSON, then an ellipsis. */
const cut = (jsonStart: string) => `${jsonStart.slice(0, 59)}…`;

/** Generous: the bomb took 41 s; a bounded walk takes microseconds. */
const GENEROUS_MS = 2_000;

function timed<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

test("ordinary values are quoted as JSON.stringify then cut quoted them", () => {
  const exactly60 = "x".repeat(58); // 58 + two quotes
  const values: unknown[] = [
    "10.1.0.1",
    "",
    'quote " backslash \\ newline \n tab \t',
    "é😀".repeat(40),
    `${"a".repeat(58)}😀tail`, // the cut falls inside a surrogate pair
    exactly60,
    `${exactly60}y`,
    "\u0001".repeat(20),
    0,
    -0,
    1.5e300,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    null,
    undefined,
    [],
    {},
    [1, "two", null, undefined, () => 1, Symbol("s"), [3]],
    { a: 1, skip: undefined, f: () => 1, nested: { b: [true, false] }, 'key "q"': "v" },
    { long: "z".repeat(200) },
    Array.from({ length: 100 }, (_, i) => i),
    new Date(0),
    { when: new Date(86_400_000) },
    { toJSON: () => ({ replaced: true }) },
    new String("boxed"),
    [new Number(3), new Boolean(false)],
    // biome-ignore lint/suspicious/noSparseArray: JSON writes a hole as null
    [1, , 3],
    Object.assign(Object.create({ inherited: 1 }), { own: 2 }),
    12n,
    Symbol("top"),
  ];
  for (const v of values) assert.equal(shortValue(v), stringifyThenCut(v), String(typeof v));
});

test("a DAG standing for 10^9 strings (the YAML alias bomb's value) is quoted at once", () => {
  let bomb: unknown = Array(10).fill("lol");
  for (let level = 1; level < 9; level++) bomb = Array(10).fill(bomb);
  const { value, ms } = timed(() => shortValue({ description: bomb }));
  assert.equal(value, cut(`{"description":${"[".repeat(9)}${'"lol",'.repeat(10)}`));
  assert.equal(value.length, 60);
  assert.ok(ms < GENEROUS_MS, `took ${ms} ms`);
});

test("a cycle and a million levels of nesting are quoted, not thrown", () => {
  const cyclic: Record<string, unknown> = { name: "a" };
  cyclic.self = cyclic;
  assert.equal(shortValue(cyclic), cut('{"name":"a","self":'.repeat(4)));

  let deep: unknown = [];
  for (let i = 0; i < 1_000_000; i++) deep = [deep];
  assert.equal(shortValue(deep), cut("[".repeat(60)));
});

test("huge strings, arrays and objects are not written out", () => {
  const big = "s".repeat(50_000_000);
  assert.equal(shortValue(big), cut(`"${"s".repeat(60)}`));
  const many = Array.from({ length: 1_000_000 }, () => "item");
  assert.equal(shortValue(many), cut(`[${'"item",'.repeat(10)}`));
  // The prefix itself never grows past the limit, whatever the value.
  const prefix = jsonPrefix({ a: big, b: many }, 60);
  assert.ok(prefix?.cut && prefix.text.length === 60);
});
