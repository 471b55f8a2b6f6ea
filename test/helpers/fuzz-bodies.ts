/**
 * Request bodies for the route fuzzer, well-formed and not: JSON and YAML documents, invalid JSON,
 * YAML and XML, YAML alias bombs, urlencoded and multipart forms (valid and broken), bodies near and
 * beyond the server's limits, and content types that lie about the body.
 */
import { dump } from "js-yaml";
import type { Rng } from "./fuzz-rng.ts";
import { hostileString } from "./fuzz-values.ts";

export interface FuzzBody {
  /** The Content-Type header sent (undefined: none). */
  contentType?: string;
  data: Buffer;
  /** What kind of body this is, for grouping failures. */
  what: string;
  /** Larger than the server's body limits (8 MiB): a 413, or a reset once the server has answered. */
  oversized?: boolean;
  /** Known to cost a vulnerable server seconds (an alias bomb): sent alone, a few per run. */
  heavy?: boolean;
}

/** The server's body limit (api/server.ts and api/v1/index.ts both use 8 MiB). */
export const BODY_LIMIT = 8 * 1024 * 1024;

const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"];
const YAML_TYPES = ["application/yaml", "application/x-yaml", "text/yaml", "application/apply-patch+yaml"];
const LYING_TYPES = [
  "text/plain",
  "application/octet-stream",
  "application/xml",
  "text/xml",
  "application/json; charset=utf-16",
  "application/merge-patch+json",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=",
  "application/javascript",
  "*/*",
  ";",
  "application/json, text/yaml",
  "x".repeat(300),
];

const text = (s: string) => Buffer.from(s, "utf8");

export function jsonBody(doc: unknown, rng: Rng): FuzzBody {
  return { contentType: rng.pick(JSON_TYPES), data: text(JSON.stringify(doc)), what: "json" };
}

export function yamlBody(doc: unknown, rng: Rng): FuzzBody {
  let yaml: string;
  try {
    yaml = dump(doc, { lineWidth: -1, noRefs: true });
  } catch {
    yaml = JSON.stringify(doc); // JSON is YAML
  }
  return { contentType: rng.pick(YAML_TYPES), data: text(yaml), what: "yaml" };
}

const INVALID_JSON = [
  "",
  "{",
  "}",
  '{"a":}',
  '{"a":1,}',
  "[1,2",
  "{'a': 1}",
  '{"a": NaN}',
  '{"a": undefined}',
  '{"__proto__": {"polluted": true}}',
  '{"constructor": {"prototype": {"polluted": true}}}',
  "null",
  "true",
  "42",
  '"a string"',
  "[]",
  '{"a": "\\ud800"}',
  '{"a": "\u0000"}',
  "\u0000",
  '\ufeff{"a": 1}',
  '{"a": 1} {"b": 2}',
  '{"a": 1e999999}',
];

export function invalidJson(rng: Rng): FuzzBody {
  const choice = rng.int(0, 3);
  let body: string;
  if (choice === 0) body = rng.pick(INVALID_JSON);
  else if (choice === 1) {
    // Deep nesting: recursive walks (validation, cloning, error messages) may overflow the stack.
    const depth = rng.pick([1_000, 10_000, 100_000]);
    const open = rng.chance(0.5) ? "[" : '{"a":';
    const close = open === "[" ? "]" : "}";
    body = open.repeat(depth) + close.repeat(depth);
  } else if (choice === 2) {
    body = JSON.stringify({ apiVersion: "pvc.parallelvirtualcluster.org/v1", kind: "Network" }).slice(
      0,
      rng.int(1, 40),
    );
  } else {
    // Many keys: a wide object.
    const n = rng.pick([1_000, 50_000]);
    body = `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(",")}}`;
  }
  return { contentType: rng.pick(JSON_TYPES), data: text(body), what: "invalid-json" };
}

const INVALID_YAML = [
  "a: [",
  "a: {",
  "a: 'unclosed",
  '"unclosed',
  "\ta: 1",
  "a:\n\t- b",
  "a: 1\na: 2",
  "- a\nb: c",
  "!!js/function 'function(){}'",
  "!!python/object/apply:os.system ['id']",
  "a: !!binary AAAA=",
  "a: *undefined",
  "<<: *x",
  "%YAML 9.9\n---\na: 1",
  "%TAG ! tag:x,2000:\n---\n!foo a",
  "---\n---\n---\n",
  "---\na: 1\n---\nb: 2",
  "? [a, b]\n: c",
  "a: &x 1\nb: *x\nc: &x 2",
  "&a [*a]",
  "a: &a\n  b: *a",
  "kind: Network\nmetadata: &m\n  <<: *m",
  "\u0000",
  "a: b\u0000c",
  "...",
  "@",
  "`",
  "a: |\n  x\n y",
  "[".repeat(5_000),
  "- ".repeat(2_000),
];

