/**
 * What counts as a credential: a configured API token, compared exactly and in constant time, and
 * the payload of a session cookie (issued-at time, a random session id, the token's fingerprint).
 *
 * PVC v0.6's login checked `request token in configured token` (a substring test), so an empty or
 * partial token logged in. Here a token matches only if it is byte-for-byte one of the configured
 * tokens. Both sides are hashed to fixed-length digests so that `timingSafeEqual` compares equal
 * lengths and the time taken says nothing about how much of a guess was right; every configured
 * token is compared (no early exit). Empty configured tokens are dropped: they never match.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Constant-time equality of two strings of any lengths. */
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

interface Known {
  digest: Buffer;
  /** What a session cookie carries for this token. */
  fingerprint: string;
}

export class TokenSet {
  readonly #known: Known[];

  /** `secret` (the config's secret_key) keys the session fingerprints. */
  constructor(tokens: readonly string[], secret: string) {
    this.#known = tokens
      .filter((t) => t.length > 0)
      .map((t) => ({
        digest: digest(t),
        // Keyed, so a fingerprint seen in a cookie cannot be turned back into a token by guessing.
        fingerprint: createHmac("sha256", secret).update(`session:${t}`, "utf8").digest("hex"),
      }));
  }

  /** How many tokens can match (empty ones excluded). */
  get size(): number {
    return this.#known.length;
  }

  /** True if `presented` is exactly one of the tokens. */
  matches(presented: string | undefined): boolean {
    if (!presented) return false;
    const d = digest(presented);
    let ok = false;
    for (const k of this.#known) ok = timingSafeEqual(d, k.digest) || ok;
    return ok;
  }

  /**
   * The session fingerprint of a presented token, if it matches: the cookie carries this, never the
   * token (the cookie is signed, not encrypted).
   */
  fingerprintOf(presented: string | undefined): string | undefined {
    if (!presented) return undefined;
    const d = digest(presented);
    let found: string | undefined;
    for (const k of this.#known) if (timingSafeEqual(d, k.digest)) found = k.fingerprint;
    return found;
  }

  /** True if `fingerprint` belongs to a token still configured: removing a token ends its sessions. */
  knowsFingerprint(fingerprint: string): boolean {
    let ok = false;
    for (const k of this.#known) ok = sameText(fingerprint, k.fingerprint) || ok;
    return ok;
  }
}

/** How long a session lasts after login (the cookie also expires then). */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

/** What a signed session cookie stands for. */
export interface Session {
  /** Random, per login: what a logout ends (api/sessions.ts), on every replica. */
  id: string;
  /** The token's keyed fingerprint (TokenSet.fingerprintOf). */
  fingerprint: string;
  /** When the session ends by itself (ms since the epoch). */
  expiresAt: number;
}

/** 128 random bits, base64url: safe as a ZooKeeper node name. */
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

export function newSessionId(): string {
  return randomBytes(16).toString("base64url");
}

/** `<issued-at ms>.<session id>.<fingerprint>`: what the signed session cookie holds. */
export function sessionPayload(fingerprint: string, id = newSessionId(), now = Date.now()): string {
  return `${now}.${id}.${fingerprint}`;
}

/**
 * The session in a payload still within its lifetime, or undefined. Payloads without a session id
 * (issued before logout could end sessions) are refused: they could not be ended.
 */
export function parseSession(payload: string, now = Date.now()): Session | undefined {
  const [issuedText, id, fingerprint, ...rest] = payload.split(".");
  if (rest.length > 0 || !id || !fingerprint || !SESSION_ID.test(id)) return undefined;
  const issued = Number(issuedText);
  // A cookie from the future (beyond clock skew) is not one we issued.
  if (!Number.isFinite(issued) || issued > now + 60_000 || now - issued > SESSION_LIFETIME_MS)
    return undefined;
  return { id, fingerprint, expiresAt: issued + SESSION_LIFETIME_MS };
}
