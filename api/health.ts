/**
 * Probes and metrics. /healthz and /readyz are open even with authentication on (a load balancer or
 * an orchestrator has no token); /metrics is gated like everything else.
 * - /healthz: the process serves HTTP.
 * - /readyz: ZooKeeper is connected and every informer has synced; 503 with the reasons otherwise.
 */
import type { FastifyPluginAsync } from "fastify";
import { METRICS_CONTENT_TYPE, type RuntimeMetrics } from "../src/runtime/metrics.ts";

export interface Readiness {
  ready: boolean;
  /** Why not, for people (`zookeeper suspended`, `informer Network not synced`). */
  reasons: string[];
}

export interface HealthOptions {
  readiness: () => Readiness;
  metrics: RuntimeMetrics;
}

export const healthApi: FastifyPluginAsync<HealthOptions> = async (app, { readiness, metrics }) => {
  const open = { config: { public: true } };
  app.get("/healthz", open, async () => ({ status: "ok" }));
  app.get("/readyz", open, async (_request, reply) => {
    const r = readiness();
    return reply
      .code(r.ready ? 200 : 503)
      .send(r.ready ? { status: "ready" } : { status: "not ready", reasons: r.reasons });
  });
  app.get("/metrics", async (_request, reply) =>
    reply.type(METRICS_CONTENT_TYPE).send(await metrics.render()),
  );
};
