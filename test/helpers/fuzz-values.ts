/**
 * Hostile values for the route fuzzer: strings a hostile client sends in names, query values, form
 * fields and manifest fields, and mutations of JSON documents (wrong types, missing and extra
 * fields). Pure functions of a seeded Rng; nothing here knows about routes or HTTP.
 */
import type { Rng } from "./fuzz-rng.ts";

/**
 * Regular expressions that take exponential time on a backtracking engine against a near miss
 * (REDOS_BAIT: 2^31 steps, 15-20 s each in V8 here), as PVC's fuzzy `limit` widens them (`.*`
 * before, `.*` after unless there is a `$`). Each must fail on the bait: one that can match the
 * empty string (`(a*)*$`) succeeds at once; `(a|a)+$` is left out as it takes minutes, not seconds.
 */
export const REGEX_BOMBS = ["(a+)+$", "^(a+)+$", "(a+)+b"] as const;

export const BAD_REGEXES = [
  "(",
  ")",
  "[",
  "*",
  "+a",
  "a{2,1}",
  "\\",
  "(?P<n>a)",
  "(?<n>a)\\k<m>",
  "[z-a]",
  "a{99999999999}",
  "\\p{Nope}",
  "(?=",
  "[[:alpha:]]",
] as const;

/** The near miss for REGEX_BOMBS: issue 12's repro (31 `a` and a `!`: 18.3 s there). */
export const REDOS_BAIT = `${"a".repeat(31)}!`;

const UNICODE = [
  "ñetwork",
  "名前",
  "😀",
  "a\u202eb", // right-to-left override
  "\ufeffbom",
  "e\u0301", // combining accent
  "ｆｕｌｌ", // fullwidth
  "a\u200db", // zero-width joiner
  "\u00a0", // no-break space
  "Ω≈ç√",
  "\ud800", // a lone surrogate: not encodable, becomes U+FFFD on the wire
] as const;

const CONTROL = ["\u0000", "a\u0000b", "\u0000\u0000", "a\nb", "a\r\nb", "\t", "a\u001bb", "\u007f", "\r"];

const TRAVERSAL = [
  ".",
  "..",
  "../..",
  "../../etc/passwd",
  "a/../b",
  "a/b",
  "/",
  "//",
  "a/",
  "/a",
  "status",
  "fz-d1/status",
  "..\\..",
  "%2e%2e",
  "%2F",
  "%00",
] as const;

const SHELL = [
  "; rm -rf /",
  "$(reboot)",
  "`id`",
  "a|b",
  "a&&b",
  "-rf",
  "--help",
  "-",
  "--conf=/etc/passwd",
  "-o/tmp/x",
  "'",
  '"',
  "a b",
  "*",
  "?",
  "~root",
  ">out",
  "$HOME",
  "\\",
] as const;

const NUMBERISH = [
  "0",
  "-1",
  "1e308",
  "1e-308",
  "NaN",
  "Infinity",
  "-0",
  "0x10",
  "1.5",
  "4095",
  "4096",
  "16777215",
  "16777216",
  "4294967296",
  "9007199254740993",
  "99999999999999999999999999999",
  "1_000",
  " 1",
  "1 ",
  "١٢", // Arabic-Indic digits
] as const;

const SPECIAL = [
  "",
  " ",
  "null",
  "true",
  "undefined",
  "{}",
  "[]",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "%s%s%s%n",
  "$" + "{jndi:ldap://x/a}", // log4shell, spelled so as not to be a template
  "{{7*7}}",
  "<script>alert(1)</script>",
  "]]>",
  "<!--",
  "&amp;",
  "*a",
  "&a",
  "!!js/function",
  "---",
  "#",
  "a,b,c",
  "a=b",
  "a;b",
] as const;

/** Long strings: DNS label limits (63, 253), beyond them, and big ones within the body limits. */
function longString(rng: Rng): string {
  const length = rng.pick([63, 64, 253, 254, 255, 1_000, 4_097, 70_000, 200_000]);
  return rng.pick(["a", "9", "-", "é", ".", "/"]).repeat(length);
}

export type StringFlavour =
  | "unicode"
  | "control"
  | "traversal"
  | "shell"
  | "number"
  | "special"
  | "long"
  | "regex"
  | "random";

/** One hostile string, with the class it came from (for the report). */
export function hostileString(rng: Rng): { value: string; flavour: StringFlavour } {
  const flavour = rng.weighted<StringFlavour>([
    ["unicode", 2],
    ["control", 4], // NUL, CR and LF end strings, lines, rules and paths: the most telling faults
    ["traversal", 2],
    ["shell", 2],
    ["number", 2],
    ["special", 2],
    ["long", 1],
    ["regex", 1],
    ["random", 2],
  ]);
  const value = (() => {
    switch (flavour) {
      case "unicode":
        return rng.pick(UNICODE);
      case "control":
        return rng.pick(CONTROL);
      case "traversal":
        return rng.pick(TRAVERSAL);
      case "shell":
        return rng.pick(SHELL);
      case "number":
        return rng.pick(NUMBERISH);
      case "special":
        return rng.pick(SPECIAL);
      case "long":
        return longString(rng);
      case "regex":
        return rng.pick(BAD_REGEXES);
      case "random":
        return randomString(rng, rng.int(1, 24));
    }
  })();
  // Sometimes glued to something plausible, so that a check on the first character alone passes.
  return { value: rng.chance(0.3) ? `fz${value}` : value, flavour };
}

