/**
 * The metrics registry renders the Prometheus text format 0.0.4: parsed back here with a small
 * parser written from the format's description (HELP/TYPE lines, samples with escaped labels).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cephCommandLabel, METRICS_CONTENT_TYPE, RuntimeMetrics } from "../../src/runtime/metrics.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Parsed {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    consumed += m[0].length;
  }
  assert.equal(consumed, text.length, `unparsable labels: {${text}}`);
  return labels;
}

function parseExposition(text: string): Parsed {
  const out: Parsed = { types: new Map(), help: new Map(), samples: [] };
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === "HELP" ? out.help : out.types).set(meta[2], meta[3]);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    // Prometheus parses values with Go's ParseFloat: NaN and Inf in any case (prom-client
    // writes "Nan" for a gauge without data).
    const raw = sample[3];
    const value = /^\+?inf$/i.test(raw)
      ? Number.POSITIVE_INFINITY
      : /^-inf$/i.test(raw)
        ? -Infinity
        : Number(raw);
    assert.ok(!Number.isNaN(value) || /^nan$/i.test(raw), `bad value in ${line}`);
    out.samples.push({ name: sample[1], labels: sample[2] ? parseLabels(sample[2]) : {}, value });
  }
  return out;
}

function find(p: Parsed, name: string, labels: Record<string, string> = {}): number | undefined {
  return p.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

describe("RuntimeMetrics", () => {
  test("renders counters, gauges and histograms that parse back", async () => {
    const m = new RuntimeMetrics();
    m.observeReconcile("Network", "success", 0.003);
    m.observeReconcile("Network", "success", 0.2);
    m.observeReconcile("Network", "error", 0.02);
    m.observeReconcile("Volume", "terminal", 1.5);
    m.driftRepairs.inc({ kind: "Network" });
    m.trackQueue("Network", () => ({ depth: 7, inFlight: 2, delayed: 1 }));
    m.leader.set(1);
    const zk = m.zkOnCall();
    zk({ op: "get", ms: 0.8, ok: true });
    zk({ op: "multi", ms: 12, ok: false });
    m.cephOnCall()({ cmd: "rbd resize vms/web1_sda --size 10G", ms: 300, ok: true });

    const text = await m.render();
    const p = parseExposition(text);
    assert.equal(p.types.get("pvc_reconcile_total"), "counter");
    assert.equal(p.types.get("pvc_reconcile_duration_seconds"), "histogram");
    assert.equal(p.types.get("pvc_workqueue_depth"), "gauge");
    assert.ok(p.help.get("pvc_reconcile_total"));

    assert.equal(find(p, "pvc_reconcile_total", { kind: "Network", result: "success" }), 2);
    assert.equal(find(p, "pvc_reconcile_total", { kind: "Network", result: "error" }), 1);
    assert.equal(find(p, "pvc_reconcile_total", { kind: "Volume", result: "terminal" }), 1);
    assert.equal(find(p, "pvc_workqueue_depth", { kind: "Network" }), 7);
    assert.equal(find(p, "pvc_workqueue_in_flight", { kind: "Network" }), 2);
    assert.equal(find(p, "pvc_workqueue_delayed", { kind: "Network" }), 1);
    assert.equal(find(p, "pvc_drift_repairs_total", { kind: "Network" }), 1);
    assert.equal(find(p, "pvc_leader"), 1);

    // Histogram: cumulative buckets, +Inf equals the count, sum of the observations.
    const buckets = p.samples.filter(
      (s) => s.name === "pvc_reconcile_duration_seconds_bucket" && s.labels.kind === "Network",
    );
    const values = buckets.map((b) => b.value);
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
      "buckets are cumulative",
    );
    assert.equal(buckets.find((b) => b.labels.le === "0.005")?.value, 1);
    assert.equal(buckets.find((b) => b.labels.le === "+Inf")?.value, 3);
    assert.equal(find(p, "pvc_reconcile_duration_seconds_count", { kind: "Network" }), 3);
    const sum = find(p, "pvc_reconcile_duration_seconds_sum", { kind: "Network" }) ?? 0;
    assert.ok(Math.abs(sum - 0.223) < 1e-9, `sum ${sum}`);

    assert.equal(find(p, "pvc_zookeeper_call_duration_seconds_count", { op: "get", result: "ok" }), 1);
    assert.equal(find(p, "pvc_zookeeper_call_duration_seconds_count", { op: "multi", result: "error" }), 1);
    assert.equal(
      find(p, "pvc_ceph_call_duration_seconds_count", { cmd: "rbd resize", result: "ok" }),
      1,
      "image names never become label values",
    );
    assert.match(METRICS_CONTENT_TYPE, /^text\/plain; version=0\.0\.4/);
  });

  test("label values are escaped", async () => {
    const m = new RuntimeMetrics();
    m.observeReconcile('we"ird\\kind\nx', "success", 0.1);
    const p = parseExposition(await m.render());
    assert.equal(find(p, "pvc_reconcile_total", { kind: 'we"ird\\kind\nx' }), 1);
  });

  test("a queue stops being reported once untracked; registries are independent", async () => {
    const a = new RuntimeMetrics();
    const b = new RuntimeMetrics();
    const untrack = a.trackQueue("Network", () => ({ depth: 1, inFlight: 0, delayed: 0 }));
    assert.equal(find(parseExposition(await a.render()), "pvc_workqueue_depth", { kind: "Network" }), 1);
    assert.equal(
      find(parseExposition(await b.render()), "pvc_workqueue_depth", { kind: "Network" }),
      undefined,
    );
    untrack();
    assert.equal(
      find(parseExposition(await a.render()), "pvc_workqueue_depth", { kind: "Network" }),
      undefined,
    );
  });

  test("process metrics on request", async () => {
    const m = new RuntimeMetrics({ processMetrics: true });
    const p = parseExposition(await m.render());
    assert.equal(p.types.get("pvc_nodejs_heap_size_total_bytes"), "gauge");
    assert.ok((find(p, "pvc_nodejs_heap_size_total_bytes") ?? 0) > 0);
  });

  test("ceph command labels keep the command, never the names", () => {
    assert.equal(cephCommandLabel("rbd create vms/x"), "rbd create");
    assert.equal(cephCommandLabel("rbd snap create vms/x@s1"), "rbd snap create");
    assert.equal(cephCommandLabel("ceph osd pool create vms"), "ceph osd pool create");
    assert.equal(cephCommandLabel("  ceph   status "), "ceph status");
    assert.equal(cephCommandLabel("rbd resize vms/web1_sda"), "rbd resize");
    assert.equal(cephCommandLabel(""), "unknown");
  });
});