export function invalidYaml(rng: Rng): FuzzBody {
  return { contentType: rng.pick(YAML_TYPES), data: text(rng.pick(INVALID_YAML)), what: "invalid-yaml" };
}

/**
 * A "billion laughs" YAML document: `levels` levels of `width` aliases of the level below, as the
 * labels of a document of `kind` (the kind of the path: a document of another kind is refused
 * before its fields are looked at). 9 × 10 is issue 12's 585-byte bomb (10^9 nodes).
 */
export function aliasBomb(levels: number, width: number, kind: string): FuzzBody {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  let prev = "a";
  for (let i = 1; i < levels; i++) {
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array.from({ length: width }, () => `*${prev}`).join(",")}]`);
    prev = name;
  }
  // The anchors come first: an alias may only name an anchor above it.
  const doc = `x:\n  ${lines.join("\n  ")}\napiVersion: pvc.parallelvirtualcluster.org/v1\nkind: ${kind}\nmetadata:\n  name: fz-bomb\n  labels: *${prev}\n`;
  return {
    contentType: "application/yaml",
    data: text(doc),
    what: `yaml-alias-bomb-${levels}x${width}`,
    heavy: levels * Math.log10(width) >= 7,
  };
}

const BAD_XML = [
  "<domain",
  "<domain><name>x</domain>",
  "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'><!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]><domain><name>&lol3;</name></domain>",
  "<!DOCTYPE d [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><domain><name>&xxe;</name></domain>",
  "<domain type='kvm'><name>a</name><memory unit='MiB'>-1</memory></domain>",
  "<domain type='kvm'><name>a</name><memory unit='ZiB'>99999999999999999999</memory><vcpu>0</vcpu></domain>",
  "<domain><name><![CDATA[x]]></name></domain>",
  "<a>".repeat(10_000),
  "<domain a='1' a='2'/>",
  "\u0000<domain/>",
  "<domain>&#0;</domain>",
  "<domain>&#xFFFFFFFF;</domain>",
];

export function xmlText(rng: Rng): string {
  return rng.pick(BAD_XML);
}

export function xmlBody(rng: Rng): FuzzBody {
  return {
    contentType: rng.pick(["application/xml", "text/xml"]),
    data: text(xmlText(rng)),
    what: "xml",
  };
}

/** Percent-encodes every byte of the UTF-8 form except unreserved characters. */
export function percentEncode(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export type Pairs = ReadonlyArray<readonly [string, string]>;

export function urlencoded(pairs: Pairs): string {
  return pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join("&");
}

export function formBody(pairs: Pairs): FuzzBody {
  return { contentType: "application/x-www-form-urlencoded", data: text(urlencoded(pairs)), what: "form" };
}

const BAD_FORMS = [
  "%",
  "a=%zz",
  "a=%E0%A4%A",
  "=&=&=",
  "a&&&b",
  "a=1&a=2&a=3",
  "__proto__=x&constructor=y",
  "a[b]=c&a[c]=d",
  "a=%00",
  "%00=%00",
  ";;;",
  "a".repeat(70_000),
];

export function invalidForm(rng: Rng): FuzzBody {
  let body = rng.pick(BAD_FORMS);
  if (rng.chance(0.2)) body = Array.from({ length: 5_000 }, (_, i) => `k${i}=v`).join("&");
  return { contentType: "application/x-www-form-urlencoded", data: text(body), what: "invalid-form" };
}

function boundaryOf(rng: Rng): string {
  return `----fz${rng.int(0, 1e9)}`;
}

/** A well-formed multipart body: each pair a field, or (sometimes) a file part holding the value. */
export function multipartBody(pairs: Pairs, rng: Rng): FuzzBody {
  const b = boundaryOf(rng);
  const parts = pairs.map(([k, v]) => {
    const file = rng.chance(0.3) ? `; filename="${k}.txt"` : "";
    const type = file ? "\r\nContent-Type: application/octet-stream" : "";
    return `--${b}\r\nContent-Disposition: form-data; name="${k.replace(/["\r\n]/g, "_")}"${file}${type}\r\n\r\n${v}\r\n`;
  });
  return {
    contentType: `multipart/form-data; boundary=${b}`,
    data: text(`${parts.join("")}--${b}--\r\n`),
    what: "multipart",
  };
}