/** What `inject` puts into a good value: what ends a line or a string, first of all. */
const LINE_BREAKERS = ["\n", "\r\n", "\r", "\u0000"];
/** ...then what ends a path segment, a word or an argv. */
const INJECTIONS = ["/", "/../", "..", " ", "\t", "'", '"', ";", "$(id)", "`", "\u202e", "%00", "\\", "-"];

/**
 * A good value with something slipped in: it passes the checks that only look at its start or at
 * its presence, so the fault meets the checks (or the keys) behind them. A newline in an nft rule,
 * a `/` in a name that becomes a ZooKeeper path segment.
 */
export function inject(rng: Rng, value: string): string {
  const at = rng.int(0, value.length);
  const what = rng.chance(0.4) ? rng.pick(LINE_BREAKERS) : rng.pick(INJECTIONS);
  return value.slice(0, at) + what + value.slice(at);
}

/** Random characters, mostly printable ASCII, some from anywhere in the BMP. */
export function randomString(rng: Rng, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) {
    s += rng.chance(0.85)
      ? String.fromCharCode(rng.int(0x20, 0x7e))
      : String.fromCharCode(rng.int(0, 0xffff));
  }
  return s;
}

/** A `limit` value: a plain word, a regex bomb, an invalid regex, or any hostile string. */
export function limitValue(rng: Rng): string {
  return rng.weighted<() => string>([
    [() => rng.pick(["fz", "^fz", "net$", "fz-d1", ".*", "^$", "a"]), 3],
    [() => rng.pick(REGEX_BOMBS), 1],
    [() => rng.pick(BAD_REGEXES), 2],
    [() => hostileString(rng).value, 2],
  ])();
}

/** Any JSON value, small, of any type. */
export function anyJson(rng: Rng, depth = 0): unknown {
  const kind = rng.int(0, depth > 2 ? 5 : 7);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, 4094, 16777216, Number.MIN_VALUE]);
    case 3:
    case 4:
      return hostileString(rng).value;
    case 5:
      return "";
    case 6:
      return Array.from({ length: rng.int(0, 4) }, () => anyJson(rng, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i--) out[hostileString(rng).value] = anyJson(rng, depth + 1);
      return out;
    }
  }
}

/** A value of another type than `v` (the classic schema-confusion input). */
export function wrongType(rng: Rng, v: unknown): unknown {
  if (typeof v === "string") return rng.pick<unknown>([Number(v) || 7, [v], { value: v }, true, null]);
  if (typeof v === "number") return rng.pick<unknown>([String(v), [v], { n: v }, v > 0 ? -v : 1e21, null]);
  if (typeof v === "boolean") return rng.pick<unknown>(["true", "yes", 1, [v], null]);
  if (Array.isArray(v)) return rng.pick<unknown>([v[0] ?? "x", {}, "a,b", 3, null]);
  if (v !== null && typeof v === "object") return rng.pick<unknown>([[v], "x", 1, true, null]);
  return rng.pick<unknown>(["x", 0, [], {}]);
}

type Json = Record<string, unknown> | unknown[];

/** Every container in `doc` with the key of each child: where a mutation can happen. */
function slots(doc: Json): Array<{ parent: Json; key: string | number }> {
  const out: Array<{ parent: Json; key: string | number }> = [];
  const walk = (node: Json) => {
    const entries: Array<[string | number, unknown]> = Array.isArray(node)
      ? node.map((v, i) => [i, v])
      : Object.entries(node);
    for (const [key, value] of entries) {
      out.push({ parent: node, key });
      if (value !== null && typeof value === "object") walk(value as Json);
    }
  };
  walk(doc);
  return out;
}

function getAt(parent: Json, key: string | number): unknown {
  return (parent as Record<string | number, unknown>)[key];
}

/** An own property even for `__proto__` (plain assignment would set the prototype and vanish). */
function setAt(parent: Json, key: string | number, value: unknown): void {
  Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Applies `count` random mutations to a deep copy of `doc`: a field set to a hostile string or a
 * value of the wrong type, removed, duplicated into an array, or an extra field added. Returns the
 * copy and a short description of what was done (for the report).
 */
export function mutateDocument(
  rng: Rng,
  doc: Record<string, unknown>,
  count: number,
): { doc: Record<string, unknown>; what: string[] } {
  const copy = structuredClone(doc);
  const what: string[] = [];
  for (let i = 0; i < count; i++) {
    const all = slots(copy);
    if (all.length === 0) break;
    const { parent, key } = rng.pick(all);
    const current = getAt(parent, key);
    if (typeof current === "string" && rng.chance(0.3)) {
      setAt(parent, key, inject(rng, current));
      what.push(`${key}:injected`);
      continue;
    }
    const op = rng.int(0, 5);
    if (op === 0) {
      const h = hostileString(rng);
      setAt(parent, key, h.value);
      what.push(`${key}=${h.flavour}`);
    } else if (op === 1) {
      setAt(parent, key, wrongType(rng, getAt(parent, key)));
      what.push(`${key}:wrong-type`);
    } else if (op === 2) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key as string];
      what.push(`${key}:removed`);
    } else if (op === 3) {
      const extra = hostileString(rng).value.slice(0, 40) || "extra";
      if (!Array.isArray(parent)) setAt(parent, extra, anyJson(rng));
      else parent.push(anyJson(rng));
      what.push("extra-field");
    } else if (op === 4) {
      setAt(parent, key, anyJson(rng));
      what.push(`${key}:any`);
    } else {
      const v = getAt(parent, key);
      setAt(
        parent,
        key,
        Array.from({ length: rng.int(2, 50) }, () => v),
      );
      what.push(`${key}:repeated`);
    }
  }
  return { doc: copy, what };
}
