/**
 * Carrying out what a VirtualMachine's spec asks of a defined domain — its home node, a migration,
 * its run state, autostart — the way PVC's client does it (client-common/vm.py at de8c7975), as
 * writes to the domain's `state`, `node`, `lastnode` and `node_autostart`. Pure: the controller
 * gives the intent carried out last (status.applied, or what the keys show for a domain we adopt or
 * just defined), the domain's keys and a placement function, and commits the writes returned.
 *
 * A part of the intent is carried out when it changed since the last time, never because the keys
 * moved meanwhile: those keys are the nodes' (a flush migrates VMs, a guest shuts itself down), and
 * "repairing" them would fight the cluster. The transitions, as PVC allows them:
 * - home node (spec.node, PVC's `move`): node=target, lastnode='', and state=migrate if running;
 * - migration present (PVC's `migrate`): node=target (spec.migration.node, else the selector's
 *   choice away from the current node), lastnode=the node it leaves, or the lastnode it already has
 *   (PVC's `force`: a re-migration keeps where the VM came from); state=migrate if running;
 * - migration removed (PVC's `unmigrate`): node=lastnode, lastnode='', state=migrate if running;
 * - run state: start (unless already running or on its way), stop, shutdown (graceful; a stop
 *   follows when the node has not powered it off within the manual's 90 s), restart (once per change
 *   of runState, or of the XML while runState is restart; a VM that is not running is started),
 *   disable (the node daemon stops it as for stop: one write instead of PVC's CLI guard "stop it
 *   first");
 * - autostart: node_autostart=True/False (the node daemon clears it after use; that stays).
 */

import { flag, runStateOfPvcState } from "../../src/pvc/domain-tree.ts";
import type { DomainChildKey } from "../../src/pvc/keys.ts";
import { DEFAULT_SELECTOR } from "../../src/pvc/placement.ts";
import type { VirtualMachineSpec } from "../../src/resources/specs.ts";
import type { VmIntent } from "../../src/resources/statuses.ts";

/** The domain keys a plan reads. */
export interface DomainState {
  state: string;
  node: string;
  lastnode: string;
  /** node_autostart as written ("True"/"False"). */
  autostart: string;
}

export interface IntentInput {
  spec: VirtualMachineSpec;
  /** The intent carried out last. */
  applied: VmIntent;
  domain: DomainState;
  /** Whether this reconcile rewrites the XML (a restart intent restarts for it). */
  xmlChanged: boolean;
  /** A graceful shutdown asked for at this time (ISO), if one is pending. */
  shutdownSince?: string;
  shutdownTimeoutMs: number;
  now: number;
  /** The placement: a target for the selector, never `current`; null when no node qualifies. */
  selectTarget(selector: string, current: string): string | null;
  nodeExists(name: string): boolean;
}

export type IntentPlan =
  | {
      ok: true;
      /** Key → value to write (empty: nothing to do). */
      writes: Map<DomainChildKey, string>;
      applied: VmIntent;
      /** What was done, for events: `move to hv2`, `state start`. */
      actions: string[];
      shutdownSince?: string;
      /** Come back then (a pending graceful shutdown's deadline). */
      requeueAfter?: number;
    }
  | { ok: false; reason: string; message: string };

/** The intent a domain's keys show: what adopting it (or having just defined it) carries out already. */
export function intentOfDomain(d: DomainState): VmIntent {
  return {
    runState: runStateOfPvcState(d.state),
    home: d.lastnode !== "" ? d.lastnode : d.node,
    migration: d.lastnode !== "" ? { node: d.node } : null,
    autostart: d.autostart === "True",
  };
}

function sameMigration(a: VmIntent["migration"], b: VmIntent["migration"]): boolean {
  return (
    (a?.node ?? null) === (b?.node ?? null) && (a?.selector ?? null) === (b?.selector ?? null) && !a === !b
  );
}

const RUNNING_STATES = new Set(["start", "migrate", "unmigrate", "restart"]);
const STOPPED_STATES = new Set(["stop", "shutdown", "disable", "fail"]);

/** Where the plan stands as it is built: the keys as its writes leave them. */
class Draft {
  readonly writes = new Map<DomainChildKey, string>();
  readonly actions: string[] = [];
  constructor(readonly domain: DomainState) {}
  get(key: "state" | "node" | "lastnode"): string {
    return this.writes.get(key) ?? this.domain[key];
  }
  set(values: Partial<Record<DomainChildKey, string>>, action: string): void {
    for (const [k, v] of Object.entries(values)) this.writes.set(k as DomainChildKey, v as string);
    this.actions.push(action);
  }
  /** PVC moves a running VM live (state=migrate); a stopped one just changes node. */
  relocate(node: string, lastnode: string, action: string): void {
    const running = this.get("state") === "start";
    this.set({ node, lastnode, ...(running ? { state: "migrate" } : {}) }, action);
  }
}

