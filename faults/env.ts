/**
 * What every scenario shares in one suite run: the stack, one store root, an admin ZooKeeper
 * client for the checks, the Ceph pool the workloads use, and the one way a run is judged
 * (`settle`: wait for convergence, then the checks of faults/checks.ts).
 */
import { mkdirSync } from "node:fs";
import { ZkClient } from "../src/zk/client.ts";
import { ServeProcess } from "../test/helpers/serve-process.ts";
import { checkWorkload, type Findings } from "./checks.ts";
import type { FaultStack } from "./stack.ts";
import type { ScenarioResult } from "./types.ts";
import { applyAll, awaitConverged, type Declared, FAULT_POOL, type Workload } from "./workload.ts";

/** The shortest session the stack's ZooKeeper grants (tickTime 2 s × 2). */
export const SESSION_S = 4;
export const STORE_ROOT = "/faults-store";

export class FaultEnv {
  #serves = 0;
  readonly #all: ServeProcess[] = [];
  /** This suite run's mark in every name (a kept stack may hold earlier runs' objects). */
  readonly tag = Date.now().toString(36).slice(-4);

  private constructor(
    readonly stack: FaultStack,
    readonly dir: string,
    readonly zk: ZkClient,
  ) {}

  static async open(stack: FaultStack, dir: string): Promise<FaultEnv> {
    mkdirSync(dir, { recursive: true });
    const zk = await ZkClient.connect({ connectString: stack.connect, sessionTimeoutMs: 30_000 });
    return new FaultEnv(stack, dir, zk);
  }

  async close(): Promise<void> {
    await this.killAll();
    this.zk.close();
  }

  /** Names of run `run` of the scenario lettered `letter` start with this. */
  prefix(letter: string, run: number): string {
    return `${letter}${run}-${this.tag}-`;
  }

  /**
   * A started server on the whole ensemble with a store root of its own (`<STORE_ROOT>-<name>`):
   * a restart relists and reconciles only that scenario's objects, not the suite's thousand, so
   * restarts cost the same in every run; with a Ceph pool of its own (a pool belongs to the reconciler of one store root).
   */
  async ownServe(name: string): Promise<{ serve: ServeProcess; pool: string }> {
    const serve = await this.serve({ storeRoot: `${STORE_ROOT}-${name}` });
    await serve.start().ready();
    const pool = `${FAULT_POOL}${name}`;
    await this.ensurePool(serve.url, pool);
    return { serve, pool };
  }

  /** A `pvcctl serve` on the suite's roots (not started); `coordinators` default: the whole ensemble. */
  async serve(
    options: { coordinators?: string[]; resyncPeriodS?: number; storeRoot?: string } = {},
  ): Promise<ServeProcess> {
    const serve = await ServeProcess.create({
      dir: this.dir,
      name: `serve-${++this.#serves}`,
      coordinators: options.coordinators ?? this.stack.coordinators,
      cephConf: this.stack.cephConf,
      storeRoot: options.storeRoot ?? STORE_ROOT,
      pvcRoot: "/",
      sessionTimeoutS: SESSION_S,
      facadeWaitTimeoutS: 10,
      ...(options.resyncPeriodS === undefined ? {} : { resyncPeriodS: options.resyncPeriodS }),
    });
    this.#all.push(serve);
    return serve;
  }

  /** Kills every server any scenario started (on the way out, also when interrupted). */
  async killAll(): Promise<void> {
    await Promise.all(this.#all.map((s) => s.kill()));
  }

  /** The workloads' pool, applied and Ready (idempotent). */
  async ensurePool(url: string, name = FAULT_POOL): Promise<void> {
    const pool: Declared = {
      kind: "CephPool",
      plural: "cephpools",
      name,
      spec: { pgs: 8, replication: { copies: 1, minCopies: 1 } },
    };
    await applyAll(() => [url], [pool]);
    const r = await awaitConverged(() => [url], [pool], 60_000);
    if (!r.converged) throw new Error(`the pool ${name} did not become Ready`);
  }

  /**
   * Waits for every object of `w` to be Ready, then checks PVC's keys and Ceph (again, for up to
   * 15 s, while something is off: PVC's keys of a volume follow its Ready by a mirror pass), and
   * adds the run to `row`. Returns whether the run was clean.
   */
  async settle(
    row: ScenarioResult,
    urls: () => string[],
    w: Workload,
    since: number,
    // A busy machine converges 1,000 objects in minutes: allow 0.4 s per object, 2 min at least.
    timeoutMs = Math.max(120_000, w.objects.length * 400),
  ): Promise<boolean> {
    const waited = await awaitConverged(urls, w.objects, timeoutMs);
    const convergeMs = Date.now() - since;
    row.maxConvergeMs = Math.max(row.maxConvergeMs, convergeMs);
    let findings: Findings | undefined;
    if (waited.view) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        findings = await checkWorkload(this.zk, this.stack.cephConf, w, waited.view);
        const bad = findings.lost.length + findings.duplicated.length + findings.orphaned.length;
        if ((bad === 0 && findings.partial.length === 0) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const f = findings ?? {
      lost: ["(the store could not be listed)"],
      duplicated: [],
      orphaned: [],
      partial: [],
    };
    // Objects still converging have no keys yet: that is "not converged", not "lost". Objects the
    // store lost count always, what Ceph or PVC's keys lack only once everything said Ready.
    row.lost += waited.converged ? f.lost.length : (waited.view?.missing.length ?? 0);
    row.duplicated += f.duplicated.length;
    row.orphaned += f.orphaned.length;
    const ok =
      waited.converged && f.lost.length + f.duplicated.length + f.orphaned.length + f.partial.length === 0;
    if (ok) row.converged++;
    else {
      const notReady = waited.view?.notReady ?? [];
      if (notReady.length > 0)
        row.notes.push(`${w.prefix}: not Ready after ${timeoutMs} ms: ${notReady.slice(0, 5).join(", ")}`);
      for (const [what, list] of Object.entries(f)) {
        if (list.length > 0) row.notes.push(`${w.prefix}: ${what}: ${list.slice(0, 5).join("; ")}`);
      }
    }
    return ok;
  }

  /** Applies `w` through whichever of `urls()` answers. */
  apply(
    urls: () => string[],
    w: Workload,
    progress?: { acked: number },
    deadlineMs = 180_000,
  ): Promise<void> {
    return applyAll(urls, w.objects, { deadlineMs, ...(progress ? { progress } : {}) });
  }
}
