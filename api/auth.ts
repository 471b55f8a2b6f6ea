/**
 * Authentication, as PVC's manual describes it, without PVC v0.6's substring bug:
 * - with `authentication.enabled`, every request needs a valid session cookie or an `X-Api-Key`
 *   header holding one of the configured tokens; otherwise 401 `{"message": "Authentication required"}`.
 *   Open without credentials: routes marked `config: { public: true }` — /healthz, /readyz and
 *   /api/v1/auth/login|logout. Everything else, /metrics, /apis and /api/v1 included, is gated
 *   (also unknown paths, so the route table cannot be probed).
 * - `/api/v1/auth/login`: GET a small HTML form; POST `token` (form or query) starts a session: a
 *   cookie signed with `secret_key` holding the time of login, a random session id and the token's
 *   keyed fingerprint, valid for SESSION_LIFETIME_MS, only while the token is still configured and
 *   until a logout ends it. The cookie is HttpOnly, SameSite=Lax, and Secure when serving HTTPS.
 * - `/api/v1/auth/logout` (GET or POST) ends the session for everyone holding the cookie, on every
 *   replica (sessions.ts records it in ZooKeeper), then clears the cookie. If the end cannot be
 *   recorded the answer is 503 and the cookie stays, so that the logout can be tried again.
 * - failed credentials (a wrong token at login, a wrong X-Api-Key anywhere) are counted per client
 *   (auth-throttle.ts); past the limit the client gets 429 with Retry-After, whatever it presents,
 *   until its window ends. Valid sessions are still accepted: a signed cookie cannot be guessed.
 * - with authentication disabled login and logout answer 200 `{"message": "Authentication is disabled"}`.
 */
import type { CookieSerializeOptions } from "@fastify/cookie";
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { type ErrorCode, ErrorCodes, PvcError } from "../src/errors.ts";
import { clientKey, FailureThrottle, type ThrottleLimits } from "./auth-throttle.ts";
import { parseSession, SESSION_LIFETIME_MS, type Session, sessionPayload, TokenSet } from "./credentials.ts";
import type { SessionEnds } from "./sessions.ts";
import { statusDoc } from "./status.ts";
import { getValue, readValues } from "./v1/values.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Served without credentials even when authentication is enabled. */
    public?: boolean;
    /** How this route answers a refusal instead of the JSON one (the status page: its login form). */
    refusal?: (reply: FastifyReply, status: number, message: string) => FastifyReply;
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
  /** Where logouts are recorded and read (shared by the replicas); required when enabled. */
  endedSessions: SessionEnds | undefined;
  /** Failed authentications allowed per client (default DEFAULT_THROTTLE). */
  throttle?: Partial<ThrottleLimits>;
}

/** What the gate says of a request or a login. */
export type AuthVerdict =
  | { kind: "allowed" }
  | { kind: "refused" }
  | { kind: "throttled"; retryAfterMs: number };

const ALLOWED: AuthVerdict = { kind: "allowed" };
const REFUSED: AuthVerdict = { kind: "refused" };

export class AuthGate {
  readonly enabled: boolean;
  readonly #tokens: TokenSet;
  readonly #secureCookie: boolean;
  readonly #ended: SessionEnds | undefined;
  readonly #throttle: FailureThrottle;

  constructor(settings: AuthSettings) {
    this.enabled = settings.enabled;
    this.#tokens = new TokenSet(settings.tokens, settings.secretKey);
    this.#secureCookie = settings.secureCookie;
    this.#ended = settings.endedSessions;
    this.#throttle = new FailureThrottle(settings.throttle);
    if (this.enabled && !this.#ended) throw new Error("authentication needs a record of ended sessions");
  }

  /** How many tokens can log in (0 with auth enabled: nothing can, worth a warning). */
  get usableTokens(): number {
    return this.#tokens.size;
  }

  /** The manual's order: a valid session first, then the X-Api-Key header. */
  check(request: FastifyRequest): AuthVerdict {
    if (!this.enabled || this.#hasSession(request)) return ALLOWED;
    const key = request.headers[API_KEY_HEADER];
    // An empty header is what a client without a configured token sends: nothing was guessed.
    if (typeof key !== "string" || key === "") return REFUSED;
    const client = clientKey(request.ip);
    const wait = this.#throttle.retryAfterMs(client);
    if (wait > 0) return { kind: "throttled", retryAfterMs: wait };
    if (this.#tokens.matches(key)) return ALLOWED;
    this.#failed(request, client);
    return REFUSED;
  }

  /** The signed session in the request's cookie, if any and not expired (not checked: token, logout). */
  #session(request: FastifyRequest): Session | undefined {
    const raw = request.cookies?.[SESSION_COOKIE];
    if (!raw) return undefined;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || unsigned.value === null) return undefined;
    return parseSession(unsigned.value);
  }

  #hasSession(request: FastifyRequest): boolean {
    const session = this.#session(request);
    return (
      session !== undefined &&
      this.#tokens.knowsFingerprint(session.fingerprint) &&
      this.#ended?.isEnded(session.id) === false
    );
  }

