/**
 * Ceph's reachability in /metrics: `pvc_ceph_reachable` (1, or 0 while some binary's last call
 * went unanswered) and `pvc_ceph_unanswered_calls{binary}` (unanswered calls in a row), both read
 * from a CephReachability at scrape time. Registered on the process's registry by the composition
 * root; a second registration on the same registry is a no-op, not prom-client's duplicate error.
 */
import client from "prom-client";
import type { CephReachability } from "./reachability.ts";

export function registerCephReachability(registry: client.Registry, reachability: CephReachability): void {
  if (registry.getSingleMetric("pvc_ceph_reachable")) return;
  const registers = [registry];
  new client.Gauge({
    name: "pvc_ceph_reachable",
    help: "1 while Ceph answers the commands we run; 0 after a call went unanswered (timed out, or could not connect).",
    registers,
    collect() {
      this.set(reachability.reachable ? 1 : 0);
    },
  });
  new client.Gauge({
    name: "pvc_ceph_unanswered_calls",
    help: "Ceph commands in a row, per binary, that got no answer (timed out, or could not connect).",
    labelNames: ["binary"],
    registers,
    collect() {
      this.reset();
      for (const u of reachability.unreachable()) this.set({ binary: u.binary }, u.failures);
    },
  });
}
