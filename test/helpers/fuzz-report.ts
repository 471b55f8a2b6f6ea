/**
 * What the route fuzzer says about a run: which answers are offences (a 5xx other than the
 * manual's 510 on /api/v1, or no answer at all), grouped into classes with one example each and the
 * server's own log line for it, as one assertion message; and, on request, every offender as JSON
 * and one trace line per request, for replaying and reading a run.
 */
import { writeFileSync } from "node:fs";
import type { Outcome } from "./fuzz-run.ts";

/** A 5xx other than 510 on /api/v1, or a request the server never answered. */
export function isOffence({ req, answer }: Outcome): boolean {
  if (answer.status === "timeout") return !req.raw;
  if (answer.status === "error") {
    // No HTTP answer: expected for raw garbage, and for an oversized body the server cuts off;
    // "client:" is node:http refusing to send (the fuzzer's fault, counted apart).
    return !req.raw && !req.body?.oversized && !answer.body.startsWith("client:");
  }
  if (answer.status < 500) return false;
  return !(answer.status === 510 && req.target.startsWith("/api/v1") && !req.raw);
}

/** Requests node:http refused to send: a bug of the fuzzer, which must not pass for coverage. */
export function unsent(outcomes: readonly Outcome[]): Outcome[] {
  return outcomes.filter((o) => o.answer.status === "error" && o.answer.body.startsWith("client:"));
}

/** A failure's class: route, status and the gist of the message (numbers and quotes elided). */
function classOf(o: Outcome): string {
  let message = "";
  try {
    message = String((JSON.parse(o.answer.body) as { message?: unknown }).message ?? "");
  } catch {
    message = o.answer.body;
  }
  const gist = message
    .replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, "…")
    .replace(/\d+/g, "N")
    .slice(0, 90);
  return `${o.req.route} → ${o.answer.status} ${gist}`;
}

export function snippet(data: Buffer | undefined, max = 160): string {
  if (!data || data.length === 0) return "(none)";
  const text = data.subarray(0, max).toString("utf8");
  return `${JSON.stringify(text)}${data.length > max ? ` …(${data.length} bytes)` : ""}`;
}

/** The server's log line for a failed request, by the reqId runPlan gave it (`fz-<seq>`). */
function serverError(logs: string, seq: number): string {
  for (const line of logs.split("\n")) {
    if (!line.includes(`"reqId":"fz-${seq}"`) || !line.includes('"err"')) continue;
    try {
      const { err } = JSON.parse(line) as { err?: { type?: string; message?: string; stack?: string } };
      const at = err?.stack?.split("\n").find((l) => l.includes(" at ") && !l.includes("node_modules"));
      return `${err?.type ?? "Error"}: ${err?.message ?? ""}${at ? ` (${at.trim()})` : ""}`.slice(0, 300);
    } catch {
      // not a JSON line: not ours
    }
  }
  return "";
}

function example(o: Outcome, logs: string): string {
  const { req, answer } = o;
  const lines = [
    `    e.g. #${req.seq} ${req.method} ${req.target.slice(0, 200)}${req.target.length > 200 ? "…" : ""}`,
    `      content-type: ${req.body?.contentType ?? "(none)"}  body: ${snippet(req.raw ?? req.body?.data)}`,
    `      fuzzed: ${req.notes.join(", ") || "(nothing)"}`,
    `      answer: ${answer.status} after ${Math.round(answer.ms)} ms: ${answer.body.slice(0, 240)}`,
  ];
  const err = serverError(logs, req.seq);
  if (err) lines.push(`      server log: ${err}`);
  return lines.join("\n");
}

const MAX_CLASSES = 40;

/** Offenders grouped by class, biggest first, one example each. */
export function offenceReport(offenders: readonly Outcome[], logs: string, seed: number): string {
  const groups = new Map<string, Outcome[]>();
  for (const o of offenders) groups.set(classOf(o), [...(groups.get(classOf(o)) ?? []), o]);
  const sorted = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  const shown = sorted
    .slice(0, MAX_CLASSES)
    .map(([key, list]) => `  ${list.length}× ${key}\n${example(list[0], logs)}`);
  const more = sorted.length > MAX_CLASSES ? `\n  …and ${sorted.length - MAX_CLASSES} more classes` : "";
  return (
    `5xx answers and requests without an answer: ${offenders.length} requests in ${groups.size} ` +
    `classes (seed ${seed}; replay with PVC_FUZZ_SEED=${seed})\n${shown.join("\n")}${more}`
  );
}

/** Every offender as JSON (PVC_FUZZ_REPORT). */
export function writeOffences(file: string, offenders: readonly Outcome[], logs: string): void {
  const list = offenders.map(({ req, answer }) => ({
    seq: req.seq,
    route: req.route,
    method: req.method,
    target: req.target,
    contentType: req.body?.contentType,
    body: (req.raw ?? req.body?.data)?.subarray(0, 2_000).toString("utf8"),
    notes: req.notes,
    status: answer.status,
    answer: answer.body,
    serverError: serverError(logs, req.seq),
  }));
  writeFileSync(file, JSON.stringify(list, null, 1));
}

/** One tab-separated line per request (PVC_FUZZ_TRACE): seq, status, route, target, notes, answer, body. */
export function writeTrace(file: string, outcomes: readonly Outcome[]): void {
  const lines = outcomes.map(({ req, answer }) =>
    [
      req.seq,
      answer.status,
      req.route,
      `${req.method} ${req.target.slice(0, 120)}`,
      req.notes.join(",").replace(/\s+/g, " "),
      answer.body.slice(0, 160).replace(/\s+/g, " "),
      snippet(req.raw ?? req.body?.data, 600),
    ].join("\t"),
  );
  writeFileSync(file, `${lines.join("\n")}\n`);
}

/** Status → count, for the run's summary line. */
export function statusCounts(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { answer } of outcomes) counts[String(answer.status)] = (counts[String(answer.status)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort());
}

/** Network writes the server accepted (2xx), through either API: how much the invariants rest on. */
export function acceptedNetworkWrites(outcomes: readonly Outcome[]): number {
  return outcomes.filter(
    ({ req, answer }) =>
      typeof answer.status === "number" &&
      answer.status >= 200 &&
      answer.status < 300 &&
      !["GET", "HEAD", "RAW"].includes(req.method) &&
      (req.target.startsWith("/api/v1/network") || /\/v1\/networks(\/|\?|$)/.test(req.target)),
  ).length;
}
