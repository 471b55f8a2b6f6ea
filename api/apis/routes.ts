/**
 * The declarative API, Kubernetes-style, for every kind of the registry:
 *
 *   GET    /apis                                          the API group
 *   GET    /apis/<group>/v1                               the kinds (plural, kind, short names…)
 *   GET    /apis/<group>/v1/<plural>                      list (?labelSelector) or watch (?watch=true)
 *   POST   /apis/<group>/v1/<plural>                      create
 *   GET    /apis/<group>/v1/<plural>/<name>               read
 *   PUT    /apis/<group>/v1/<plural>/<name>               replace (needs metadata.resourceVersion)
 *   PATCH  /apis/<group>/v1/<plural>/<name>               merge patch, or apply a full manifest
 *   DELETE /apis/<group>/v1/<plural>/<name>               delete (?resourceVersion= precondition)
 *   GET    /apis/<group>/v1/<plural>/<name>/status        the object, for its status
 *   GET    /apis/<group>/v1/<plural>/<name>/events        its events (what `pvcctl describe` shows)
 *
 * Every write takes `?dryRun=true` (or `All`): validated and answered as it would be stored, with
 * nothing stored. Reads of single objects go to ZooKeeper; lists are served by the kind's informer once
 * it holds every change made before the request (`Informer.current`: read-your-writes, without
 * reading 2 znodes per object — 1.9 s for 10,000 Networks, issue 16); watches are served by the
 * watch cache. Errors are Status documents (status.ts).
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import { KINDS, type KindInfo, lookupKind } from "../../src/resources/kinds.ts";
import { API_GROUP, API_GROUP_VERSION, API_VERSION, type Resource } from "../../src/resources/types.ts";
import type { EventRecorder } from "../../src/store/events.ts";
import type { Informer } from "../../src/store/informer.ts";
import { parseLabelSelector } from "../../src/store/labels.ts";
import type { ResourceStore } from "../../src/store/store.ts";
import { statusCodeOf, statusDoc, toPvcError } from "../status.ts";
import { assertUserCreatable } from "./admission.ts";
import { addContentParsers, bodyObject, patchMode } from "./content.ts";
import { dryRun, flag, type Query, seconds, text } from "./query.ts";
import { parseWatchRv, type WatchCache } from "./watch-cache.ts";
import { streamWatch } from "./watch-stream.ts";

export const APIS_PREFIX = "/apis";
/** The path of the group's version, under APIS_PREFIX. */
export const GROUP_PATH = `/${API_GROUP}/${API_VERSION}`;

export interface ApisOptions {
  store: ResourceStore;
  /** The kind's started informer (lists are served from it). */
  informer(kind: string): Informer;
  watchCache(kind: string): WatchCache;
  events: EventRecorder;
}

interface PluralParams {
  plural: string;
}
interface NameParams extends PluralParams {
  name: string;
}
type Req<P> = FastifyRequest<{ Params: P; Querystring: Query; Body: unknown }>;

/** The kind served at `/<plural>`: plural names only, as in Kubernetes. */
function kindOf(plural: string): KindInfo {
  const info = lookupKind(plural);
  if (!info || info.plural !== plural) {
    throw new PvcError(
      ErrorCodes.NOT_FOUND,
      `the server has no resource type ${JSON.stringify(plural)}; known: ${KINDS.map((k) => k.plural).join(", ")}`,
      { details: { plural } },
    );
  }
  return info;
}

/**
 * A document for `info` named `name` (when the path names one): apiVersion and kind filled in when
 * missing, and a kind or name that contradicts the path refused with the field named.
 */
function documentFor(info: KindInfo, body: unknown, name?: string): Record<string, unknown> {
  const doc = { ...bodyObject(body, info.kind) };
  doc.apiVersion ??= API_GROUP_VERSION;
  doc.kind ??= info.kind;
  const fields = [];
  if (typeof doc.kind !== "string" || lookupKind(doc.kind) !== info) {
    fields.push({ pointer: "/kind", value: doc.kind, message: `must be ${info.kind} at /${info.plural}` });
  }
  const meta = (typeof doc.metadata === "object" && doc.metadata !== null ? doc.metadata : {}) as Record<
    string,
    unknown
  >;
  if (name !== undefined) {
    if (meta.name === undefined) doc.metadata = { ...meta, name };
    else if (meta.name !== name) {
      fields.push({
        pointer: "/metadata/name",
        value: meta.name,
        message: `must be ${JSON.stringify(name)}, the name in the path`,
      });
    }
  }
  if (fields.length > 0) {
    throw new PvcError(
      ErrorCodes.VALIDATION_FAILED,
      `${info.kind}: ${fields.map((f) => `${f.pointer}: ${f.message}`).join("; ")}`,
      {
        details: { kind: info.kind, name, fields },
      },
    );
  }
  return { ...doc, kind: info.kind };
}

function discovery() {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: API_GROUP_VERSION,
    resources: KINDS.map((k) => ({
      name: k.plural,
      singularName: k.singular,
      kind: k.kind,
      shortNames: k.shortNames,
      namespaced: false,
      verbs: [...(k.userCreatable ? ["create"] : []), "delete", "get", "list", "patch", "update", "watch"],
    })),
  };
}

/** Errors and unknown paths of this scope as Status documents. */
function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const status = statusCodeOf(err);
    if (status >= 500) request.log.error({ err }, "apis: request failed");
    void reply.code(status).send(statusDoc(err));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send(
        statusDoc(
          new PvcError(ErrorCodes.NOT_FOUND, `no such path: ${request.method} ${request.url.split("?")[0]}`),
        ),
      );
  });
}

