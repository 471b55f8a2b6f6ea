/**
 * What the OpenAPI document says of one route, in the shape @fastify/swagger reads from a route's
 * `schema` (summary, params, querystring, body, response…). These are given to it through its
 * `transform` hook when the document is generated, never attached to the routes themselves: a route
 * `schema` would make fastify validate bodies and serialize answers with it, and our routes answer
 * bad input themselves (field-named errors, PVC's messages).
 */
export type Json = unknown;

export interface RouteDoc {
  summary: string;
  description?: string;
  tags: string[];
  operationId?: string;
  params?: Json;
  querystring?: Json;
  body?: Json;
  response: Record<string, Json>;
}

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A response with a JSON body. */
export function json(description: string, schema: Json = {}): Json {
  return { description, content: { "application/json": { schema } } };
}

/** Path parameters named in a fastify URL (`/x/:a/:b`), each a string unless `given` says more. */
export function pathParams(url: string, given: Record<string, Json> = {}): Json | undefined {
  const names = [...url.matchAll(/:([A-Za-z0-9_-]+)/g)].map((m) => m[1]);
  if (names.length === 0) return undefined;
  return {
    type: "object",
    required: names,
    properties: Object.fromEntries(names.map((n) => [n, given[n] ?? { type: "string" }])),
  };
}

/** The route table's key of a route: `GET /api/v1/network/:network`. */
export function routeKey(method: string, url: string): string {
  const trimmed = url.length > 1 && url.endsWith("/") ? url.slice(0, -1) : url;
  return `${method.toUpperCase()} ${trimmed}`;
}
