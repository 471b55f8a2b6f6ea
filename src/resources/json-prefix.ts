/**
 * The first characters of a value's JSON, without writing the rest: error messages quote a value
 * cut to a few dozen characters, and the value may be huge (a megabyte string, a million items),
 * cyclic, or a DAG standing for 10^9 nodes (YAML aliases). JSON.stringify first and cutting after
 * took 41 s and 1.5 GB for such a value; this stops as soon as `limit` characters are written, so
 * time and memory are bounded by the limit (and by the keys of the largest object on the way).
 *
 * The text is JSON.stringify's, character for character, as far as it goes, with two exceptions
 * where JSON.stringify throws: a bigint is written as its digits, and a cycle simply repeats until
 * the limit.
 */

export interface JsonPrefix {
  /** At most `limit` characters (more only when `cut` is false and the whole is that short). */
  text: string;
  /** Whether the JSON went on past `text`. */
  cut: boolean;
}

class Sink {
  readonly parts: string[] = [];
  length = 0;
  constructor(readonly limit: number) {}

  /** Appends; false once the limit is passed (the caller stops writing). */
  add(s: string): boolean {
    this.parts.push(s);
    this.length += s.length;
    return this.length <= this.limit;
  }
}

/** A string's JSON, from at most limit+1 of its characters: enough to know it is cut. */
function stringJson(s: string, limit: number): string {
  return JSON.stringify(s.length > limit ? s.slice(0, limit + 1) : s);
}

/** JSON.stringify's rendering of a value it would omit from an object (undefined, functions, symbols). */
function isOmitted(v: unknown): boolean {
  return v === undefined || typeof v === "function" || typeof v === "symbol";
}

/** Writes `value` (already through toJSON); false when the limit was passed. */
function write(value: unknown, sink: Sink): boolean {
  if (value === null) return sink.add("null");
  switch (typeof value) {
    case "string":
      return sink.add(stringJson(value, sink.limit));
    case "number":
      return sink.add(Number.isFinite(value) ? String(value) : "null");
    case "boolean":
      return sink.add(String(value));
    case "bigint":
      return sink.add(value.toString());
    case "object":
      break;
    default:
      return sink.add("null"); // undefined, function, symbol as an array item
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    return write(value.valueOf(), sink);
  }
  if (Array.isArray(value)) {
    if (!sink.add("[")) return false;
    for (let i = 0; i < value.length; i++) {
      if (i > 0 && !sink.add(",")) return false;
      const item = prepared(value[i], String(i));
      if (!write(isOmitted(item) ? null : item, sink)) return false;
    }
    return sink.add("]");
  }
  if (!sink.add("{")) return false;
  let first = true;
  for (const key of Object.keys(value)) {
    const item = prepared((value as Record<string, unknown>)[key], key);
    if (isOmitted(item)) continue;
    if (!first && !sink.add(",")) return false;
    first = false;
    if (!sink.add(`${stringJson(key, sink.limit)}:`)) return false;
    if (!write(item, sink)) return false;
  }
  return sink.add("}");
}

/** What JSON.stringify writes for a value: its toJSON's result when it has one (a Date). */
function prepared(value: unknown, key: string): unknown {
  if (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  ) {
    return (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  return value;
}

/**
 * The JSON of `value` up to `limit` characters; undefined when JSON.stringify would return
 * undefined (undefined, a function, a symbol).
 */
export function jsonPrefix(value: unknown, limit: number): JsonPrefix | undefined {
  const top = prepared(value, "");
  if (isOmitted(top)) return undefined;
  const sink = new Sink(limit);
  const whole = write(top, sink);
  const text = sink.parts.join("");
  return whole ? { text, cut: false } : { text: text.slice(0, limit), cut: true };
}