/** GET /apis and GET /apis/<group>/v1: what is served. */
function discoveryRoutes(app: FastifyInstance): void {
  app.get("/", async () => ({
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [
      {
        name: API_GROUP,
        versions: [{ groupVersion: API_GROUP_VERSION, version: API_VERSION }],
        preferredVersion: { groupVersion: API_GROUP_VERSION, version: API_VERSION },
      },
    ],
  }));
  app.get(GROUP_PATH, async () => discovery());
}

/** /<plural>: list or watch, and create. */
function collectionRoutes(app: FastifyInstance, { store, informer, watchCache }: ApisOptions): void {
  app.get(`${GROUP_PATH}/:plural`, async (request: Req<PluralParams>, reply: FastifyReply) => {
    const info = kindOf(request.params.plural);
    const q = request.query;
    const selector = text(q, "labelSelector");
    if (flag(q, "watch")) {
      return streamWatch(request, reply, {
        cache: watchCache(info.kind),
        fromRv: parseWatchRv(text(q, "resourceVersion")),
        selector: parseLabelSelector(selector),
        timeoutSeconds: seconds(q, "timeoutSeconds"),
      });
    }
    const parsed = parseLabelSelector(selector);
    const objects = informer(info.kind);
    await objects.current();
    const items = objects.list(parsed);
    const resourceVersion = objects.resourceVersion;
    return { apiVersion: API_GROUP_VERSION, kind: `${info.kind}List`, metadata: { resourceVersion }, items };
  });

  app.post(`${GROUP_PATH}/:plural`, async (request: Req<PluralParams>, reply: FastifyReply) => {
    const info = kindOf(request.params.plural);
    const doc = documentFor(info, request.body);
    assertUserCreatable(info);
    const created = await store.create(doc, { dryRun: dryRun(request.query) });
    return reply.code(201).send(created);
  });
}

/** /<plural>/<name>: read, replace, patch or apply, delete. */
function objectRoutes(app: FastifyInstance, { store }: ApisOptions): void {
  app.get(`${GROUP_PATH}/:plural/:name`, async (request: Req<NameParams>) => {
    const info = kindOf(request.params.plural);
    return store.get(info.kind, request.params.name);
  });

  app.put(`${GROUP_PATH}/:plural/:name`, async (request: Req<NameParams>) => {
    const info = kindOf(request.params.plural);
    const doc = documentFor(info, request.body, request.params.name);
    return store.update(doc, { dryRun: dryRun(request.query) });
  });

  app.patch(`${GROUP_PATH}/:plural/:name`, async (request: Req<NameParams>, reply: FastifyReply) => {
    const info = kindOf(request.params.plural);
    const { name } = request.params;
    const options = { dryRun: dryRun(request.query) };
    if (patchMode(request, flag(request.query, "apply")) === "merge") {
      return store.patch(info.kind, name, bodyObject(request.body, "merge patch"), options);
    }
    store.checkName(name); // a path's bad name is a bad request (400), as on every other verb
    const doc = documentFor(info, request.body, name);
    // Only a kind users may not create needs the look (an apply may update one, not create it):
    // for the others the store's create-first apply is one round trip, not three.
    if (!info.userCreatable && !(await store.tryGet(info.kind, name))) assertUserCreatable(info);
    const { resource, action } = await store.apply(doc, options);
    // What happened, for `pvcctl apply` to report (created / updated / unchanged).
    return reply
      .code(action === "created" ? 201 : 200)
      .header("x-pvc-apply-result", action)
      .send(resource);
  });

  app.delete(`${GROUP_PATH}/:plural/:name`, async (request: Req<NameParams>) => {
    const info = kindOf(request.params.plural);
    const body = request.body as { preconditions?: { resourceVersion?: unknown } } | undefined;
    const fromBody = body?.preconditions?.resourceVersion;
    const resourceVersion =
      text(request.query, "resourceVersion") ?? (typeof fromBody === "string" ? fromBody : undefined);
    return store.delete(info.kind, request.params.name, { dryRun: dryRun(request.query), resourceVersion });
  });
}

/** /<plural>/<name>/status and /events. */
function subresourceRoutes(app: FastifyInstance, { store, events }: ApisOptions): void {
  app.get(`${GROUP_PATH}/:plural/:name/status`, async (request: Req<NameParams>) => {
    const info = kindOf(request.params.plural);
    return store.get(info.kind, request.params.name);
  });

  app.get(`${GROUP_PATH}/:plural/:name/events`, async (request: Req<NameParams>) => {
    const info = kindOf(request.params.plural);
    const { name } = request.params;
    const object: Resource = await store.get(info.kind, name); // 404 for an object that is not there
    const items = await events.list(info.plural, name);
    return {
      kind: "EventList",
      apiVersion: "v1",
      involvedObject: { kind: info.kind, name, uid: object.metadata.uid },
      items,
    };
  });
}

export const apisApi: FastifyPluginAsync<ApisOptions> = async (app, options) => {
  addContentParsers(app);
  answerErrors(app);
  discoveryRoutes(app);
  collectionRoutes(app, options);
  objectRoutes(app, options);
  subresourceRoutes(app, options);
};

/** For the root error handler: the same Status answer outside the /apis scope. */
export function sendStatus(reply: FastifyReply, err: unknown): FastifyReply {
  return reply.code(statusCodeOf(err)).send(statusDoc(toPvcError(err)));
}
