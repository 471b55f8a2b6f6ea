/**
 * The route fuzzer's request stream: the catalogue of routes (every route the server registered,
 * plus every /api/v1 endpoint of PVC's manual), and a seeded generator of requests against it —
 * path parameters that are good, hostile or tricky (`%2F`, `..`, bad escapes), /api/v1 values in
 * the query, a form or multipart body, missing, extra, repeated and hostile; declarative API
 * documents well-formed and mutated, in JSON and YAML, and bodies that are not what they claim;
 * auth headers right and wrong; and raw HTTP that no client library would send.
 *
 * A few requests are "heavy": they cost a vulnerable server tens of seconds or more (issue 12's
 * YAML alias bomb, a regex bomb in `limit` against a near-miss description). Each run sends
 * HEAVY_BUDGET of them, in requests otherwise right (so that they reach the code at risk), and the
 * runner sends each alone, so that one does not make its neighbours time out.
 *
 * Requests are clean, carry one fault, or are faulty everywhere ("wild"): a request must get past
 * the first checks for its fault to meet the code behind them.
 */
import { API_KEY_HEADER } from "../../api/auth.ts";
import { KINDS } from "../../src/resources/kinds.ts";
import {
  aliasBomb,
  bigBody,
  binaryBody,
  type FuzzBody,
  formBody,
  invalidForm,
  invalidJson,
  invalidMultipart,
  invalidYaml,
  jsonBody,
  lyingBody,
  multipartBody,
  type Pairs,
  percentEncode,
  stringBody,
  urlencoded,
  xmlBody,
  yamlBody,
} from "./fuzz-bodies.ts";
import { EXTRA_V1_VALUES, MANUAL_ENDPOINTS } from "./fuzz-manual.ts";
import type { Rng } from "./fuzz-rng.ts";
import { hostileString, inject, mutateDocument, REGEX_BOMBS, randomString } from "./fuzz-values.ts";
import { goodParam, goodValue, NETWORK_SLOTS, networkSlot, validDoc } from "./fuzz-world.ts";

export interface Route {
  method: string;
  /** The path pattern, `:param` for parameters. */
  url: string;
  /** Registered by the server (else only named by the manual). */
  served: boolean;
  /** The manual's values for it (empty when the manual does not list the route). */
  mandatory: readonly string[];
  optional: readonly string[];
}

export interface FuzzRequest {
  seq: number;
  /** `METHOD /pattern`: what failures are grouped by. */
  route: string;
  method: string;
  /** The request target as sent: path and query, already encoded (or deliberately not). */
  target: string;
  headers: Record<string, string>;
  body?: FuzzBody;
  /** Raw bytes for a protocol-level request (then method/target/headers are only descriptive). */
  raw?: Buffer;
  /** What was done to it, for the report. */
  notes: string[];
  heavy: boolean;
  /**
   * The loopback address to send from. Wrong credentials come from addresses of their own, a few
   * each: the server throttles a client after 10 failures (429 for everything it sends, for a
   * minute), which would otherwise end the run's coverage at the tenth bad token.
   */
  source?: string;
}

/** Failed authentications sent from one address, below the server's limit of 10. */
const FAILURES_PER_ADDRESS = 5;

/** Heavy requests per run: the alias bomb, then regex bombs. */
export const HEAVY_BUDGET = { aliasBomb: 1, regexBomb: 2 };

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "FUZZ"];

/** Every route to fuzz: the server's table (minus HEAD twins of GETs) and the manual's endpoints. */
export function routeCatalogue(served: ReadonlyArray<{ method: string; url: string }>): Route[] {
  const out = new Map<string, Route>();
  const manual = new Map(MANUAL_ENDPOINTS.map((e) => [`${e.method} ${e.path}`, e]));
  for (const r of served) {
    if (r.method === "HEAD" && served.some((s) => s.method === "GET" && s.url === r.url)) continue;
    const url = r.url.length > 1 ? r.url.replace(/\/$/, "") : r.url;
    const m = manual.get(`${r.method} ${url}`);
    out.set(`${r.method} ${url}`, {
      method: r.method,
      url,
      served: true,
      mandatory: m?.mandatory ?? [],
      optional: m?.optional ?? [],
    });
  }
  for (const e of MANUAL_ENDPOINTS) {
    const key = `${e.method} ${e.path}`;
    if (!out.has(key))
      out.set(key, {
        method: e.method,
        url: e.path,
        served: false,
        mandatory: e.mandatory,
        optional: e.optional,
      });
  }
  return [...out.values()].sort((a, b) =>
    a.url === b.url ? a.method.localeCompare(b.method) : a.url < b.url ? -1 : 1,
  );
}

