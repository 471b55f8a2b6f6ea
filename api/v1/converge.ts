/**
 * A facade write is a resource write followed by a bounded wait for the controller's verdict on
 * that generation, read from the informer (no polling):
 * - Ready=True observed for generation ≥ the one written (and each condition of `alsoTrue`, e.g.
 *   CephVolume's Mirrored: PVC's keys written, as v0.6 answered only after writing them) → ok, with
 *   the caller's success message;
 * - Stalled=True observed for it → failed, with the condition's message (it names the failing step);
 * - for a delete: gone → ok; DeletionBlocked=True → failed at once, with its message;
 * - the object vanishes while waiting for its convergence → failed;
 * - the time runs out → failed, saying it is stored and still converging (and what it is doing).
 * A condition without observedGeneration counts for the current generation (nothing says otherwise).
 *
 * What a failed create or change leaves behind is decided here, once, for every facade group
 * (`refused`): a verdict of the controller (Stalled, deleted) is a refusal, and the caller takes
 * its write back so nothing is half-applied; a wait that ran out of time is not — the message says
 * the write "is stored", so it stays and converges (or stalls) on its own, visible in its status.
 */

import type { Condition, Resource } from "../../src/resources/types.ts";
import { ConditionTypes, getCondition } from "../../src/runtime/conditions.ts";
import { type FacadeDeps, fail, ok, type Verdict } from "./facade.ts";

export type WaitDeps = Pick<FacadeDeps, "informer" | "waitTimeoutMs">;

/** A wait's verdict; `converging` when the time ran out with the write stored and still in progress. */
export interface WaitVerdict extends Verdict {
  converging?: boolean;
}

/**
 * Whether a failed write is to be taken back: the controller refused it (Stalled, or it vanished).
 * Not when the wait merely ran out: that answer says the write is stored, and it is.
 */
export function refused(verdict: WaitVerdict): boolean {
  return !verdict.ok && verdict.converging !== true;
}

/** What a wait needs of the object written (any kind's typed object): kind, name, uid, generation. */
export type Written = Pick<Resource, "kind" | "metadata">;

export interface WaitOptions {
  /** The message of success; a function gets the converged object. */
  success: string | ((resource: Resource) => string);
  /** Overrides deps.waitTimeoutMs. */
  timeoutMs?: number;
  /** Condition types that must also be True for the generation written before it counts as done. */
  alsoTrue?: readonly string[];
}

function label(r: { kind: string; metadata: { name: string } }): string {
  return `${r.kind} "${r.metadata.name}"`;
}

/** The generation a condition speaks for (its own, else the status'), or undefined if it does not say. */
function observedFor(obj: Resource, c: Condition): number | undefined {
  return c.observedGeneration ?? obj.status?.observedGeneration;
}

function holdsFor(obj: Resource, type: string, generation: number): Condition | undefined {
  const c = getCondition(obj.status?.conditions, type);
  if (c?.status !== "True") return undefined;
  const seen = observedFor(obj, c);
  return seen === undefined || seen >= generation ? c : undefined;
}

/**
 * Watches one object in the informer until `decide` returns a verdict or the time runs out.
 * `decide` sees the cached object (or undefined when the informer has none) after every change.
 */
function watchUntil(
  deps: WaitDeps,
  kind: string,
  name: string,
  timeoutMs: number,
  decide: (obj: Resource | undefined) => Verdict | undefined,
  onTimeout: (last: Resource | undefined) => WaitVerdict,
): Promise<WaitVerdict> {
  const informer = deps.informer(kind);
  return new Promise<WaitVerdict>((resolve) => {
    let done = false;
    const finish = (v: WaitVerdict) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      informer.off("add", onChange);
      informer.off("update", onChange);
      informer.off("delete", onChange);
      resolve(v);
    };
    const check = () => {
      const v = decide(informer.get(name));
      if (v) finish(v);
    };
    const onChange = (obj: Resource) => {
      if (obj.metadata.name === name) check();
    };
    const timer = setTimeout(() => finish(onTimeout(informer.get(name))), timeoutMs);
    informer.on("add", onChange);
    informer.on("update", onChange);
    informer.on("delete", onChange);
    check(); // it may have converged already (e.g. a write that changed nothing)
  });
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Waits for the controller's verdict on `written` (what the store returned for the write: its uid
 * and generation say which incarnation and which spec to wait for).
 */
