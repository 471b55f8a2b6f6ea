/**
 * The status page's logic that needs no browser: the summaries the server sends (api/ui/summary.ts),
 * and the page's own modules (ui/yaml.js, ui/store.js: plain modules, loaded here as they are):
 * the YAML it shows reads back as the object, one state word per object, the label selector and
 * the filters.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "js-yaml";
import { summarize } from "../../api/ui/summary.ts";
import type { Resource } from "../../src/resources/types.ts";

// Not type-checked: the page's modules are plain JavaScript (no build step).
const ui = (file: string) => import(new URL(`../../ui/${file}`, import.meta.url).href);

const T = "2026-01-01T00:00:00.000Z";
const cond = (type: string, status: string, reason = "R", message = "m") => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: T,
});

test("the YAML shown reads back as the object, whatever its strings look like", async () => {
  const { toYaml } = await ui("yaml.js");
  const tricky = [
    "true",
    "No",
    "null",
    "~",
    "123",
    "1e3",
    "0x10",
    "",
    " lead",
    "trail ",
    "a: b",
    "a #b",
    "#x",
    "- x",
    "[x]",
    "{x}",
    "@x",
    "`x",
    "x:",
    "'q'",
    '"q"',
    "multi\nline\n",
    "multi\nno newline",
    "\ttab",
    "ü ☃",
    "10.0.0.1/24",
    "/networks/10000",
    "2026-01-01",
    "yes please",
  ];
  const object = {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    metadata: { name: "x", labels: {}, finalizers: [] },
    spec: {
      strings: tricky,
      byKey: Object.fromEntries(tricky.filter((s) => s !== "").map((s) => [s, s])),
      numbers: [0, -1, 1.5, 1e21],
      flags: [true, false, null],
      nested: [{ a: 1, b: [{ c: "d" }, []] }, [1, [2]], {}],
      xml: "<domain>\n  <name>x</name>\n</domain>\n",
    },
  };
  const text = toYaml(object);
  assert.deepEqual(load(text), object, text);
});

test("one state word per object, and the condition that says why", async () => {
  const { headline } = await ui("store.js");
  const s = (conditions: unknown[], extra = {}) => ({
    kind: "Network",
    name: "n",
    labels: {},
    generation: 2,
    observedGeneration: 2,
    deleting: false,
    conditions,
    fields: {},
    ...extra,
  });
  assert.equal(headline(s([cond("Ready", "True")])).state, "Ready");
  assert.equal(
    headline(s([cond("Ready", "False"), cond("Stalled", "True", "Undersized")])).why.reason,
    "Undersized",
  );
  assert.equal(headline(s([cond("Ready", "True"), cond("Drifted", "True")])).state, "Drifted");
  assert.equal(headline(s([cond("Ready", "False"), cond("Reconciling", "True")])).state, "Reconciling");
  assert.equal(headline(s([cond("Ready", "False")])).state, "NotReady");
  assert.equal(headline(s([])).state, "None", "a kind without a controller");
  assert.equal(headline(s([cond("Ready", "True")], { observedGeneration: 1 })).state, "Reconciling");
  assert.equal(headline(s([cond("Ready", "True")], { deleting: true })).state, "Deleting");
});

test("the label selector and the filters", async () => {
  const { filterOf, parseSelector } = await ui("store.js");
  const mk = (name: string, labels: Record<string, string>, ready: string) => ({
    kind: name.startsWith("vm") ? "VirtualMachine" : "Network",
    name,
    labels,
    deleting: false,
    conditions: [cond("Ready", ready)],
    fields: {},
  });
  const all = [
    mk("lan", { site: "dc1", tier: "web" }, "True"),
    mk("wan", { site: "dc2" }, "False"),
    mk("vm-web1", { site: "dc1" }, "True"),
  ];
  const names = (f: Record<string, unknown>) =>
    all.filter(filterOf({ kind: "", condition: "", selector: [], name: "", ...f })).map((s) => s.name);
  assert.deepEqual(names({ selector: parseSelector("site=dc1") }), ["lan", "vm-web1"]);
  assert.deepEqual(names({ selector: parseSelector("site!=dc1") }), ["wan"]);
  assert.deepEqual(names({ selector: parseSelector("tier") }), ["lan"]);
  assert.deepEqual(names({ selector: parseSelector("!tier, site==dc1") }), ["vm-web1"]);
  assert.deepEqual(names({ condition: "NotReady" }), ["wan"]);
  assert.deepEqual(names({ kind: "VirtualMachine" }), ["vm-web1"]);
  assert.deepEqual(names({ name: "WEB" }), ["vm-web1"]);
  for (const bad of ["=x", "a=b=c", "!a=b", "a b"])
    assert.throws(() => parseSelector(bad), /not a label selector term/, bad);
});

test("a summary is small: conditions, short status fields, the panels' figures; no spec", () => {
  const vm = {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "VirtualMachine",
    metadata: { name: "web1", generation: 3, resourceVersion: "77", labels: { a: "b" } },
    spec: { xml: "<domain>…</domain>".repeat(1000) },
    status: {
      observedGeneration: 3,
      conditions: [cond("Ready", "True"), cond("Running", "True")],
      state: "start",
      node: "hv1",
      consoleLog: "x".repeat(10_000),
      drift: ["/domains/u/xml"],
    },
  } as unknown as Resource;
  const s = summarize(vm);
  assert.deepEqual(s.fields, { state: "start", node: "hv1" });
  assert.equal(s.observedGeneration, 3);
  assert.deepEqual(s.drift, ["/domains/u/xml"]);
  assert.equal(s.conditions.length, 2);
  assert.ok(JSON.stringify(s).length < 600, JSON.stringify(s));

  const sync = summarize({
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "GitOpsSync",
    metadata: { name: "site" },
    spec: { dir: "/srv/site" },
    status: {
      files: 2,
      pruneBlocked: "would prune 9 of 10",
      errors: Array.from({ length: 80 }, (_, i) => ({ file: "a.yaml", line: i, message: "bad" })),
      inventory: Array.from({ length: 10_000 }, (_, i) => ({
        kind: "Network",
        name: `n${i}`,
        file: "a.yaml",
      })),
    },
  } as unknown as Resource);
  assert.equal(sync.fields.pruneBlocked, "would prune 9 of 10");
  assert.equal(sync.panel?.dir, "/srv/site");
  assert.equal(sync.panel?.inventory, 10_000);
  assert.equal(sync.panel?.errorCount, 80);
  assert.equal(((sync.panel?.errors ?? []) as unknown[]).length, 50);
  assert.ok(JSON.stringify(sync).length < 5000);
});
