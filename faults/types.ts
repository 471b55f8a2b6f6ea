/**
 * The fault suite's contract: each scenario is a module exporting `{name, run}`; `run` gets how
 * many runs to make, whether this is the short (CI) form, and the suite's shared environment, and
 * returns one row of the table.
 */
import type { FaultEnv } from "./env.ts";

export interface ScenarioResult {
  scenario: string;
  runs: number;
  /** Runs after which every object was Ready and every check held. */
  converged: number;
  lost: number;
  duplicated: number;
  orphaned: number;
  maxConvergeMs: number;
  /** Measured figures (failover, recovery) and what went wrong, one line each. */
  notes: string[];
}

export interface ScenarioOptions {
  runs: number;
  short: boolean;
  env: FaultEnv;
}

export interface Scenario {
  name: string;
  /** Runs in the full form and in the short form. */
  runs: { full: number; short: number };
  run(options: ScenarioOptions): Promise<ScenarioResult>;
}

/** A result row with nothing counted yet. */
export function emptyResult(scenario: string, runs: number): ScenarioResult {
  return { scenario, runs, converged: 0, lost: 0, duplicated: 0, orphaned: 0, maxConvergeMs: 0, notes: [] };
}

/** Whether a row is clean: every run converged and nothing lost, duplicated or orphaned. */
export function clean(r: ScenarioResult): boolean {
  return r.converged === r.runs && r.lost === 0 && r.duplicated === 0 && r.orphaned === 0;
}

/** Runs a scenario's body; an exception ends it as a note on its row (its runs stay uncounted). */
export async function guarded(row: ScenarioResult, body: () => Promise<void>): Promise<ScenarioResult> {
  try {
    await body();
  } catch (err) {
    row.notes.push(`failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return row;
}
