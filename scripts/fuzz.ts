/**
 * The route fuzzer's report run (issue 16): `npm run fuzz -- --count 100000 [--seed N|random]
 * [--concurrency 8] [--report FILE]`, against the local stack named by PVC_ZK_CONNECT (and a store
 * root of its own, removed afterwards). The same server, world, generator and checks as the CI test
 * (test/integration/fuzz-routes.test.ts, 10,000 requests), built as they are sent and kept only when
 * they offend, so that any count fits in memory. Prints the seed, the time, counts by status and by
 * route, the offenders (a 5xx other than /api/v1's 510, a request never answered; 503s replayed
 * once), the process's crashes (uncaught exceptions, unhandled rejections) and the invariant
 * checks (PVC's network keys, every Ceph argv); exits 1 if any of those is not zero.
 */
import { parseArgs } from "node:util";
import type { RouteInfo } from "../api/server.ts";
import { uniqueRoot } from "../test/helpers/env.ts";
import { FUZZ_TOKEN, startFuzzApp } from "../test/helpers/fuzz-app.ts";
import { send } from "../test/helpers/fuzz-http.ts";
import { isOffence, offenceReport, unsent, writeOffences } from "../test/helpers/fuzz-report.ts";
import { RequestGenerator, routeCatalogue } from "../test/helpers/fuzz-requests.ts";
import { fuzzSeed, Rng } from "../test/helpers/fuzz-rng.ts";
import { type Outcome, replayUnavailable, runPlan } from "../test/helpers/fuzz-run.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    seed: { type: "string" },
    concurrency: { type: "string", default: "8" },
    report: { type: "string" },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(count) || count < 1) throw new Error(`--count ${values.count}: a whole number ≥ 1`);
if (!Number.isInteger(concurrency) || concurrency < 1)
  throw new Error(`--concurrency ${values.concurrency}: a whole number ≥ 1`);
const seed = fuzzSeed(20_261_126, values.seed === undefined ? process.env : { PVC_FUZZ_SEED: values.seed });

const REQUEST_TIMEOUT_MS = 10_000;
const crashes: string[] = [];
process.on("uncaughtException", (err) => crashes.push(`uncaughtException: ${err?.stack ?? err}`));
process.on("unhandledRejection", (r) => crashes.push(`unhandledRejection: ${(r as Error)?.stack ?? r}`));

type Bucket = "2xx" | "3xx" | "4xx" | "510" | "other 5xx" | "no answer";
const BUCKETS: Bucket[] = ["2xx", "3xx", "4xx", "510", "other 5xx", "no answer"];
const bucketOf = (s: number | string): Bucket =>
  typeof s !== "number"
    ? "no answer"
    : s < 300
      ? "2xx"
      : s < 400
        ? "3xx"
        : s < 500
          ? "4xx"
          : s === 510
            ? "510"
            : "other 5xx";

const byStatus = new Map<string, number>();
const byRoute = new Map<string, Map<Bucket, number>>();
let unsentCount = 0;
const add = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

const f = await startFuzzApp(uniqueRoot("fuzz-report"), { facadeWaitMs: 1_500 });
let exit = 0;
try {
  const routes = routeCatalogue(f.t.app.server.routeTable as readonly RouteInfo[]);
  await f.setUpNetworks(seed);
  console.log(
    `seed ${seed} (--seed ${seed} replays it); ${count} requests over ${routes.length} routes, ${concurrency} in flight`,
  );
  const generator = new RequestGenerator(new Rng(seed), routes, FUZZ_TOKEN);
  let seen = 0;
  const run = await runPlan(generator.take(count), {
    target: f.target,
    concurrency,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    budgetMs: Number.POSITIVE_INFINITY,
    heavyBoundMs: 2_000,
    onOutcome: (o: Outcome) => {
      add(byStatus, String(o.answer.status));
      const route = byRoute.get(o.req.route) ?? new Map<Bucket, number>();
      add(route, bucketOf(o.answer.status));
      byRoute.set(o.req.route, route);
      if (unsent([o]).length > 0) unsentCount++;
      if (++seen % 10_000 === 0) console.log(`  ${seen} sent`);
      return isOffence(o);
    },
  });
  const { offenders, cleared } = await replayUnavailable(
    run.outcomes,
    { target: f.target, requestTimeoutMs: REQUEST_TIMEOUT_MS },
    isOffence,
  );
  const health = await send(f.target, "GET", "/healthz", {}, undefined, 30_000);
  const inv = await f.invariantProblems();

  console.log(`\n${seen} requests in ${run.seconds.toFixed(1)} s (${(seen / run.seconds).toFixed(0)}/s)`);
  console.log(
    `by status: ${[...byStatus]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s}: ${n}`)
      .join(", ")}`,
  );
  console.log(
    `\n| route | requests | ${BUCKETS.join(" | ")} |\n|---|---:|${BUCKETS.map(() => "---:").join("|")}|`,
  );
  for (const [route, m] of [...byRoute].sort(([a], [b]) => a.localeCompare(b))) {
    const total = [...m.values()].reduce((x, y) => x + y, 0);
    console.log(`| ${route} | ${total} | ${BUCKETS.map((b) => m.get(b) ?? 0).join(" | ")} |`);
  }
  const problems = [
    ...run.blocked,
    ...(run.stoppedAt === undefined
      ? []
      : [`the run stopped at #${run.stoppedAt}: the server stayed blocked`]),
    ...(unsentCount > 0 ? [`${unsentCount} requests node:http would not send (a fuzzer bug)`] : []),
    ...(health.status === 200 ? [] : [`/healthz after the run: ${health.status}`]),
  ];
  console.log(`\noffenders (a 5xx other than /api/v1's 510, or no answer): ${offenders.length}`);
  for (const line of cleared) console.log(`  (a 503 replayed without one, not the input's doing: ${line})`);
  if (offenders.length > 0) console.log(offenceReport(offenders, f.t.logs(), seed));
  if (values.report) writeOffences(values.report, offenders, f.t.logs());
  console.log(`process crashes (uncaught exceptions, unhandled rejections): ${crashes.length}`);
  for (const c of crashes) console.log(`  ${c}`);
  console.log(
    `invariants: ${inv.networksChecked} networks checked key by key, ${inv.cephCommands} Ceph commands' argv checked: ${inv.problems.length} problems`,
  );
  for (const p of [...inv.problems, ...problems]) console.log(`  ${p}`);
  if (offenders.length + crashes.length + inv.problems.length + problems.length > 0) exit = 1;
} finally {
  await f.close();
}
process.exit(exit);
