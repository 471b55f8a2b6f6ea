/**
 * Starting the real app (src/app.ts) for API tests: the test ZooKeeper, a store root of its own,
 * a free port, logs kept in memory (tests read them back, e.g. to check that no token leaks).
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before } from "node:test";
import { createLogger } from "../../api/logging.ts";
import type { KindController } from "../../controllers/types.ts";
import { type App, type AppOptions, startApp } from "../../src/app.ts";
import { type Config, devConfig } from "../../src/config.ts";
import { applyConditions, ready, stalled } from "../../src/runtime/conditions.ts";
import { Controller } from "../../src/runtime/controller.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { zkConnect } from "./env.ts";

export const GROUP_PATH = "/apis/pvc.parallelvirtualcluster.org/v1";

/** A dev config for the test ZooKeeper on a free port; `edit` adjusts it (auth, ssl…). */
export function testConfig(storeRoot: string, edit: (c: Config) => void = () => undefined): Config {
  const config = devConfig({ connectString: zkConnect(), cephConf: "/dev/null", storeRoot });
  config.api.listenPort = 0; // any free port
  config.reconciler.logLevel = "info";
  edit(config);
  return config;
}

export interface TestApp {
  app: App;
  /** Every log line so far, as text. */
  logs(): string;
}

export async function startTestApp(config: Config, options: AppOptions = {}): Promise<TestApp> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: config.reconciler.logLevel, destination: sink });
  // No kind controllers unless a test asks: the real ones would act on the test's objects.
  const app = await startApp(config, { processMetrics: false, logger, kindControllers: [], ...options });
  return { app, logs: () => lines.join("") };
}

/**
 * The real app for one describe block (or a whole file), with the two hooks such tests all need:
 * `before` starts it from `config()` and `options` (read then, so they may use what an earlier
 * `before` set up); `after` closes it, then removes `root`. Register a test's own setup as a later
 * `before`: in a describe block, hooks run one after the other in the order they are registered.
 * Not so at a file's top level, where Node 20 starts each `before` as it is registered: there, use
 * it only when the tests need nothing more set up.
 *
 * The returned TestApp stands for the started app: read it in tests and hooks, not while the
 * describe block is being declared (it throws until the start). If the start failed, `after`
 * skips the close and does not throw, so the start's error is the one the run reports.
 */
export function useTestApp(
  root: string,
  config: () => Config = () => testConfig(root),
  options: AppOptions | (() => AppOptions) = {},
): TestApp {
  let started: TestApp | undefined;
  const current = (): TestApp => {
    if (!started) throw new Error(`the test app for ${root} is not started (or failed to start)`);
    return started;
  };
  before(async () => {
    started = await startTestApp(config(), typeof options === "function" ? options() : options);
  });
  after(async () => {
    if (!started) return await removeRoot(root).catch(() => undefined);
    await started.app.close();
    await removeRoot(root);
  });
  return {
    get app() {
      return current().app;
    },
    logs: () => current().logs(),
  };
}

/** Removes a test's store root (and anything else under it). */
export async function removeRoot(root: string): Promise<void> {
  const zk = await ZkClient.connect({ connectString: zkConnect() });
  try {
    await zk.deleteRecursive(root);
  } finally {
    zk.close();
  }
}

export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads an NDJSON watch stream line by line. */
export class NdjsonReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next JSON line, or undefined when the stream ends; fails after `ms`. */
  async next(ms = 10_000): Promise<Record<string, unknown> | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        if (line.trim()) return JSON.parse(line) as Record<string, unknown>;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a watch event");
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.#reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("timed out waiting for a watch event")), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) return undefined;
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
    }
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }
}

/**
 * A kind controller for tests, on a kind without a real one: it sets Ready for the generation it
 * sees, or Stalled when `spec.data` starts with "stall", or nothing at all when it starts with
 * "slow" (a convergence that never comes). Every reconcile is recorded as `<identity>:<name>`.
 */
export function verdictController(kind: string, identity: string, record: string[]): KindController {
  return {
    kind,
    create(ctx) {
      const informer = ctx.informer(kind);
      const controller = new Controller({
        kind,
        metrics: ctx.metrics,
        logger: ctx.logger,
        resyncPeriodMs: 0,
        reconcile: async (name) => {
          record.push(`${identity}:${name}`);
          const obj = informer.get(name);
          if (!obj || obj.metadata.deletionTimestamp) return;
          const data = String((obj.spec as { data?: unknown }).data ?? "");
          if (data.startsWith("slow")) return;
          const generation = obj.metadata.generation;
          const patch = data.startsWith("stall")
            ? stalled("TestStall", `step 2 of 3 failed: ${data}`, generation)
            : ready("Converged", "all good", generation);
          const { conditions, changed } = applyConditions(obj.status?.conditions, patch);
          if (!changed && obj.status?.observedGeneration === generation) return;
          await ctx.store.updateStatus(kind, name, {
            ...obj.status,
            observedGeneration: generation,
            conditions,
          });
        },
      });
      controller.watchInformer(informer);
      controller.resync(() => informer.list().map((o) => o.metadata.name));
      return controller;
    },
  };
}

export interface V1Reply {
  status: number;
  body: unknown;
}

/**
 * One /api/v1 request the way PVC's clients send it: values as query arguments, or with `asForm`
 * as an urlencoded form body; repeated keys from arrays. The reply's JSON body is parsed.
 */
export async function v1Call(
  baseUrl: string,
  method: string,
  path: string,
  values: Record<string, string | string[]> = {},
  asForm = false,
): Promise<V1Reply> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values))
    for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
  const url = `${baseUrl}/api/v1${path}${asForm || params.size === 0 ? "" : `?${params}`}`;
  const res = await fetch(url, {
    method,
    ...(asForm ? { body: params, headers: { "content-type": "application/x-www-form-urlencoded" } } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Asserts a /api/v1 reply's status and its `message` (exactly, or matching a pattern). */
export function expectV1(r: V1Reply, status: number, message: string | RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  const got = (r.body as { message?: string } | undefined)?.message ?? "";
  if (typeof message === "string") assert.equal(got, message);
  else assert.match(got, message);
}

/** A /api/v1 call that must answer 200 (a test's setup step); fails naming the call and the reply. */
export async function v1Ok(
  baseUrl: string,
  method: string,
  path: string,
  values: Record<string, string | string[]> = {},
): Promise<V1Reply> {
  const r = await v1Call(baseUrl, method, path, values);
  assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r;
}
