/**
 * bench/REPORT.md from one run: the machine, a table of every figure (baseline, ours, ratio, goal,
 * met or not) from the benches' RESULT lines, and per bench what it measures, its arguments, how
 * long it took, the load average around it and the lines it printed for people.
 */
import type { Figure } from "../lib.ts";
import type { Machine } from "./machine.ts";

export interface BenchRun {
  name: string;
  args: string[];
  seconds: number;
  /** Load average (1, 5, 15 min) before and after the bench. */
  loadBefore: string;
  loadAfter: string;
  /** Exit code, or the reason it did not finish (stopped at its time limit, could not start). */
  exit: number | string;
  measures?: string;
  figures: Figure[];
  /** What it printed, but the RESULT line. */
  lines: string[];
}

export interface RunInfo {
  machine: Machine;
  quick: boolean;
  command: string;
  loadStart: string;
  loadEnd: string;
  totalSeconds: number;
}

function num(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "";
  if (Math.abs(n) >= 100) return String(Math.round(n));
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** An exit's first line, short enough for a table cell (the whole text is in the bench's section). */
function firstLine(exit: number | string): string {
  const line = typeof exit === "number" ? `exit ${exit}` : exit.split("\n")[0];
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}

function figureRows(run: BenchRun): string[] {
  if (run.figures.length === 0) {
    const why = run.exit === 0 ? "no RESULT line" : `failed: ${firstLine(run.exit)}`;
    return [`| ${run.name} | ${cell(why)} | | | | | |`];
  }
  return run.figures.map((f) => {
    const ratio = f.ratio === undefined ? "" : `${num(f.ratio)}×`;
    const met = f.goal ? (f.goal.met ? "met" : "**NOT met**") : "";
    return `| ${run.name} | ${cell(f.what)} | ${num(f.baseline)} | ${num(f.ours)} ${f.unit} | ${ratio} | ${cell(f.goal?.text ?? "")} | ${met} |`;
  });
}

function benchSection(run: BenchRun): string[] {
  const status =
    run.exit === 0 ? "ok" : `**${typeof run.exit === "number" ? `exit ${run.exit}` : run.exit}**`;
  const shown = run.lines.length > 60 ? ["…", ...run.lines.slice(-60)] : run.lines;
  return [
    `### ${run.name}`,
    "",
    run.measures ? `${run.measures}.` : "(The bench printed no RESULT line.)",
    "",
    `\`npx tsx bench/${run.name}.ts ${run.args.join(" ")}\` — ${status}, ${run.seconds.toFixed(0)} s, load average ${run.loadBefore} before, ${run.loadAfter} after.`,
    "",
    "```",
    ...shown,
    "```",
    "",
  ];
}

export function renderReport(info: RunInfo, runs: BenchRun[]): string {
  const m = info.machine;
  const goals = runs.flatMap((r) => r.figures.filter((f) => f.goal));
  const met = goals.filter((f) => f.goal?.met).length;
  return [
    "# Benchmark report",
    "",
    `Written by \`${info.command}\` (${info.quick ? "quick form: smaller sizes, fewer rounds" : "full form"}) on a fresh local stack of its own; every baseline was measured in the same run as ours. Each bench's own header (\`bench/<name>.ts\`) says how it measures.`,
    "",
    "## Machine",
    "",
    "| | |",
    "|---|---|",
    `| date | ${m.date} |`,
    `| commit | ${m.commit} |`,
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| RAM | ${m.ramGiB.toFixed(1)} GiB (${m.freeGiB.toFixed(1)} GiB free at the start) |`,
    `| load average (1, 5, 15 min) | ${info.loadStart} at the start, ${info.loadEnd} at the end |`,
    `| node | ${m.node} |`,
    `| ZooKeeper | ${m.zookeeper} |`,
    `| Ceph | ${m.ceph} |`,
    `| whole run | ${(info.totalSeconds / 60).toFixed(1)} min |`,
    "",
    "## Figures",
    "",
    `${goals.length} goals: ${met} met, ${goals.length - met} not met in this run. Ratio = ours / baseline.`,
    "",
    "| bench | figure | baseline | ours | ratio | goal | |",
    "|---|---|---|---|---|---|---|",
    ...runs.flatMap(figureRows),
    "",
    "## Benches",
    "",
    ...runs.flatMap(benchSection),
  ].join("\n");
}
