/**
 * The HTTP client of bench/v1-vm, run in a process of its own: a client is another process in real
 * life, and a 3.5 MB answer (GET /vm at 1,000 VMs) costs its receiver about as much as its sender,
 * so a client on the server's own thread would halve what is measured. node:http with a keep-alive
 * agent; bodies are read and dropped (a client would decode and parse them, on its own CPU).
 * Baseline and ours are measured by the same client.
 */

import { fork } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { percentile } from "./lib.ts";

export interface LoadRequest {
  url: string;
  method?: string;
  /** A form body (urlencoded), or a raw one. */
  form?: Record<string, string>;
  body?: string;
  /** More request headers (e.g. Accept-Encoding as PVC's CLI sends it). */
  headers?: Record<string, string>;
}

export interface LoadSpec {
  requests: LoadRequest[];
  concurrency: number;
}

export interface LoadResult {
  perSecond: number;
  p50: number;
  p99: number;
  /** Status code → how many. */
  statuses: Record<string, number>;
}

function send(agent: Agent, r: LoadRequest): Promise<number> {
  const body = r.form ? new URLSearchParams(r.form).toString() : r.body;
  const headers: Record<string, string | number> = { ...r.headers };
  if (r.form) headers["content-type"] = "application/x-www-form-urlencoded";
  if (body !== undefined) headers["content-length"] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = request(r.url, { agent, method: r.method ?? "GET", headers }, (res) => {
      res.on("data", () => undefined);
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < spec.requests.length) {
      const r = spec.requests[next++];
      const t = performance.now();
      const status = await send(agent, r);
      times.push(performance.now() - t);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const ms = performance.now() - started;
  agent.destroy();
  times.sort((a, b) => a - b);
  return {
    perSecond: (spec.requests.length * 1000) / ms,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    statuses,
  };
}

/** Runs the requests from a child process and resolves with its measures. */
export function load(spec: LoadSpec): Promise<LoadResult> {
  const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ["--import", "tsx"] });
  return new Promise((resolve, reject) => {
    child.once("message", (m) => {
      resolve(m as LoadResult);
      child.disconnect();
    });
    child.once("error", reject);
    child.send(spec);
  });
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.once("message", (spec) => {
    void run(spec as LoadSpec).then((r) => process.send?.(r));
  });
}
