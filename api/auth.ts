/**
 * Authentication, as PVC's manual describes it, without PVC v0.6's substring bug:
 * - with `authentication.enabled`, every request needs a valid session cookie or an `X-Api-Key`
 *   header holding one of the configured tokens; otherwise 401 `{"message": "Authentication required"}`.
 *   Open without credentials: routes marked `config: { public: true }` — /healthz, /readyz and
 *   /api/v1/auth/login|logout. Everything else, /metrics, /apis and /api/v1 included, is gated
 *   (also unknown paths, so the route table cannot be probed).
 * - `/api/v1/auth/login`: GET a small HTML form; POST `token` (form or query) starts a session: a
 *   cookie signed with `secret_key` holding the token's keyed fingerprint and the time of login,
 *   valid for SESSION_LIFETIME_MS and only while the token is still configured.
 * - `/api/v1/auth/logout` (GET or POST) clears the cookie. Sessions are stateless (any replica
 *   accepts them), so a copy of the cookie taken before logout stays valid until it expires.
 * - with authentication disabled both answer 200 `{"message": "Authentication is disabled"}`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { ErrorCodes, PvcError } from "../src/errors.ts";
import { SESSION_LIFETIME_MS, sessionFingerprint, sessionPayload, TokenSet } from "./credentials.ts";
import { statusDoc } from "./status.ts";
import { getValue, readValues } from "./v1/values.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Served without credentials even when authentication is enabled. */
    public?: boolean;
  }
}

export const SESSION_COOKIE = "pvc_session";
export const API_KEY_HEADER = "x-api-key";

export interface AuthSettings {
  enabled: boolean;
  secretKey: string;
  tokens: readonly string[];
  /** Mark the session cookie Secure (when the server speaks HTTPS). */
  secureCookie: boolean;
}

export class AuthGate {
  readonly enabled: boolean;
  readonly #tokens: TokenSet;
  readonly #secureCookie: boolean;

  constructor(settings: AuthSettings) {
    this.enabled = settings.enabled;
    this.#tokens = new TokenSet(settings.tokens, settings.secretKey);
    this.#secureCookie = settings.secureCookie;
  }

  /** How many tokens can log in (0 with auth enabled: nothing can, worth a warning). */
  get usableTokens(): number {
    return this.#tokens.size;
  }

  /** The manual's order: a valid session first, then the X-Api-Key header. */
  allows(request: FastifyRequest): boolean {
    if (!this.enabled) return true;
    if (this.#hasSession(request)) return true;
    const key = request.headers[API_KEY_HEADER];
    return typeof key === "string" && this.#tokens.matches(key);
  }

  #hasSession(request: FastifyRequest): boolean {
    const raw = request.cookies?.[SESSION_COOKIE];
    if (!raw) return false;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || unsigned.value === null) return false;
    const fingerprint = sessionFingerprint(unsigned.value);
    return fingerprint !== undefined && this.#tokens.knowsFingerprint(fingerprint);
  }

  /** Starts a session if `token` is valid; false otherwise. */
  startSession(reply: FastifyReply, token: string | undefined): boolean {
    const fingerprint = this.#tokens.fingerprintOf(token);
    if (!fingerprint) return false;
    reply.setCookie(SESSION_COOKIE, sessionPayload(fingerprint), {
      signed: true,
      httpOnly: true,
      sameSite: "lax",
      secure: this.#secureCookie,
      path: "/",
      maxAge: Math.floor(SESSION_LIFETIME_MS / 1000),
    });
    return true;
  }

  endSession(reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
  }
}

const AUTH_REQUIRED = "Authentication required";

/** Gates every route not marked public. Call on the root instance, after @fastify/cookie. */
export function installAuthGate(app: FastifyInstance, gate: AuthGate): void {
  if (!gate.enabled) return;
  app.addHook("onRequest", async (request, reply) => {
    if (request.routeOptions.config?.public === true) return;
    if (gate.allows(request)) return;
    // The declarative API answers errors as Status documents; PVC's API answers a bare message.
    const body = request.url.startsWith("/apis")
      ? statusDoc(new PvcError(ErrorCodes.AUTH_REQUIRED, AUTH_REQUIRED))
      : { message: AUTH_REQUIRED };
    return reply.code(401).send(body);
  });
}

const LOGIN_FORM = `<!doctype html>
<html><head><title>PVC API login</title></head>
<body>
<form method="post">
  <p>
    Enter your authentication token:
    <input type="password" name="token" style="width:24em" autocomplete="off">
    <input type="submit" value="Login">
  </p>
</form>
</body></html>
`;

const DISABLED = { message: "Authentication is disabled" };

/** /auth/login and /auth/logout; registered under /api/v1 (where form bodies are parsed). */
export const authRoutes: FastifyPluginAsync<{ gate: AuthGate }> = async (app, { gate }) => {
  const open = { config: { public: true } };

  app.get("/auth/login", open, async (_request, reply) => {
    if (!gate.enabled) return DISABLED;
    return reply.type("text/html; charset=utf-8").send(LOGIN_FORM);
  });

  app.post("/auth/login", open, async (request, reply) => {
    if (!gate.enabled) return DISABLED;
    const token = getValue(readValues(request), "token");
    if (token === undefined) return reply.code(400).send({ message: "A token is required" });
    if (!gate.startSession(reply, token)) return reply.code(401).send({ message: "Authentication failed" });
    // As PVC: back to the API root, now with a session.
    return reply.redirect("/api/v1", 302);
  });

  const logout = async (_request: FastifyRequest, reply: FastifyReply) => {
    if (!gate.enabled) return DISABLED;
    gate.endSession(reply);
    return reply.redirect("/api/v1", 302);
  };
  app.get("/auth/logout", open, logout);
  app.post("/auth/logout", open, logout);
};