type Failure = { ok: false; reason: string; message: string };
const failure = (reason: string, message: string): Failure => ({ ok: false, reason, message });

function planHome(input: IntentInput, draft: Draft): Failure | string {
  const { spec, applied } = input;
  if (spec.node === undefined || spec.node === applied.home) return applied.home;
  if (!input.nodeExists(spec.node)) return failure("NodeNotFound", `node ${spec.node} is not a PVC node`);
  if (draft.get("node") !== spec.node || draft.get("lastnode") !== "") {
    draft.relocate(spec.node, "", `move to ${spec.node}`);
  }
  return spec.node;
}

function planMigration(input: IntentInput, draft: Draft, moved: boolean): Failure | undefined {
  const wanted = input.spec.migration ?? null;
  // A move resets the migration: what is wanted now is measured from the new home.
  const before = moved ? null : input.applied.migration;
  if (sameMigration(wanted, before)) return undefined;
  const current = draft.get("node");
  const lastnode = draft.get("lastnode");
  if (!wanted) {
    if (lastnode !== "") draft.relocate(lastnode, "", `unmigrate to ${lastnode}`);
    return undefined;
  }
  let target = wanted.node ?? null;
  if (target !== null && !input.nodeExists(target))
    return failure("NodeNotFound", `migration target ${target} is not a PVC node`);
  const selector = wanted.selector ?? input.spec.nodeSelector ?? DEFAULT_SELECTOR;
  target ??= input.selectTarget(selector, current);
  if (target === null) {
    return failure(
      "NoMigrationTarget",
      `no node can take the VM: none other than ${current} is run and ready within its node limit (selector ${selector})`,
    );
  }
  if (target !== current)
    draft.relocate(target, lastnode !== "" ? lastnode : current, `migrate to ${target}`);
  return undefined;
}

function planRunState(input: IntentInput, draft: Draft): { shutdownSince?: string; requeueAfter?: number } {
  const { spec, applied } = input;
  const changed = spec.runState !== applied.runState;
  const state = draft.get("state");
  const since = input.shutdownSince;
  switch (spec.runState) {
    case "start":
      if (changed && !RUNNING_STATES.has(state)) draft.set({ state: "start" }, "state start");
      return {};
    case "stop":
      if (changed && state !== "stop") draft.set({ state: "stop" }, "state stop");
      return {};
    case "disable":
      if (changed && state !== "disable") draft.set({ state: "disable" }, "state disable");
      return {};
    case "restart":
      if (!changed && !input.xmlChanged) return {};
      if (STOPPED_STATES.has(state)) draft.set({ state: "start" }, "state start");
      else if (state !== "restart") draft.set({ state: "restart" }, "restart");
      return {};
    case "shutdown":
      return planShutdown(input, draft, changed, since);
  }
}

function planShutdown(
  input: IntentInput,
  draft: Draft,
  changed: boolean,
  since: string | undefined,
): { shutdownSince?: string; requeueAfter?: number } {
  const state = draft.get("state");
  if (changed) {
    if (state === "stop" || state === "disable" || state === "shutdown") return {};
    if (state === "fail") {
      draft.set({ state: "stop" }, "state stop");
      return {};
    }
    draft.set({ state: "shutdown" }, "shutdown");
    return { shutdownSince: new Date(input.now).toISOString(), requeueAfter: input.shutdownTimeoutMs };
  }
  // Still shutting down: once the manual's time is up, force it (PVC's shutdown_vm did the same).
  if (state !== "shutdown" || since === undefined) return {};
  const left = Date.parse(since) + input.shutdownTimeoutMs - input.now;
  if (left > 0) return { shutdownSince: since, requeueAfter: left };
  draft.set({ state: "stop" }, "stop after the shutdown timeout");
  return {};
}

/** The writes that carry out the spec's intent, or why it cannot be carried out now. */
export function planIntent(input: IntentInput): IntentPlan {
  const draft = new Draft(input.domain);
  const home = planHome(input, draft);
  if (typeof home !== "string") return home;
  const migration = planMigration(input, draft, home !== input.applied.home);
  if (migration) return migration;
  const shutdown = planRunState(input, draft);
  if (input.spec.autostart !== input.applied.autostart) {
    draft.set({ node_autostart: flag(input.spec.autostart) }, `autostart ${input.spec.autostart}`);
  }
  return {
    ok: true,
    writes: draft.writes,
    actions: draft.actions,
    applied: {
      runState: input.spec.runState,
      home,
      migration: input.spec.migration ?? null,
      autostart: input.spec.autostart,
    },
    ...shutdown,
  };
}