/** Multipart bodies broken in the ways parsers trip over. */
export function invalidMultipart(rng: Rng): FuzzBody {
  const b = boundaryOf(rng);
  const field = (name: string, value: string) =>
    `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const variants: Array<[string, string, string]> = [
    ["no-closing-boundary", `multipart/form-data; boundary=${b}`, field("vni", "1")],
    ["no-boundary-param", "multipart/form-data", `${field("vni", "1")}--${b}--\r\n`],
    ["wrong-boundary", "multipart/form-data; boundary=other", `${field("vni", "1")}--${b}--\r\n`],
    ["empty", `multipart/form-data; boundary=${b}`, ""],
    ["garbage", `multipart/form-data; boundary=${b}`, "this is not multipart at all"],
    [
      "no-blank-line",
      `multipart/form-data; boundary=${b}`,
      `--${b}\r\nContent-Disposition: form-data; name="a"\r\nvalue\r\n--${b}--\r\n`,
    ],
    [
      "no-disposition",
      `multipart/form-data; boundary=${b}`,
      `--${b}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${b}--\r\n`,
    ],
    [
      "no-name",
      `multipart/form-data; boundary=${b}`,
      `--${b}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${b}--\r\n`,
    ],
    [
      "proto-name",
      `multipart/form-data; boundary=${b}`,
      `${field("__proto__", "x")}${field("constructor", "y")}--${b}--\r\n`,
    ],
    ["nul-name", `multipart/form-data; boundary=${b}`, `${field("a\u0000b", "x")}--${b}--\r\n`],
    [
      "long-boundary",
      `multipart/form-data; boundary=${"x".repeat(200)}`,
      `--${"x".repeat(200)}\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--${"x".repeat(200)}--\r\n`,
    ],
    [
      "header-overflow",
      `multipart/form-data; boundary=${b}`,
      `--${b}\r\nContent-Disposition: form-data; name="a"\r\nX-Long: ${"h".repeat(100_000)}\r\n\r\nb\r\n--${b}--\r\n`,
    ],
    [
      "many-parts",
      `multipart/form-data; boundary=${b}`,
      `${Array.from({ length: 3_000 }, (_, i) => field(`k${i}`, "v")).join("")}--${b}--\r\n`,
    ],
    [
      "file-part-only",
      `multipart/form-data; boundary=${b}`,
      `--${b}\r\nContent-Disposition: form-data; name="vni"; filename="../../etc/passwd"\r\nContent-Type: application/octet-stream\r\n\r\n\u0000\u0001\u0002\r\n--${b}--\r\n`,
    ],
    [
      "bad-encoding",
      `multipart/form-data; boundary=${b}`,
      `--${b}\r\nContent-Disposition: form-data; name="a"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--${b}--\r\n`,
    ],
    [
      "quoted-boundary",
      `multipart/form-data; boundary="${b}"; charset=nope`,
      `${field("a", "b")}--${b}--\r\n`,
    ],
  ];
  const [what, contentType, body] = rng.pick(variants);
  return { contentType, data: text(body), what: `invalid-multipart:${what}` };
}

/**
 * `doc` with one big annotation: within the body limit (up to 2 MiB, more than a ZooKeeper znode
 * takes by default), or just beyond it.
 */
export function bigBody(rng: Rng, beyond: boolean, doc: Record<string, unknown>): FuzzBody {
  const size = beyond ? BODY_LIMIT + rng.int(1, 1024 * 1024) : rng.int(64 * 1024, 2 * 1024 * 1024);
  const meta = (doc.metadata ?? {}) as Record<string, unknown>;
  const big = { ...doc, metadata: { ...meta, annotations: { big: "x".repeat(size) } } };
  return {
    contentType: rng.pick([...JSON_TYPES, "application/x-www-form-urlencoded", "application/yaml"]),
    data: text(JSON.stringify(big)),
    what: beyond ? "oversized" : "big",
    oversized: beyond,
  };
}

/** A body whose Content-Type does not describe it. */
export function lyingBody(rng: Rng, inner: FuzzBody): FuzzBody {
  return { ...inner, contentType: rng.pick(LYING_TYPES), what: `${inner.what}-as-other-type` };
}

/** Random bytes (any type, or none). */
export function binaryBody(rng: Rng): FuzzBody {
  const data = Buffer.alloc(rng.int(1, 4096));
  for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
  const contentType = rng.chance(0.3) ? undefined : rng.pick([...JSON_TYPES, ...YAML_TYPES, ...LYING_TYPES]);
  return { contentType, data, what: "binary" };
}

/** A hostile string as a whole body (e.g. a form key without a value). */
export function stringBody(rng: Rng): FuzzBody {
  return {
    contentType: rng.pick([...JSON_TYPES, ...YAML_TYPES, "application/x-www-form-urlencoded"]),
    data: text(hostileString(rng).value),
    what: "string",
  };
}