/** Path segments that trick routers and stores: escaped slashes, dot segments, bad escapes. */
const TRICKY_SEGMENTS = [
  "a%2Fb",
  "a%2F..%2Fb",
  "fz-d1%2Fstatus",
  "..%2F..%2F..%2Fetc%2Fpasswd",
  "%2e%2e",
  "%2E",
  "..",
  ".",
  "",
  "%00",
  "a%00b",
  "%",
  "%zz",
  "%C0%AE%C0%AE",
  "%E2%80%AE",
  "%FF",
  "a;b",
  "a%20b",
  "-rf",
  "--help",
  "$(id)",
  "%24(id)",
  "a'b",
  "~",
  "*",
  "a%2Fb%2F",
  "%5C..%5C",
];

/**
 * How much one request is fuzzed. Most requests are clean or carry one fault, so that they get
 * past the first check and the fault meets the code behind it; the rest are fuzzed everywhere.
 */
type Mode = "clean" | "one" | "wild";
/** With mode "one", where the fault goes. */
type Spot = "path" | "values" | "body" | "auth" | "method";

interface Ctx {
  rng: Rng;
  mode: Mode;
  spot?: Spot;
  /** The network slot this request's values and names come from (fuzz-world.ts). */
  slot: number;
  token: string;
  budget: Budget;
  notes: string[];
}

const faulty = (c: Ctx, spot: Spot) => c.mode === "wild" || c.spot === spot;

function hostileSegment(c: Ctx, param: string): string {
  if (c.rng.chance(0.6)) {
    const h = hostileString(c.rng);
    c.notes.push(`:${param}=${h.flavour}`);
    // Encoded as a client library would: `/` becomes %2F, dots stay dots.
    return percentEncode(h.value);
  }
  c.notes.push(`:${param}=tricky`);
  return c.rng.pick(TRICKY_SEGMENTS);
}

