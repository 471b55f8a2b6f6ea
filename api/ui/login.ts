/**
 * The status page's login, with authentication on: the page itself is gated like every route, and
 * a browser without a session gets this form instead of the JSON 401 (the route's `refusal`, see
 * auth.ts). The form posts the token to /ui/login, which starts the very session /api/v1/auth/login
 * starts (the same gate, cookie and throttling) and goes back to the page; /ui/logout ends it.
 * The form holds nothing secret, and no script: its one style block is allowed by its hash.
 */
import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuthGate } from "../auth.ts";

export const UI_PATH = "/ui/";

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1e23}
main{max-width:24rem;margin:12vh auto;padding:1.5rem;background:#fff;border:1px solid #c4c9d1;border-radius:6px}
h1{font-size:1.25rem;margin:0 0 1rem}label{display:block;font-weight:600;margin-bottom:.25rem}
input{width:100%;box-sizing:border-box;font:inherit;padding:.5rem;border:1px solid #6b7280;border-radius:4px}
input:focus,button:focus{outline:3px solid #1d4ed8;outline-offset:2px}
button{margin-top:1rem;font:inherit;padding:.5rem 1rem;background:#1d4ed8;color:#fff;border:0;border-radius:4px}
p[role=alert]{color:#9b1c1c;font-weight:600}`;

const STYLE_HASH = createHash("sha256").update(STYLE).digest("base64");

/** The page's policy: nothing but this server, and this form's style. */
export const LOGIN_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(message: string | undefined): string {
  const alert = message ? `<p role="alert">${escapeHtml(message)}</p>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · PVC status</title><style>${STYLE}</style></head>
<body><main><h1>PVC status</h1>${alert}
<form method="post" action="/ui/login">
<label for="token">API token</label>
<input id="token" type="password" name="token" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form></main></body></html>
`;
}

export function sendLoginPage(reply: FastifyReply, status: number, message?: string): FastifyReply {
  return reply
    .code(status)
    .header("content-security-policy", LOGIN_CSP)
    .header("cache-control", "no-store")
    .type("text/html; charset=utf-8")
    .send(loginPage(message));
}

/** The gate's refusal of the page: the form (the gate's own message only when it is not the usual one). */
export function loginRefusal(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendLoginPage(reply, status, status === 401 ? undefined : message);
}

/** POST /ui/login: the token from the form; back to the page with a session, or the form again. */
export async function postLogin(gate: AuthGate, request: FastifyRequest, reply: FastifyReply) {
  if (!gate.enabled) return reply.redirect(UI_PATH, 303);
  // From the form only: a token in a URL would end up in logs and history.
  const body = request.body;
  const token =
    typeof body === "object" && body !== null ? (body as Record<string, unknown>).token : undefined;
  if (typeof token !== "string" || token === "") return sendLoginPage(reply, 400, "Enter a token.");
  const verdict = gate.login(request, reply, token);
  if (verdict.kind === "allowed") return reply.redirect(UI_PATH, 303);
  if (verdict.kind === "throttled") {
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    reply.header("retry-after", String(seconds));
    return sendLoginPage(reply, 429, `Too many failed attempts: try again in ${seconds} s.`);
  }
  return sendLoginPage(reply, 401, "Authentication failed: that token is not valid.");
}

/** POST /ui/logout: ends the session everywhere (auth.ts) and shows the form. */
export async function postLogout(gate: AuthGate, request: FastifyRequest, reply: FastifyReply) {
  if (!gate.enabled) return reply.redirect(UI_PATH, 303);
  try {
    await gate.logout(request, reply);
  } catch (err) {
    request.log.warn({ err }, "ui logout: the session's end could not be recorded");
    return sendLoginPage(reply, 503, "Logout failed (ZooKeeper unavailable): try again.");
  }
  return reply.redirect(UI_PATH, 303);
}