  #failed(request: FastifyRequest, client: string): void {
    if (this.#throttle.fail(client)) {
      request.log.warn(
        { client, retryAfterMs: this.#throttle.retryAfterMs(client) },
        "authentication: too many failures from this client, refusing it until its window ends",
      );
    }
  }

  /** Starts a session if `token` is valid and the client is not throttled. */
  login(request: FastifyRequest, reply: FastifyReply, token: string): AuthVerdict {
    const client = clientKey(request.ip);
    const wait = this.#throttle.retryAfterMs(client);
    if (wait > 0) return { kind: "throttled", retryAfterMs: wait };
    const fingerprint = this.#tokens.fingerprintOf(token);
    if (!fingerprint) {
      this.#failed(request, client);
      return REFUSED;
    }
    reply.setCookie(SESSION_COOKIE, sessionPayload(fingerprint), {
      ...this.#cookieOptions(),
      signed: true,
      maxAge: Math.floor(SESSION_LIFETIME_MS / 1000),
    });
    return ALLOWED;
  }

  /**
   * Ends the request's session for every holder of its cookie, then clears the cookie. Rejects
   * (and leaves the cookie) if the end cannot be recorded.
   */
  async logout(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const session = this.#session(request);
    if (session && this.#ended) await this.#ended.end(session);
    reply.clearCookie(SESSION_COOKIE, this.#cookieOptions());
  }

  /** The same attributes on setting and clearing: a browser replaces a cookie only by its like. */
  #cookieOptions(): CookieSerializeOptions {
    return { httpOnly: true, sameSite: "lax", secure: this.#secureCookie, path: "/" };
  }
}

const AUTH_REQUIRED = "Authentication required";

/** An auth refusal: a Status document under /apis, PVC's bare message elsewhere. */
function refuse(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, message: string) {
  const status = code === ErrorCodes.AUTH_THROTTLED ? 429 : 401;
  const own = request.routeOptions.config?.refusal;
  if (own) return own(reply, status, message);
  const body = request.url.startsWith("/apis") ? statusDoc(new PvcError(code, message)) : { message };
  return reply.code(status).send(body);
}

function throttled(request: FastifyRequest, reply: FastifyReply, retryAfterMs: number) {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  reply.header("retry-after", String(seconds));
  return refuse(
    request,
    reply,
    ErrorCodes.AUTH_THROTTLED,
    `Too many failed authentication attempts from this client: try again in ${seconds} s`,
  );
}

/** Gates every route not marked public. Call on the root instance, after @fastify/cookie. */
export function installAuthGate(app: FastifyInstance, gate: AuthGate): void {
  if (!gate.enabled) return;
  app.addHook("onRequest", async (request, reply) => {
    if (request.routeOptions.config?.public === true) return;
    const verdict = gate.check(request);
    if (verdict.kind === "allowed") return;
    if (verdict.kind === "throttled") return throttled(request, reply, verdict.retryAfterMs);
    return refuse(request, reply, ErrorCodes.AUTH_REQUIRED, AUTH_REQUIRED);
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
    const verdict = gate.login(request, reply, token);
    if (verdict.kind === "throttled") return throttled(request, reply, verdict.retryAfterMs);
    if (verdict.kind === "refused") return reply.code(401).send({ message: "Authentication failed" });
    // As PVC: back to the API root, now with a session.
    return reply.redirect("/api/v1", 302);
  });

  const logout = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!gate.enabled) return DISABLED;
    try {
      await gate.logout(request, reply);
    } catch (err) {
      request.log.warn({ err }, "logout: the session's end could not be recorded");
      return reply.code(503).send({
        message:
          "Logout failed: the session could not be ended everywhere (ZooKeeper unavailable); try again",
      });
    }
    return reply.redirect("/api/v1", 302);
  };
  app.get("/auth/logout", open, logout);
  app.post("/auth/logout", open, logout);
};
