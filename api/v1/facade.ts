/**
 * What a facade group (api/v1/<group>.ts) gets and how it answers. A group is a fastify plugin,
 * registered under /api/v1 with `{ deps }`:
 *
 *     export const networkFacade: FacadePlugin = async (app, { deps }) => {
 *       app.get("/network", async (request) => {
 *         const match = limitFilter(getValue(readValues(request), "limit"));
 *         return deps.informer("Network").list().filter((n) => match(n.metadata.name)).map(toPvc);
 *       });
 *       app.post("/network", async (request, reply) => {
 *         const v = readValues(request);
 *         const verdict = await writeAndWait(deps, () => deps.store.create(fromValues(v)), {
 *           success: `Network "${getValue(v, "description")}" added successfully`,
 *         });
 *         return respond(reply, verdict);
 *       });
 *     };
 *
 * Errors may simply be thrown: the facade's error handler answers the manual's way (GET: 404 for
 * NOT_FOUND, 400 for bad values; POST/PUT/DELETE: 510), always as `{"message": …}`.
 *
 * A facade translates: it reads from the informers or `deps.pvc` (typed reads of PVC's keys),
 * writes resources through `deps.store`, and calls `deps.cephOps` for the few Ceph operations that
 * are no resource. It never reaches ZooKeeper, Ceph, a process or a controller itself
 * (scripts/code-shape.ts checks this), and decides on a verdict's `ok`/`converging`, never its text.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { CephClusterOps } from "../../src/ceph/cluster-ops.ts";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import type { NodeHeartbeats } from "../../src/pvc/node-heartbeats.ts";
import type { PvcReader } from "../../src/pvc/reader.ts";
import type { ObjectOf } from "../../src/resources/specs.ts";
import type { FieldError } from "../../src/resources/types.ts";
import type { EventRecorder } from "../../src/store/events.ts";
import type { Informer } from "../../src/store/informer.ts";
import type { ResourceStore } from "../../src/store/store.ts";

export interface FacadeDeps {
  store: ResourceStore;
  /** Started, synced informers by kind name (reads should come from here: no ZooKeeper round trip). */
  informer<K extends string>(kind: K): Informer<ObjectOf<K>>;
  events: EventRecorder;
  /** Reads of PVC's own keys, for the answers that show what the node daemons and mirrors write. */
  pvc: PvcReader;
  /** The figures each keepalive moves, live from `/nodes` (the Node status reports them seldom). */
  heartbeats: NodeHeartbeats;
  /** The manual's Ceph operations that are no resource (flags, OSD in/out, add/remove). */
  cephOps: CephClusterOps;
  /** How long a write waits for the controller's verdict (config `reconciler.facade_wait_timeout`). */
  waitTimeoutMs: number;
  logger: Logger;
}

export interface FacadeOptions {
  deps: FacadeDeps;
}

export type FacadePlugin = FastifyPluginAsync<FacadeOptions>;

/** A facade request with its path parameters (`/network/:network` → `{ network: string }`). */
export type FacadeRequest<Params = unknown> = FastifyRequest<{ Params: Params }>;

/** A named route handler of a facade group: it gets the deps, the request and the reply. */
export type FacadeHandler<Params = unknown> = (
  deps: FacadeDeps,
  request: FacadeRequest<Params>,
  reply: FastifyReply,
) => Promise<unknown>;

/** The outcome of a facade write: 200 with `message` when ok, 510 otherwise. */
export interface Verdict {
  ok: boolean;
  message: string;
}

export const SUCCESS = 200;
/** PVC's status for every failed POST/PUT/DELETE. */
export const FAILURE = 510;

export function ok(message: string): Verdict {
  return { ok: true, message };
}

export function fail(message: string): Verdict {
  return { ok: false, message };
}

/** Sends a verdict the manual's way: `{"message": …}` with 200 or 510. */
export function respond(reply: FastifyReply, verdict: Verdict): FastifyReply {
  return reply.code(verdict.ok ? SUCCESS : FAILURE).send({ message: verdict.message });
}

/** A GET that found nothing: 404 `{"message": …}`, as PVC (`Node not found.`). */
export function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(404).send({ message });
}

/** A request with missing or bad values: 400 `{"message": …}`. */
export function badRequest(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).send({ message });
}

/** A validation failure as one PVC-style line: `ERROR: <field> <why> (got <value>)` per field. */
export function validationMessage(err: unknown): string | undefined {
  if (!(err instanceof PvcError) || err.code !== ErrorCodes.VALIDATION_FAILED) return undefined;
  const fields = (err.details?.fields as FieldError[] | undefined) ?? [];
  if (fields.length === 0) return `ERROR: ${err.message}`;
  return `ERROR: ${fields
    .map((f) => `${f.pointer.replace(/^\/spec\//, "")} ${f.message} (got ${JSON.stringify(f.value)})`)
    .join("; ")}`;
}

/**
 * Runs a facade write and its wait. A refused write (validation, conflict, a guard…) becomes a
 * 510 verdict with PVC's `ERROR: …` message, validation failures naming each field and value;
 * anything else propagates to the error handler.
 */
export async function attempt(run: () => Promise<Verdict>): Promise<Verdict> {
  try {
    return await run();
  } catch (err) {
    const message = validationMessage(err);
    if (message) return fail(message);
    if (err instanceof PvcError) return fail(`ERROR: ${err.message}`);
    throw err;
  }
}