export function waitForConvergence(
  deps: WaitDeps,
  written: Written,
  options: WaitOptions,
): Promise<WaitVerdict> {
  const timeoutMs = options.timeoutMs ?? deps.waitTimeoutMs;
  const generation = written.metadata.generation ?? 1;
  const uid = written.metadata.uid;
  let seen = false;
  return watchUntil(
    deps,
    written.kind,
    written.metadata.name,
    timeoutMs,
    (obj) => {
      if (!obj || obj.metadata.uid !== uid) {
        // Not there yet (the informer lags the write by a moment), or gone after we saw it.
        return seen ? fail(`${label(written)} was deleted before it converged`) : undefined;
      }
      seen = true;
      if (
        holdsFor(obj, ConditionTypes.Ready, generation) &&
        (options.alsoTrue ?? []).every((type) => holdsFor(obj, type, generation))
      ) {
        return ok(typeof options.success === "function" ? options.success(obj) : options.success);
      }
      const stalled = holdsFor(obj, ConditionTypes.Stalled, generation);
      if (stalled) return fail(`${label(written)} failed: ${stalled.message}`);
      return undefined;
    },
    (last) => {
      const doing = last ? getCondition(last.status?.conditions, ConditionTypes.Reconciling) : undefined;
      // Ready but an alsoTrue condition not yet: say which, and what it says.
      const lagging =
        last && holdsFor(last, ConditionTypes.Ready, generation)
          ? (options.alsoTrue ?? []).find((type) => !holdsFor(last, type, generation))
          : undefined;
      const behind = lagging ? getCondition(last?.status?.conditions, lagging) : undefined;
      const detail = lagging
        ? `: Ready, not yet ${lagging}${behind?.message ? ` (${behind.message})` : ""}`
        : doing?.status === "True" && doing.message
          ? `: ${doing.message}`
          : "";
      return {
        ...fail(
          `${label(written)} is stored but still converging after ${seconds(timeoutMs)}${detail}; check its status later`,
        ),
        converging: true,
      };
    },
  );
}

/** Runs the store write, then waits for its verdict. Write errors propagate (the facade answers 510). */
export async function writeAndWait(
  deps: WaitDeps,
  write: () => Promise<Resource>,
  options: WaitOptions,
): Promise<WaitVerdict> {
  const written = await write();
  return waitForConvergence(deps, written, options);
}

/**
 * Waits until the object named by `deleted` (what store.delete returned) is gone. A delete that its
 * controller blocks (DeletionBlocked, e.g. still in use) or that stalls fails at once with the
 * reason; the deletion itself stays pending and completes when the reason goes away.
 */
export function waitForDeletion(
  deps: WaitDeps,
  deleted: Written,
  options: { success: string; timeoutMs?: number },
): Promise<Verdict> {
  const timeoutMs = options.timeoutMs ?? deps.waitTimeoutMs;
  const uid = deleted.metadata.uid;
  return watchUntil(
    deps,
    deleted.kind,
    deleted.metadata.name,
    timeoutMs,
    (obj) => {
      if (!obj || obj.metadata.uid !== uid) return ok(options.success);
      const generation = obj.metadata.generation ?? 1;
      const blocked = holdsFor(obj, ConditionTypes.DeletionBlocked, generation);
      if (blocked) return fail(`${label(deleted)} cannot be removed yet: ${blocked.message}`);
      // Not Stalled: a delete changes no generation, so a Stalled from before the delete would look current.
      return undefined;
    },
    (last) => {
      const why = last?.status?.conditions?.find(
        (c) => c.status === "True" && c.type !== ConditionTypes.Ready,
      );
      const detail = why?.message ? ` (${why.type}: ${why.message})` : "";
      return fail(
        `${label(deleted)} is marked for deletion but still being removed after ${seconds(timeoutMs)}${detail}`,
      );
    },
  );
}
