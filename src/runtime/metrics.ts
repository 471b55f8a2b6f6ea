/**
 * The control plane's Prometheus metrics, on prom-client (the maintained standard client for Node:
 * text exposition format 0.0.4, label escaping, histograms). One registry per process, never the
 * library's global one, so that tests and several managers in one process do not collide.
 *
 * What is predefined (all names prefixed `pvc_`):
 * - reconcile_total{kind,result}             runs per kind and result (success|requeue|error|terminal)
 * - reconcile_duration_seconds{kind}         histogram of one reconcile
 * - workqueue_depth{kind}, workqueue_in_flight{kind}, workqueue_delayed{kind}   read at scrape time
 * - drift_repairs_total{kind}                a reconcile found the world off its spec and fixed it
 * - zookeeper_call_duration_seconds{op,result}, ceph_call_duration_seconds{cmd,result}
 * - leader                                   1 while this replica leads
 */
import client from "prom-client";

/** The content type of `render()`'s output, for the HTTP response. */
export const METRICS_CONTENT_TYPE = client.Registry.PROMETHEUS_CONTENT_TYPE;

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const CALL_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface QueueStats {
  depth: number;
  inFlight: number;
  delayed: number;
}

export type ReconcileResultLabel = "success" | "requeue" | "error" | "terminal";

/** The ZooKeeper client's `onCall` payload. */
export interface ZkCall {
  op: string;
  ms: number;
  ok: boolean;
}

/** The Ceph client's `onCall` payload. */
export interface CephCall {
  cmd: string;
  ms: number;
  ok: boolean;
}

/**
 * A Ceph command reduced to a low-cardinality label: its leading plain words, at most four
 * (`rbd resize`, `rbd snap create`, `ceph osd pool create`), stopping at the first argument that
 * looks like a name (`vms/web1_sda`, `pool.x`), so that image names never become label values.
 */
export function cephCommandLabel(cmd: string): string {
  const words: string[] = [];
  for (const word of cmd.trim().split(/\s+/)) {
    if (words.length === 4 || !/^[a-z][a-z-]*$/.test(word)) break;
    words.push(word);
  }
  return words.join(" ") || "unknown";
}

export class RuntimeMetrics {
  readonly registry: client.Registry;
  readonly reconciles: client.Counter<"kind" | "result">;
  readonly reconcileDuration: client.Histogram<"kind">;
  readonly driftRepairs: client.Counter<"kind">;
  readonly zkCalls: client.Histogram<"op" | "result">;
  readonly cephCalls: client.Histogram<"cmd" | "result">;
  readonly leader: client.Gauge;
  readonly #queues = new Map<string, () => QueueStats>();

  constructor(options: { processMetrics?: boolean } = {}) {
    const registry = new client.Registry();
    this.registry = registry;
    const registers = [registry];
    const queues = this.#queues;
    this.reconciles = new client.Counter({
      name: "pvc_reconcile_total",
      help: "Reconciles run, per kind and result (success, requeue, error, terminal).",
      labelNames: ["kind", "result"],
      registers,
    });
    this.reconcileDuration = new client.Histogram({
      name: "pvc_reconcile_duration_seconds",
      help: "Duration of one reconcile.",
      labelNames: ["kind"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    const queueGauge = (name: string, help: string, field: keyof QueueStats) =>
      new client.Gauge({
        name,
        help,
        labelNames: ["kind"],
        registers,
        collect() {
          this.reset();
          for (const [kind, stats] of queues) this.set({ kind }, stats()[field]);
        },
      });
    queueGauge("pvc_workqueue_depth", "Keys waiting in the work queue.", "depth");
    queueGauge("pvc_workqueue_in_flight", "Keys being reconciled.", "inFlight");
    queueGauge("pvc_workqueue_delayed", "Keys scheduled for later (backoff or requeueAfter).", "delayed");
    this.driftRepairs = new client.Counter({
      name: "pvc_drift_repairs_total",
      help: "Reconciles that found the world off its spec and repaired it.",
      labelNames: ["kind"],
      registers,
    });
    this.zkCalls = new client.Histogram({
      name: "pvc_zookeeper_call_duration_seconds",
      help: "Latency of ZooKeeper calls, per operation and result.",
      labelNames: ["op", "result"],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.cephCalls = new client.Histogram({
      name: "pvc_ceph_call_duration_seconds",
      help: "Latency of Ceph commands, per command (its leading plain words) and result.",
      labelNames: ["cmd", "result"],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.leader = new client.Gauge({
      name: "pvc_leader",
      help: "1 while this replica is the elected leader.",
      registers,
    });
    this.leader.set(0);
    if (options.processMetrics) client.collectDefaultMetrics({ register: registry, prefix: "pvc_" });
  }

  /** Reads a controller's queue at each scrape; returns the function that stops it. */
  trackQueue(kind: string, stats: () => QueueStats): () => void {
    this.#queues.set(kind, stats);
    return () => {
      if (this.#queues.get(kind) === stats) this.#queues.delete(kind);
    };
  }

  observeReconcile(kind: string, result: ReconcileResultLabel, seconds: number): void {
    this.reconciles.inc({ kind, result });
    this.reconcileDuration.observe({ kind }, seconds);
  }

  /** Adapter for `ZkClient.connect({ onCall })`. */
  zkOnCall(): (call: ZkCall) => void {
    return ({ op, ms, ok }) => this.zkCalls.observe({ op, result: ok ? "ok" : "error" }, ms / 1000);
  }

  /** Adapter for the Ceph client's `onCall`. */
  cephOnCall(): (call: CephCall) => void {
    return ({ cmd, ms, ok }) =>
      this.cephCalls.observe({ cmd: cephCommandLabel(cmd), result: ok ? "ok" : "error" }, ms / 1000);
  }

  /** Every metric in the text exposition format 0.0.4 (serve with METRICS_CONTENT_TYPE). */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