/** The route's pattern with every parameter filled in (one or more of them hostile when asked). */
function fillPath(c: Ctx, url: string): { path: string; plural?: string } {
  const { rng } = c;
  const params = url.split("/").filter((seg) => seg.startsWith(":"));
  // "one": a single parameter, or a twist of the whole path when it has none.
  const target = c.mode === "one" && c.spot === "path" && params.length > 0 ? rng.pick(params) : undefined;
  let plural: string | undefined;
  const segments = url.split("/").map((seg) => {
    if (!seg.startsWith(":")) return seg;
    const param = seg.slice(1);
    const bad = c.mode === "wild" ? rng.chance(0.4) : seg === target;
    const value = bad ? hostileSegment(c, param) : percentEncode(goodParam(rng, param, plural, c.slot));
    if (param === "plural") plural = decodeURIComponentSafe(value);
    return value;
  });
  let path = segments.join("/") || "/";
  if (faulty(c, "path") && (target === undefined || rng.chance(0.15))) {
    const twist = rng.int(0, 4);
    if (twist === 0) path += "/";
    else if (twist === 1) path = path.replace(/^\//, "//");
    else if (twist === 2) path += "/..";
    else if (twist === 3) path += ";jsessionid=x";
    else path = path.replace(/\/([^/]*)$/, "/./$1");
    c.notes.push(`path-twist:${twist}`);
  }
  return { path, plural };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

class Budget {
  aliasBomb = HEAVY_BUDGET.aliasBomb;
  regexBomb = HEAVY_BUDGET.regexBomb;
}

/** Values that only make sense together (PVC refuses a gateway without its network, and so on). */
const VALUE_GROUPS = [
  ["ip4_network", "ip4_gateway"],
  ["dhcp4", "dhcp4_start", "dhcp4_end", "ip4_network", "ip4_gateway"],
  ["ip6_network", "ip6_gateway"],
];
const ADDRESSING = new Set(VALUE_GROUPS.flat());

/** Completes every group a value of `names` belongs to; a bridged network gets no addressing. */
function completeGroups(names: string[], route: Route, slot: number): void {
  if (route.url === "/api/v1/network" && networkSlot(slot).type === "bridged") {
    for (let i = names.length - 1; i >= 0; i--) if (ADDRESSING.has(names[i])) names.splice(i, 1);
    return;
  }
  const allowed = new Set([...route.mandatory, ...route.optional]);
  for (const group of VALUE_GROUPS) {
    if (!group.some((n) => names.includes(n))) continue;
    for (const n of group) if (allowed.has(n) && !names.includes(n)) names.push(n);
  }
}

/** The /api/v1 values of one request: good, and (when asked) hostile, missing, extra or repeated. */
function v1Values(c: Ctx, route: Route): [string, string][] {
  const { rng } = c;
  const wild = c.mode === "wild";
  const one = c.mode === "one" && c.spot === "values";
  const names = [...route.mandatory, ...route.optional.filter(() => rng.chance(0.4))];
  if (!wild) completeGroups(names, route, c.slot);
  if (rng.chance(0.1)) names.push(rng.pick(EXTRA_V1_VALUES));
  // "one": a single fault, of one of these sorts.
  const fault = one
    ? rng.weighted<string>([
        ["missing", 1],
        ["hostile", 1],
        ["inject", 2],
        ["extra", 1],
        ["repeated", 1],
      ])
    : undefined;
  const faultAt = names.length > 0 ? rng.int(0, names.length - 1) : -1;
  if ((wild || fault === "missing") && names.length > 0) {
    for (let i = names.length - 1; i >= 0; i--) {
      if (wild ? rng.chance(0.15) : i === faultAt) {
        c.notes.push(`missing:${names[i]}`);
        names.splice(i, 1);
      }
    }
  }
  if ((wild && rng.chance(0.2)) || fault === "extra" || (one && names.length === 0)) {
    const extra = rng.chance(0.5)
      ? rng.pick(["constructor", "__proto__", "toString", "hasOwnProperty"])
      : hostileString(rng).value.slice(0, 64) || "x";
    names.push(extra);
    c.notes.push(`extra:${extra.slice(0, 20)}`);
  }
  // The network list matches `limit` against descriptions, one of which is a near miss for the
  // regex bombs (fuzz-world.ts): the budget goes there first.
  // Only in a request that is otherwise right, so that the bomb reaches the matching.
  const bombHere =
    route.method === "GET" &&
    route.url === "/api/v1/network" &&
    (c.mode === "clean" || c.spot === "values") &&
    c.budget.regexBomb > 0;
  if (bombHere && rng.chance(0.5) && !names.includes("limit")) names.push("limit");
  const pairs: [string, string][] = [];
  names.forEach((name, i) => {
    let value: string;
    if (name === "limit" && bombHere && rng.chance(0.5)) {
      value = rng.pick(REGEX_BOMBS);
    } else if ((wild && rng.chance(0.2)) || (fault === "hostile" && i === faultAt)) {
      const h = hostileString(rng);
      value = h.value;
      c.notes.push(`${name}=${h.flavour}`);
    } else if ((wild && rng.chance(0.2)) || (fault === "inject" && i === faultAt)) {
      value = inject(rng, goodValue(rng, name, route.url, c.token, c.slot));
      c.notes.push(`${name}=injected`);
    } else {
      value = goodValue(rng, name, route.url, c.token, c.slot);
    }
    if (name === "limit" && (REGEX_BOMBS as readonly string[]).includes(value)) {
      if (bombHere) {
        c.budget.regexBomb--;
        c.notes.push("regex-bomb");
      } else value = "fz";
    }
    pairs.push([name, value]);
    if ((wild && rng.chance(0.05)) || (fault === "repeated" && i === faultAt)) {
      pairs.push([name, wild ? hostileString(rng).value : goodValue(rng, name, route.url, c.token, c.slot)]);
      c.notes.push(`repeated:${name}`);
    }
  });
  return pairs;
}

/** resourceVersions a watch may be asked to start from: good, old, future, and not numbers at all. */
const WATCH_RVS = ["0", "1", "", "99999999999999999999999999", "-1", "abc", "1e3", " 1", "0x10", "1.5", "１"];
const WATCH_TIMEOUTS = ["1", "0", "-1", "abc", "99999999999", "1.5", "", "1e2"];

/**
 * A watch request's query (the NDJSON stream): from a resourceVersion good, too old, in the future
 * or not a number, with a timeout right or not; the stream's head counts as its answer.
 */
function watchQuery(c: Ctx, pairs: [string, string][]): void {
  const { rng } = c;
  const bad = faulty(c, "values");
  pairs.push(["watch", bad ? rng.pick(["true", "1", "", "yes", "TRUE", hostileString(rng).value]) : "true"]);
  if (rng.chance(bad ? 0.8 : 0.4))
    pairs.push(["resourceVersion", bad && rng.chance(0.3) ? hostileString(rng).value : rng.pick(WATCH_RVS)]);
  // A stream without a timeout ends when the client leaves (fuzz-http cuts it after its head).
  if (rng.chance(0.8)) pairs.push(["timeoutSeconds", bad ? rng.pick(WATCH_TIMEOUTS) : "1"]);
  if (bad && rng.chance(0.3)) pairs.push(["allowWatchBookmarks", hostileString(rng).value]);
  c.notes.push(bad ? "watch:fuzzed" : "watch");
}

/** Query parameters of the declarative API, valid and (when asked) not. */
function apisQuery(c: Ctx, method: string): [string, string][] {
  const { rng } = c;
  const bad = faulty(c, "values");
  const pairs: [string, string][] = [];
  const add = (k: string, good: string[]) => {
    if (!bad || rng.chance(0.5)) pairs.push([k, rng.pick(good)]);
    else {
      const h = hostileString(rng);
      pairs.push([k, h.value]);
      c.notes.push(`?${k}=${h.flavour}`);
    }
  };
  if (method !== "GET" && rng.chance(0.2)) add("dryRun", ["true", "All", "false", "1", ""]);
  if (method === "GET" && rng.chance(0.15)) watchQuery(c, pairs);
  if (rng.chance(bad ? 0.3 : 0.1))
    add("labelSelector", ["site=dc1", "app in (web,db)", "!x", "a!=b", "a=b,c", "x in (", "=", "a==b==c"]);
  if (bad && rng.chance(0.2)) add("resourceVersion", ["0", "1", "99999999999", "-1", "abc"]);
  if (method === "PATCH" && rng.chance(0.3)) add("apply", bad ? ["true", "false", "yes"] : ["true"]);
  if (bad && rng.chance(0.1)) {
    pairs.push([hostileString(rng).value.slice(0, 40) || "x", "y"]);
    c.notes.push("?extra");
  }
  return pairs;
}

/** A query string; when fuzzing, sometimes with raw characters node:http still sends. */
function queryString(c: Ctx, pairs: Pairs): string {
  if (pairs.length === 0) return "";
  if (faulty(c, "values") && c.rng.chance(0.1)) {
    c.notes.push("raw-query");
    return `?${pairs.map(([k, v]) => `${k}=${v}`.replace(/[^\x21-\x7e]/g, (ch) => percentEncode(ch))).join("&")}`;
  }
  return `?${urlencoded(pairs)}`;
}

/** How /api/v1 values travel: the query, a form, multipart, both; when fuzzing, broken bodies. */
function v1Carrier(c: Ctx, method: string, pairs: Pairs): { query: Pairs; body?: FuzzBody } {
  const { rng } = c;
  const bad = faulty(c, "body");
  // A bomb travels in the query: a GET's form body is the road less tested, not the bomb's point.
  const bomb = c.notes.includes("regex-bomb");
  const how = rng.weighted<string>([
    ["query", bomb ? 1e9 : method === "GET" ? 6 : 3],
    ["form", 3],
    ["multipart", 2],
    ["both", 1],
    ["json", bad ? 1 : 0],
    ["broken-form", bad ? 2 : 0],
    ["broken-multipart", bad ? 3 : 0],
    ["xml", bad ? 0.5 : 0],
    ["binary", bad ? 1 : 0],
  ]);
  c.notes.push(`via:${how}`);
  switch (how) {
    case "query":
      return { query: pairs };
    case "form":
      return { query: [], body: formBody(pairs) };
    case "multipart":
      return { query: [], body: multipartBody(pairs, rng) };
    case "both": {
      const half = Math.floor(pairs.length / 2);
      return { query: pairs.slice(0, half), body: formBody(pairs.slice(half)) };
    }
    case "json":
      return { query: [], body: jsonBody(Object.fromEntries(pairs), rng) };
    case "broken-form":
      return { query: pairs, body: invalidForm(rng) };
    case "xml":
      return { query: pairs, body: xmlBody(rng) };
    case "binary":
      return { query: pairs, body: binaryBody(rng) };
    default:
      return { query: pairs, body: invalidMultipart(rng) };
  }
}

/** A body for a declarative API write: the kind's document, or (when asked) worse. */
function apisBody(c: Ctx, method: string, plural: string | undefined): FuzzBody {
  const { rng } = c;
  const bad = faulty(c, "body");
  const base = validDoc(rng, plural ?? rng.pick(KINDS).plural);
  let doc: Record<string, unknown> = base;
  if (method === "PATCH" && rng.chance(0.5)) {
    // A merge patch: a fragment of the document.
    doc = { spec: base.spec, ...(rng.chance(0.3) ? { metadata: { labels: { fz: "1" } } } : {}) };
  } else if (method === "DELETE") {
    doc = { preconditions: { resourceVersion: rng.pick(["1", "", "x"]) } };
  }
  // The big alias bomb goes in the first create that is right but for its body.
  const bigBomb = c.budget.aliasBomb > 0 && c.mode === "one" && c.spot === "body" && method === "POST";
  const form = bigBomb
    ? "bomb"
    : bad
      ? rng.weighted<string>([
          ["mutated", c.mode === "wild" ? 30 : 50],
          ["invalid-json", 6],
          ["invalid-yaml", 6],
          ["xml", 1],
          ["bomb", 2],
          ["form", 1],
          ["multipart", 2],
          ["lying", 4],
          ["binary", 3],
          ["string", 3],
          ["big", 3],
          ["oversized", 0.4],
          ["none", 2],
        ])
      : "clean";
  const encode = (d: unknown): FuzzBody => {
    if (rng.chance(0.4)) return yamlBody(d, rng);
    const json = jsonBody(d, rng);
    return method === "PATCH" && rng.chance(0.5)
      ? { ...json, contentType: "application/merge-patch+json" }
      : json;
  };
  switch (form) {
    case "clean":
      return encode(doc);
    case "mutated": {
      const m = mutateDocument(rng, doc, c.mode === "wild" ? rng.int(1, 3) : 1);
      c.notes.push(...m.what.map((w) => `doc.${w}`));
      return encode(m.doc);
    }
    case "invalid-json":
      return invalidJson(rng);
    case "invalid-yaml":
      return invalidYaml(rng);
    case "xml":
      return xmlBody(rng);
    case "bomb": {
      // The big one only where it is validated: a create whose path and credentials are right.
      if (bigBomb) {
        c.budget.aliasBomb--;
        return aliasBomb(9, 10, String(base.kind));
      }
      return aliasBomb(rng.int(2, 5), rng.int(2, 10), String(base.kind)); // small: ≤ 10^5
    }
    case "form":
      return formBody([["kind", "Network"]]);
    case "multipart":
      return rng.chance(0.5) ? multipartBody([["spec", "x"]], rng) : invalidMultipart(rng);
    case "lying":
      return lyingBody(rng, jsonBody(doc, rng));
    case "binary":
      return binaryBody(rng);
    case "string":
      return stringBody(rng);
    case "big":
      return bigBody(rng, false, doc);
    case "oversized":
      return bigBody(rng, true, doc);
    default:
      return { data: Buffer.alloc(0), what: "empty" };
  }
}

/** Headers: the API key, or (when asked) a wrong one, none, or a forged session. */
function authHeaders(c: Ctx): Record<string, string> {
  const { rng, token } = c;
  const bad = c.spot === "auth" || (c.mode === "wild" && rng.chance(0.15));
  if (!bad) return { [API_KEY_HEADER]: token };
  c.notes.push("auth:bad");
  return rng.pick<Record<string, string>>([
    {},
    { [API_KEY_HEADER]: "" },
    { [API_KEY_HEADER]: `${token}x` },
    { [API_KEY_HEADER]: token.slice(0, 8) },
    { [API_KEY_HEADER]: "x".repeat(8_000) },
    { cookie: "pvc_session=s%3Aforged.sig" },
    { cookie: "pvc_session=" },
    { cookie: `pvc_session=${"%".repeat(100)}` },
    { cookie: "=;;=;pvc_session" },
    { authorization: `Bearer ${token}` },
  ]);
}

function extraHeaders(c: Ctx): Record<string, string> {
  const { rng } = c;
  const h: Record<string, string> = {};
  if (c.mode !== "wild") return h;
  if (rng.chance(0.1)) {
    h["x-request-id"] = rng.pick(["../../x", "a".repeat(500), "<script>", "", "id with spaces"]);
    c.notes.push("x-request-id");
  }
  if (rng.chance(0.05)) {
    h.accept = rng.pick(["application/yaml", "text/html", "*/*;q=abc", ""]);
    c.notes.push("accept");
  }
  if (rng.chance(0.03)) {
    h["content-encoding"] = rng.pick(["gzip", "br", "deflate", "identity, gzip"]);
    c.notes.push("content-encoding");
  }
  return h;
}

/** Raw HTTP that no client library sends; the API key is there, so the routes are reached. */
function rawRequest(rng: Rng, token: string): { raw: Buffer; what: string } {
  const key = `X-Api-Key: ${token}\r\n`;
  const p = "/apis/pvc.parallelvirtualcluster.org/v1/networks";
  const variants: Array<[string, string | Buffer]> = [
    ["no-version", "GET /api/v1\r\n\r\n"],
    ["bad-version", `GET /api/v1 HTTP/9.9\r\n${key}\r\n`],
    ["no-colon-header", `GET /api/v1 HTTP/1.1\r\nHost: x\r\nbroken header\r\n${key}\r\n`],
    ["header-overflow", `GET /api/v1 HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n${key}\r\n`],
    ["negative-length", `POST ${p} HTTP/1.1\r\nHost: x\r\n${key}Content-Length: -1\r\n\r\n{}`],
    ["nan-length", `POST ${p} HTTP/1.1\r\nHost: x\r\n${key}Content-Length: abc\r\n\r\n{}`],
    [
      "cl-and-te",
      `POST ${p} HTTP/1.1\r\nHost: x\r\n${key}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    ],
    [
      "bad-chunk",
      `POST ${p} HTTP/1.1\r\nHost: x\r\n${key}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    ],
    [
      "short-body",
      `POST ${p} HTTP/1.1\r\nHost: x\r\n${key}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"kind":`,
    ],
    [
      "nul-in-path",
      Buffer.concat([
        Buffer.from("GET /api/v1/network/a"),
        Buffer.from([0]),
        Buffer.from(`b HTTP/1.1\r\nHost: x\r\n${key}\r\n`),
      ]),
    ],
    [
      "utf8-in-path",
      Buffer.concat([
        Buffer.from("GET /api/v1/network/"),
        Buffer.from("ñ名", "utf8"),
        Buffer.from(` HTTP/1.1\r\nHost: x\r\n${key}\r\n`),
      ]),
    ],
    ["absolute-uri", `GET http://evil.example/api/v1/network HTTP/1.1\r\nHost: x\r\n${key}\r\n`],
    ["asterisk", `OPTIONS * HTTP/1.1\r\nHost: x\r\n${key}\r\n`],
    ["no-host", `GET /api/v1 HTTP/1.1\r\n${key}\r\n`],
    [
      "dup-content-type",
      `POST ${p} HTTP/1.1\r\nHost: x\r\n${key}Content-Type: application/json\r\nContent-Type: application/yaml\r\nContent-Length: 2\r\n\r\n{}`,
    ],
    [
      "pipelined",
      `GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/network?limit=( HTTP/1.1\r\nHost: x\r\n${key}\r\n`,
    ],
    ["lf-only", `GET /api/v1 HTTP/1.1\nHost: x\n${key.replace("\r\n", "\n")}\n`],
    ["garbage", randomString(rng, 64)],
  ];
  const [what, data] = rng.pick(variants);
  return { raw: typeof data === "string" ? Buffer.from(data, "latin1") : data, what };
}

/** Paths nobody registered. */
const UNKNOWN_PATHS = [
  "/",
  "/..",
  "/../../etc/passwd",
  "/%2e%2e/%2e%2e/etc/passwd",
  "/api",
  "/api/v2/network",
  "/api/v1/..%2F..%2Fmetrics",
  "/apis/other.group/v1/networks",
  "/apis/pvc.parallelvirtualcluster.org/v2/networks",
  "/apis/pvc.parallelvirtualcluster.org/v1/networks/a/b/c/d",
  "//apis",
  "/healthz/..",
  "/metrics%00",
  "/%",
  "/api/v1/network/%ff%fe",
];

export class RequestGenerator {
  readonly #rng: Rng;
  readonly #routes: ReadonlyArray<readonly [Route, number]>;
  readonly #token: string;
  readonly #budget = new Budget();
  #seq = 0;
  #failing = 0;

  constructor(rng: Rng, routes: readonly Route[], token: string) {
    this.#rng = rng;
    // Routes only the manual names all answer 404: they get a share, not an equal one.
    // Writes more often than reads: they are what puts objects (and so keys) in place to fuzz.
    const weight = (r: Route) =>
      (r.served ? 1 : 0.3) * (r.method === "POST" ? 2.5 : r.method === "GET" ? 1 : 1.5);
    this.#routes = routes.map((r) => [r, weight(r)] as const);
    this.#token = token;
  }

  /** 127.1.x.y, a new one every FAILURES_PER_ADDRESS requests that may fail authentication. */
  #failingSource(): string {
    const n = Math.floor(this.#failing++ / FAILURES_PER_ADDRESS);
    return `127.1.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  }

  /** The next `count` requests, built one at a time as they are asked for. */
  *take(count: number): Generator<FuzzRequest> {
    for (let i = 0; i < count; i++) yield this.next();
  }

  next(): FuzzRequest {
    const rng = this.#rng;
    const seq = this.#seq++;
    const kind = rng.weighted<"route" | "unknown" | "raw">([
      ["route", 95],
      ["unknown", 3],
      ["raw", 2],
    ]);
    if (kind === "raw") {
      const { raw, what } = rawRequest(rng, this.#token);
      return {
        seq,
        route: `RAW ${what}`,
        method: "RAW",
        target: what,
        headers: {},
        raw,
        notes: [what],
        heavy: false,
      };
    }
    const mode = rng.weighted<Mode>([
      ["clean", 3],
      ["one", 4],
      ["wild", 3],
    ]);
    const c: Ctx = {
      rng,
      mode,
      spot:
        mode === "one"
          ? rng.weighted<Spot>([
              ["path", 3],
              ["values", 4],
              ["body", 4],
              ["auth", 1],
              ["method", 0.5],
            ])
          : undefined,
      slot: rng.int(0, NETWORK_SLOTS - 1),
      token: this.#token,
      budget: this.#budget,
      notes: [],
    };
    c.notes.push(mode === "one" ? `one:${c.spot}` : mode);
    const headers = { ...authHeaders(c), ...extraHeaders(c) };
    const source = (extraAuthRoute: boolean) =>
      c.notes.includes("auth:bad") || extraAuthRoute ? this.#failingSource() : undefined;
    if (kind === "unknown") {
      const target = rng.pick(UNKNOWN_PATHS);
      const method = rng.pick(METHODS);
      return {
        seq,
        route: `${method} (unknown path)`,
        method,
        target,
        headers,
        notes: c.notes,
        heavy: false,
        source: source(false),
      };
    }
    const route = rng.weighted(this.#routes);
    let method = route.method;
    if (faulty(c, "method") && (c.spot === "method" || rng.chance(0.1))) {
      method = rng.pick(METHODS);
      c.notes.push(`method:${method}`);
    }
    const { path, plural } = fillPath(c, route.url);
    let query: Pairs = [];
    let body: FuzzBody | undefined;
    if (route.url.startsWith("/api/v1")) {
      ({ query, body } = v1Carrier(c, method, v1Values(c, route)));
    } else if (route.url.startsWith("/apis")) {
      query = apisQuery(c, method);
      if (method !== "GET" || (faulty(c, "body") && rng.chance(0.1))) body = apisBody(c, method, plural);
    } else if (mode === "wild") {
      if (rng.chance(0.3)) query = [[hostileString(rng).value.slice(0, 40) || "x", hostileString(rng).value]];
      if (rng.chance(0.1)) body = binaryBody(rng);
    }
    if (body?.contentType !== undefined) headers["content-type"] = body.contentType;
    if (body) c.notes.push(`body:${body.what}`);
    return {
      seq,
      route: `${route.method} ${route.url}${route.served ? "" : " (manual only)"}`,
      method,
      target: path + queryString(c, query),
      headers,
      body,
      notes: c.notes,
      heavy: Boolean(body?.heavy) || c.notes.includes("regex-bomb"),
      // A login with a wrong token counts as a failure too.
      source: source(route.url.includes("/auth/")),
    };
  }
}
