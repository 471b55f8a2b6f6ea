/**
 * The HTTP server: one fastify instance with the pieces plugged in, each a plugin of its own:
 *
 *   /healthz /readyz /metrics    health.ts
 *   /openapi.json                openapi/index.ts (every route below, described)
 *   /apis/...                    apis/routes.ts   (declarative API, Status errors)
 *   /api/v1/...                  v1/index.ts      (PVC's facade: form values, {"message"} answers)
 *   /ui/...                      ui/index.ts      (the status page, its files and its live stream)
 *
 * Around them: the auth gate (auth.ts) on every route not marked public, a request id on every
 * request and response (`x-request-id`: the client's if it sent a sane one, else a new UUID), and
 * HTTPS when configured. GET requests may carry a form body, as PVC accepts values "in either GET or
 * POST mode".
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import cookie from "@fastify/cookie";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { ErrorCodes, PvcError } from "../src/errors.ts";
import type { AnyObject, LiveView } from "../src/pvc/live-view.ts";
import { KINDS } from "../src/resources/kinds.ts";
import type { RuntimeMetrics } from "../src/runtime/metrics.ts";
import type { EventFeed } from "../src/store/event-feed.ts";
import { APIS_PREFIX, type ApisOptions, apisApi, GROUP_PATH, sendStatus } from "./apis/routes.ts";
import { AuthGate, type AuthSettings, installAuthGate } from "./auth.ts";
import { healthApi, type Readiness } from "./health.ts";
import { RequestLog } from "./logging.ts";
import { addOpenApi } from "./openapi/index.ts";
import { closePromptly } from "./prompt-close.ts";
import { UI_PREFIX, uiApi } from "./ui/index.ts";
import type { FacadeDeps, FacadePlugin } from "./v1/facade.ts";
import { V1_PREFIX, v1Api } from "./v1/index.ts";

export interface ServerOptions {
  logger: Logger;
  auth: AuthSettings;
  /** PEM key and certificate: serve HTTPS. */
  tls?: { key: Buffer; cert: Buffer };
  apis: ApisOptions;
  facade: FacadeDeps;
  /** Facade groups besides api/v1/groups.ts (tests). */
  extraFacadeGroups?: Record<string, FacadePlugin>;
  metrics: RuntimeMetrics;
  readiness: () => Readiness;
  /** Every event recorded, live (the status page's recent events and drift plot). */
  eventFeed: EventFeed;
  /** One resource against ZooKeeper and Ceph (the status page's diff). */
  liveView(obj: AnyObject): Promise<LiveView>;
}

/** One served route, as the route table lists it (the auth tests walk it). */
export interface RouteInfo {
  method: string;
  url: string;
  public: boolean;
}

declare module "fastify" {
  interface FastifyInstance {
    /** Every route registered, in order. */
    readonly routeTable: readonly RouteInfo[];
  }
}

const REQUEST_ID_HEADER = "x-request-id";
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/**
 * Largest JSON/YAML body: one manifest per request, and no stored object may exceed 512 KiB of
 * JSON (MAX_OBJECT_BYTES), so 2 MiB leaves room for YAML's indentation while a hostile body costs
 * a quarter of what 8 MiB did (an 8 MiB body of 480,000 keys took the event loop 7-9 s to parse at
 * load 25). Between the two limits the store answers 413 naming the object's size. The facade has
 * its own form limit.
 */
const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** How long a stop waits for requests still in flight before it cuts their connections. */
const CLOSE_GRACE_MS = 10_000;

function requestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  // Fastify's instance type follows its logger's: as FastifyBaseLogger, the app is the plain
  // FastifyInstance every plugin here is written against (a pino Logger is one).
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance,
    // One debug line per request, not two at info: they drowned everything else (see logging.ts).
    logController: new RequestLog(),
    genReqId: requestId,
    bodyLimit: BODY_LIMIT_BYTES,
    ...(options.tls ? { https: { key: options.tls.key, cert: options.tls.cert } } : {}),
  });
  closePromptly(app, { tls: options.tls !== undefined, graceMs: CLOSE_GRACE_MS });
  // PVC takes values from a form body on GET too.
  app.addHttpMethod("GET", { hasBody: true, overrideExisting: true });
  const routes: RouteInfo[] = [];
  app.decorate("routeTable", routes);
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      routes.push({ method, url: route.url, public: route.config?.public === true });
  });

  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.setErrorHandler((err, request, reply) => {
    const sent = sendStatus(reply, err);
    if (sent.statusCode >= 500) request.log.error({ err }, "request failed");
    return sent;
  });
  app.setNotFoundHandler((request, reply) => {
    sendStatus(
      reply,
      new PvcError(ErrorCodes.NOT_FOUND, `no such path: ${request.method} ${request.url.split("?")[0]}`),
    );
  });

  const gate = new AuthGate(options.auth);
  if (gate.enabled && gate.usableTokens === 0) {
    options.logger.warn("authentication is enabled but no non-empty token is configured: nothing can log in");
  }
  // Signs session cookies with secret_key; without auth there is nothing to sign.
  await app.register(cookie, options.auth.enabled ? { secret: options.auth.secretKey } : {});
  installAuthGate(app, gate);

  // First: it collects the routes as they are registered.
  await addOpenApi(app);
  await app.register(healthApi, { readiness: options.readiness, metrics: options.metrics });
  await app.register(apisApi, { ...options.apis, prefix: APIS_PREFIX });
  await app.register(v1Api, {
    prefix: V1_PREFIX,
    deps: options.facade,
    gate,
    extraGroups: options.extraFacadeGroups,
  });
  await app.register(uiApi, {
    prefix: UI_PREFIX,
    gate,
    sources: {
      kinds: KINDS,
      apiPath: `${APIS_PREFIX}${GROUP_PATH}`,
      auth: gate.enabled,
      watchCache: options.apis.watchCache,
      feed: options.eventFeed,
    },
    live: { get: (kind, name) => options.apis.store.get(kind, name), view: options.liveView },
  });
  return app;
}
