/** The fault suite's table: one row per scenario, columns aligned, then each scenario's notes. */
import type { ScenarioResult } from "./types.ts";

const HEADERS = ["scenario", "runs", "converged", "lost", "duplicated", "orphaned", "max converge"];

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatTable(rows: readonly ScenarioResult[]): string {
  const cells = rows.map((r) => [
    r.scenario,
    String(r.runs),
    String(r.converged),
    String(r.lost),
    String(r.duplicated),
    String(r.orphaned),
    seconds(r.maxConvergeMs),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(" | ")} |`;
  const out = [line(HEADERS), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.map(line)];
  for (const r of rows) {
    for (const n of r.notes) out.push(`- ${r.scenario}: ${n}`);
  }
  return out.join("\n");
}
