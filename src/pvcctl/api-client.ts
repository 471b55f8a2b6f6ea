/**
 * Client of the declarative HTTP API (api/, issue 4) on node:http (http-send.ts; watches on fetch):
 *
 *     /apis/pvc.parallelvirtualcluster.org/v1/<plural>[/<name>[/status|/events]]
 *
 * GET (list with `labelSelector`), POST, PUT, PATCH (merge patch, or apply: create-or-update
 * from a full manifest), DELETE; `?dryRun=true` on writes; `?watch=true` streams NDJSON events.
 * Errors come back as Status documents `{code, message, details}` and are thrown as PvcError with
 * that code (so callers branch on NOT_FOUND, CONFLICT, VALIDATION_FAILED…), plus the HTTP status.
 *
 * The token travels in `X-Api-Key` and is never part of an error message.
 */
import { type ErrorCode, ErrorCodes, PvcError } from "../errors.ts";
import { getKind } from "../resources/kinds.ts";
import { API_GROUP_VERSION, type Resource } from "../resources/types.ts";
import type { EventRecord } from "../store/events.ts";
import { type HttpAnswer, httpSend } from "./http-send.ts";

export interface ApiClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:7370`. */
  server: string;
  token?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface WriteOptions {
  dryRun?: boolean;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: Resource;
}

/** An API error: our code, the HTTP status, and the server's details (e.g. the field list). */
export class ApiError extends PvcError {
  readonly status: number;
  constructor(code: ErrorCode, message: string, status: number, details?: Record<string, unknown>) {
    super(code, message, details ? { details } : undefined);
    this.status = status;
  }
}

const CODES = new Set<string>(Object.values(ErrorCodes));

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return ErrorCodes.BAD_REQUEST;
    case 401:
      return ErrorCodes.AUTH_REQUIRED;
    case 403:
      return ErrorCodes.FORBIDDEN;
    case 404:
      return ErrorCodes.NOT_FOUND;
    case 409:
      return ErrorCodes.CONFLICT;
    case 410:
      return ErrorCodes.RESOURCE_VERSION_TOO_OLD;
    case 422:
      return ErrorCodes.VALIDATION_FAILED;
    default:
      return ErrorCodes.INTERNAL;
  }
}

/** `plural` of a kind given as kind, plural, singular or short name. */
export function pluralOf(kind: string): string {
  return getKind(kind).plural;
}

export class ApiClient {
  readonly server: string;
  readonly #token?: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ApiClientOptions) {
    this.server = options.server.replace(/\/+$/, "");
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? fetch;
  }

  /** `/apis/<group>/<version>/<plural>[/<name>[/<sub>]]` */
  path(kind: string, name?: string, sub?: "status" | "events"): string {
    let p = `/apis/${API_GROUP_VERSION}/${pluralOf(kind)}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (sub) p += `/${sub}`;
    return p;
  }

  #headers(contentType?: string): Record<string, string> {
    const h: Record<string, string> = { accept: "application/json" };
    if (contentType) h["content-type"] = contentType;
    if (this.#token) h["x-api-key"] = this.#token;
    return h;
  }

  #url(path: string, query: Record<string, string | undefined> = {}): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, v);
    const text = q.toString();
    return `${this.server}${path}${text ? `?${text}` : ""}`;
  }

  async #request(
    method: string,
    path: string,
    options: { query?: Record<string, string | undefined>; body?: unknown; contentType?: string } = {},
  ): Promise<unknown> {
    return (await this.#send(method, path, options)).body;
  }

  async #send(
    method: string,
    path: string,
    options: { query?: Record<string, string | undefined>; body?: unknown; contentType?: string } = {},
  ): Promise<{ body: unknown; header: (name: string) => string | undefined; status: number }> {
    const url = this.#url(path, options.query);
    let res: HttpAnswer;
    try {
      res = await httpSend(url, {
        method,
        headers: this.#headers(
          options.body === undefined ? undefined : (options.contentType ?? "application/json"),
        ),
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        timeoutMs: this.#timeoutMs,
      });
    } catch (err) {
      // A name with several addresses fails with an AggregateError of each attempt's.
      const code =
        (err as NodeJS.ErrnoException).code ?? (err as { errors?: { code?: string }[] }).errors?.[0]?.code;
      const why =
        (err as Error).name === "TimeoutError"
          ? `no answer within ${this.#timeoutMs} ms`
          : code === "ECONNREFUSED"
            ? "connection refused (is `pvcctl serve` running there?)"
            : (code ?? (err as Error).message);
      throw new PvcError(ErrorCodes.API_UNREACHABLE, `cannot reach the API at ${this.server}: ${why}`, {
        cause: err,
      });
    }
    let body: unknown;
    try {
      body = res.text === "" ? undefined : JSON.parse(res.text);
    } catch {
      body = res.text;
    }
    if (res.status < 200 || res.status > 299) throw this.#error(res.status, method, path, body);
    const header = (name: string) => {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(", ") : v;
    };
    return { body, header, status: res.status };
  }

  #error(status: number, method: string, path: string, body: unknown): ApiError {
    const doc = (typeof body === "object" && body !== null ? body : {}) as {
      code?: string;
      message?: string;
      details?: Record<string, unknown>;
    };
    const code = doc.code && CODES.has(doc.code) ? (doc.code as ErrorCode) : codeForStatus(status);
    let message = typeof doc.message === "string" && doc.message !== "" ? doc.message : undefined;
    if (!message) {
      message =
        status === 401
          ? "authentication required: give a token (--token, PVCCTL_TOKEN or the context file)"
          : `${method} ${path}: HTTP ${status}${typeof body === "string" && body ? `: ${body.slice(0, 200)}` : ""}`;
    }
    return new ApiError(code, message, status, doc.details);
  }

  async list(kind: string, options: { labelSelector?: string } = {}): Promise<Resource[]> {
    const body = (await this.#request("GET", this.path(kind), {
      query: { labelSelector: options.labelSelector || undefined },
    })) as { items?: Resource[] } | Resource[];
    return Array.isArray(body) ? body : (body?.items ?? []);
  }

  async get(kind: string, name: string): Promise<Resource> {
    return (await this.#request("GET", this.path(kind, name))) as Resource;
  }

  /** The object, or null when it does not exist. */
  async tryGet(kind: string, name: string): Promise<Resource | null> {
    try {
      return await this.get(kind, name);
    } catch (err) {
      if (err instanceof PvcError && err.code === ErrorCodes.NOT_FOUND) return null;
      throw err;
    }
  }

  async create(doc: Resource, options: WriteOptions = {}): Promise<Resource> {
    return (await this.#request("POST", this.path(doc.kind), {
      body: doc,
      query: { dryRun: options.dryRun ? "true" : undefined },
    })) as Resource;
  }

  async update(doc: Resource, options: WriteOptions = {}): Promise<Resource> {
    return (await this.#request("PUT", this.path(doc.kind, doc.metadata.name), {
      body: doc,
      query: { dryRun: options.dryRun ? "true" : undefined },
    })) as Resource;
  }

  async patch(kind: string, name: string, patch: unknown, options: WriteOptions = {}): Promise<Resource> {
    return (await this.#request("PATCH", this.path(kind, name), {
      body: patch,
      contentType: "application/merge-patch+json",
      query: { dryRun: options.dryRun ? "true" : undefined },
    })) as Resource;
  }

  /**
   * Create-or-update from a full manifest (the server's apply: spec, labels and annotations from
   * the manifest; nothing written when the object already matches), and what the server did.
   */
  async apply(
    doc: Resource,
    options: WriteOptions = {},
  ): Promise<{ resource: Resource; action: ApplyAction }> {
    const { body, header, status } = await this.#send("PATCH", this.path(doc.kind, doc.metadata.name), {
      body: doc,
      contentType: "application/json",
      query: { apply: "true", dryRun: options.dryRun ? "true" : undefined },
    });
    const said = header(APPLY_RESULT_HEADER);
    const action: ApplyAction =
      said === "created" || said === "updated" || said === "unchanged"
        ? said
        : status === 201
          ? "created"
          : "updated";
    return { resource: body as Resource, action };
  }

  async delete(kind: string, name: string, options: WriteOptions = {}): Promise<Resource | undefined> {
    return (await this.#request("DELETE", this.path(kind, name), {
      query: { dryRun: options.dryRun ? "true" : undefined },
    })) as Resource | undefined;
  }

  async events(kind: string, name: string): Promise<EventRecord[]> {
    const body = (await this.#request("GET", this.path(kind, name, "events"))) as
      | { items?: EventRecord[] }
      | EventRecord[];
    return Array.isArray(body) ? body : (body?.items ?? []);
  }

  /**
   * Streams watch events of a kind (NDJSON) until `signal` aborts. `resourceVersion` continues
   * from a list; `fieldName` narrows to one object when the server supports it.
   */
  async *watch(
    kind: string,
    options: { resourceVersion?: string; labelSelector?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<WatchEvent> {
    const url = this.#url(this.path(kind), {
      watch: "true",
      resourceVersion: options.resourceVersion,
      labelSelector: options.labelSelector || undefined,
    });
    const res = await this.#fetch(url, { headers: this.#headers(), signal: options.signal });
    if (!res.ok || !res.body) {
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      throw this.#error(res.status, "GET", this.path(kind), body);
    }
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) yield JSON.parse(line) as WatchEvent;
        nl = buffer.indexOf("\n");
      }
    }
  }
}

/** What an apply did, as the server says in this header. */
export const APPLY_RESULT_HEADER = "x-pvc-apply-result";
export type ApplyAction = "created" | "updated" | "unchanged";
