/**
 * The status page, under /ui, behind the same authentication as everything else:
 *
 *   GET  /ui/          the page (ui/index.html); without a session, the login form (login.ts)
 *   GET  /ui/<file>    its scripts and styles (ui/), by name
 *   GET  /ui/stream    its data, live (stream.ts): every kind's objects, events, drift repairs
 *   GET  /ui/live/<plural>/<name>  one object against ZooKeeper and Ceph, as a diff (live.ts)
 *   POST /ui/login     a token from the form starts a session (open: it is how one gets in)
 *   POST /ui/logout    ends it (open: ending a session needs no other credential)
 *
 * The page reads one object whole, and its events, from the declarative API with the same
 * session. Its policy allows scripts, styles and connections to this server only; it never holds
 * a token (the session cookie is HttpOnly).
 */
import formbody from "@fastify/formbody";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import type { AuthGate } from "../auth.ts";
import type { RouteDoc } from "../openapi/route-doc.ts";
import { LIVE_DOC, liveAnswer, type UiLiveSources } from "./live.ts";
import { loginRefusal, postLogin, postLogout } from "./login.ts";
import { loadUiFiles, type UiFile } from "./static.ts";
import { streamStatus, type UiStreamSources } from "./stream.ts";

export const UI_PREFIX = "/ui";

export interface UiOptions {
  gate: AuthGate;
  sources: UiStreamSources;
  live: UiLiveSources;
}

const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const TAG = ["status page"];
const html = (description: string) => ({
  description,
  content: { "text/html": { schema: { type: "string" } } },
});

const DOCS: Record<string, RouteDoc> = {
  page: {
    summary: "The status page (HTML); without a session, its login form (401)",
    tags: TAG,
    response: { 200: html("The page"), 401: html("The login form") },
  },
  file: {
    summary: "A file of the status page (scripts, styles)",
    tags: TAG,
    params: { type: "object", required: ["file"], properties: { file: { type: "string" } } },
    response: { 200: { description: "The file" }, 404: { description: "No such file" } },
  },
  stream: {
    summary:
      "The status page's data, live: every kind's objects as summaries, events, drift repairs (NDJSON)",
    tags: TAG,
    response: {
      200: {
        description: "NDJSON lines",
        content: { "application/x-ndjson": { schema: { type: "object" } } },
      },
    },
  },
  login: {
    summary: "Start a session from the login form's token, then back to the page (303)",
    tags: TAG,
    body: {
      content: {
        "application/x-www-form-urlencoded": {
          schema: { type: "object", required: ["token"], properties: { token: { type: "string" } } },
        },
      },
    },
    response: {
      303: { description: "To the page" },
      401: html("The form, refused"),
      429: html("The form, throttled"),
    },
  },
  logout: {
    summary: "End the session (everywhere), then back to the page (303)",
    tags: TAG,
    response: { 303: { description: "To the page" } },
  },
};

function sendFile(request: FastifyRequest, reply: FastifyReply, file: UiFile): FastifyReply {
  reply
    .header("etag", file.etag)
    .header("cache-control", "no-cache")
    .header("x-content-type-options", "nosniff");
  if (request.headers["if-none-match"] === file.etag) return reply.code(304).send();
  return reply.type(file.type).header("content-security-policy", PAGE_CSP).send(file.body);
}

export const uiApi: FastifyPluginAsync<UiOptions> = async (app, { gate, sources, live }) => {
  const files = loadUiFiles();
  const index = files.get("index.html");
  if (!index) throw new Error("ui/index.html is missing");
  // The login form's token; nothing else is posted here.
  await app.register(formbody, { bodyLimit: 4096 });

  app.get("/", { config: { refusal: loginRefusal, openapi: DOCS.page } }, async (request, reply) =>
    sendFile(request, reply, index),
  );
  app.get<{ Params: { file: string } }>(
    "/:file",
    { config: { openapi: DOCS.file } },
    async (request, reply) => {
      const file = files.get(request.params.file);
      if (!file) throw new PvcError(ErrorCodes.NOT_FOUND, `no such file: /ui/${request.params.file}`);
      return sendFile(request, reply, file);
    },
  );
  app.get("/stream", { config: { openapi: DOCS.stream } }, (request, reply) =>
    streamStatus(request, reply, sources),
  );
  app.get("/live/:plural/:name", { config: { openapi: LIVE_DOC } }, (request) => liveAnswer(request, live));
  app.post("/login", { config: { public: true, openapi: DOCS.login } }, (request, reply) =>
    postLogin(gate, request, reply),
  );
  app.post("/logout", { config: { public: true, openapi: DOCS.logout } }, (request, reply) =>
    postLogout(gate, request, reply),
  );
};
