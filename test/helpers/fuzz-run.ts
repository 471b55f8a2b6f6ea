/**
 * Runs the route fuzzer's plan against a server: a few requests in flight at a time, each with a
 * deadline; a heavy request (fuzz-requests.ts) alone, after which the server must have answered it
 * well within `heavyBoundMs` and answer /healthz again; the whole run bounded by `budgetMs`. When
 * the server stays blocked for a minute after a heavy request, the run stops there: every later
 * request would only time out too.
 */
import { type Answer, type HttpTarget, send, sendRaw } from "./fuzz-http.ts";
import type { FuzzRequest } from "./fuzz-requests.ts";

export interface Outcome {
  req: FuzzRequest;
  answer: Answer;
}

export interface RunOptions {
  target: HttpTarget;
  concurrency: number;
  requestTimeoutMs: number;
  budgetMs: number;
  heavyBoundMs: number;
}

export interface RunResult {
  outcomes: Outcome[];
  /** One line per heavy request that took too long, or after which the server stayed blocked. */
  blocked: string[];
  /** The first request not sent, when the run stopped early. */
  stoppedAt?: number;
  seconds: number;
}

/** How long the server gets to answer /healthz again after a heavy request. */
const RECOVERY_MS = 60_000;

/**
 * `plan` may be a generator: requests are built as they are sent, so that a long run (the 100,000
 * of scripts/fuzz.ts) does not hold every body at once. With `onOutcome`, outcomes are handed over
 * as they come and kept only where it returns true (a report run keeps its offenders only).
 */
export async function runPlan(
  plan: Iterable<FuzzRequest>,
  o: RunOptions & { onOutcome?: (outcome: Outcome) => boolean },
): Promise<RunResult> {
  const outcomes: Outcome[] = [];
  const blocked: string[] = [];
  let stoppedAt: number | undefined;

  const runOne = async (req: FuzzRequest): Promise<Answer> => {
    // Our id on every request: the server logs it as reqId, and the report finds its error there.
    const headers = { "x-request-id": `fz-${req.seq}`, ...req.headers };
    const answer = req.raw
      ? await sendRaw(o.target, req.raw, o.requestTimeoutMs, req.source)
      : await send(o.target, req.method, req.target, headers, req.body?.data, o.requestTimeoutMs, req.source);
    const outcome = { req, answer };
    if (!o.onOutcome || o.onOutcome(outcome)) outcomes.push(outcome);
    return answer;
  };

  /** False when /healthz does not answer within RECOVERY_MS. */
  const recovered = async (req: FuzzRequest, answer: Answer): Promise<boolean> => {
    const started = performance.now();
    let healthy = false;
    while (!healthy && performance.now() - started < RECOVERY_MS) {
      healthy = (await send(o.target, "GET", "/healthz", {}, undefined, 5_000)).status === 200;
    }
    const ms = performance.now() - started;
    if (answer.ms > o.heavyBoundMs || ms > o.heavyBoundMs) {
      blocked.push(
        `#${req.seq} (${req.notes.join(", ")}) took ${Math.round(answer.ms)} ms, then /healthz ` +
          `${healthy ? "answered" : "still did not answer"} after ${Math.round(ms)} ms more`,
      );
    }
    return healthy;
  };

  const started = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (const req of plan) {
    if (performance.now() - started > o.budgetMs) {
      stoppedAt = req.seq;
      break;
    }
    if (req.heavy) {
      await Promise.all(inFlight);
      if (!(await recovered(req, await runOne(req)))) {
        stoppedAt = req.seq + 1;
        break;
      }
      continue;
    }
    while (inFlight.size >= o.concurrency) await Promise.race(inFlight);
    const p: Promise<unknown> = runOne(req).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  outcomes.sort((a, b) => a.req.seq - b.req.seq);
  return { outcomes, blocked, stoppedAt, seconds: (performance.now() - started) / 1000 };
}

/**
 * Sends each 503 offender once more, alone. A 503 is the server saying a dependency is away (a
 * ZooKeeper connection lost on a loaded machine, with the answer naming it); if the same request
 * then gets an answer that is no offence, the input was not the cause: it is set apart (`cleared`,
 * for the diagnostics) rather than failing the run. Any other 5xx, and a 503 that comes back, stays.
 */
export async function replayUnavailable(
  offenders: readonly Outcome[],
  o: Pick<RunOptions, "target" | "requestTimeoutMs">,
  isOffence: (outcome: Outcome) => boolean,
): Promise<{ offenders: Outcome[]; cleared: string[] }> {
  const still: Outcome[] = [];
  const cleared: string[] = [];
  for (const outcome of offenders) {
    const { req, answer } = outcome;
    if (answer.status !== 503 || req.raw) {
      still.push(outcome);
      continue;
    }
    const again = await send(
      o.target,
      req.method,
      req.target,
      { "x-request-id": `fz-${req.seq}-replay`, ...req.headers },
      req.body?.data,
      o.requestTimeoutMs,
      req.source,
    );
    if (isOffence({ req, answer: again })) still.push(outcome);
    else
      cleared.push(
        `#${req.seq} ${req.method} ${req.target.slice(0, 80)}: 503 (${answer.body.slice(0, 120)}), replayed: ${again.status}`,
      );
  }
  return { offenders: still, cleared };
}
