/**
 * The work queue: merging, one run per key at a time, backoff, terminal errors, requeueAfter,
 * the concurrency limit and shutdown. Timings here are short and generous: the tests check order
 * and counts, never speed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TerminalError } from "../../src/runtime/errors.ts";
import { backoffDelay, type ReconcileResult, WorkQueue } from "../../src/runtime/queue.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A promise to resolve by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe("WorkQueue", () => {
  test("10 adds of one key while it waits merge into one run", async () => {
    const blocker = gate();
    const runs: string[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      handler: async (key) => {
        runs.push(key);
        if (key === "blocker") await blocker.promise;
      },
    });
    void q.add("blocker");
    await until(() => q.inFlight === 1, "the blocker to run");
    const promises = Array.from({ length: 10 }, () => q.add("a"));
    assert.equal(q.depth, 1, "one waiting entry for ten adds");
    assert.ok(
      promises.every((p) => p === promises[0]),
      "every add of a waiting key returns the same promise",
    );
    blocker.open();
    assert.deepEqual(await promises[0], { result: "success" });
    assert.deepEqual(runs, ["blocker", "a"]);
    await q.shutdown();
  });

  test("adds in the same tick on an idle queue merge too", async () => {
    let runs = 0;
    const q = new WorkQueue({
      handler: async () => {
        runs++;
      },
    });
    const ps = Array.from({ length: 10 }, () => q.add("k"));
    await Promise.all(ps);
    assert.equal(runs, 1);
    await q.shutdown();
  });

  test("a key never runs twice at once, even with concurrency 4", async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const q = new WorkQueue({
      concurrency: 4,
      handler: async () => {
        active++;
        runs++;
        maxActive = Math.max(maxActive, active);
        await sleep(5);
        active--;
      },
    });
    for (let i = 0; i < 20; i++) {
      void q.add("same");
      await sleep(2);
    }
    await until(() => q.depth === 0 && q.inFlight === 0, "the queue to empty");
    assert.equal(maxActive, 1);
    assert.ok(runs >= 2, `runs: ${runs}`);
    await q.shutdown();
  });

  test("re-added while in flight: exactly one more run, after the current one", async () => {
    const first = gate();
    const events: string[] = [];
    let n = 0;
    const q = new WorkQueue({
      handler: async () => {
        const run = ++n;
        events.push(`start ${run}`);
        if (run === 1) await first.promise;
        events.push(`end ${run}`);
      },
    });
    const p1 = q.add("k");
    await until(() => q.inFlight === 1, "run 1 to start");
    const p2 = q.add("k");
    const p3 = q.add("k");
    assert.notEqual(p1, p2, "the add during the run waits for the next run");
    assert.equal(p2, p3);
    first.open();
    await p1;
    await p2;
    assert.deepEqual(events, ["start 1", "end 1", "start 2", "end 2"]);
    await sleep(30);
    assert.equal(n, 2);
    await q.shutdown();
  });

  test("failures back off exponentially; a success forgets the backoff", async () => {
    const starts: number[] = [];
    let failUntil = 4;
    const q = new WorkQueue({
      backoff: { baseDelayMs: 20, maxDelayMs: 1000, jitter: 0 },
      handler: async () => {
        starts.push(performance.now());
        if (starts.length <= failUntil) throw new Error("transient");
      },
    });
    const first = await q.add("k");
    assert.equal(first.result, "error");
    assert.equal(first.result === "error" && first.retryAfter, 20);
    await until(() => starts.length === 5, "four retries");
    await sleep(10);
    assert.equal(q.failures("k"), 0, "the success forgot the failures");
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    // 20, 40, 80, 160 ms: each gap at least its delay, and each clearly longer than the previous.
    for (const [i, expected] of [20, 40, 80, 160].entries()) {
      assert.ok(gaps[i] >= expected - 2, `gap ${i}: ${gaps[i]} ms, expected >= ${expected}`);
    }
    assert.ok(gaps[3] > gaps[0] * 3, `backoff grows: ${gaps.map(Math.round)}`);

    // After the success, a new failure starts over at the base delay.
    failUntil = Number.POSITIVE_INFINITY;
    const again = await q.add("k");
    assert.equal(again.result === "error" && again.retryAfter, 20);
    assert.equal(q.failures("k"), 1);
    await q.shutdown({ drain: false });
  });

  test("backoff delay: 100 ms doubling up to the 5 min cap", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => backoffDelay(n, 100, 300_000)),
      [100, 200, 400, 800, 1600],
    );
    assert.equal(backoffDelay(30, 100, 300_000), 300_000);
    assert.equal(backoffDelay(10_000, 100, 300_000), 300_000, "no overflow");
  });

  test("jitter spreads retry delays within ±jitter", async () => {
    for (const [r, expected] of [
      [0, 80],
      [0.5, 100],
      [0.999, 120],
    ] as const) {
      const q = new WorkQueue({
        random: () => r,
        backoff: { baseDelayMs: 100, jitter: 0.2 },
        handler: async () => {
          throw new Error("x");
        },
      });
      const out = await q.add("k");
      assert.equal(out.result, "error");
      assert.equal(out.result === "error" && out.retryAfter, expected);
      await q.shutdown({ drain: false });
    }
  });

  test("a TerminalError stops retries until the key is added again", async () => {
    let runs = 0;
    const q = new WorkQueue({
      backoff: { baseDelayMs: 5, jitter: 0 },
      handler: async () => {
        runs++;
        throw new TerminalError("spec asks for the impossible");
      },
    });
    const out = await q.add("k");
    assert.equal(out.result, "terminal");
    await sleep(100);
    assert.equal(runs, 1, "no retry after a terminal error");
    assert.equal(q.delayed, 0);
    await q.add("k");
    assert.equal(runs, 2, "a new add runs it again");
    await q.shutdown();
  });

  test("requeueAfter is honoured, and an add in between runs at once and cancels it", async () => {
    const starts: number[] = [];
    let requeue: ReconcileResult = { requeueAfter: 60 };
    const q = new WorkQueue({
      handler: async () => {
        starts.push(performance.now());
        return requeue;
      },
    });
    const out = await q.add("k");
    assert.deepEqual(out, { result: "requeue", requeueAfter: 60 });
    assert.equal(q.delayed, 1);
    requeue = undefined;
    await until(() => starts.length === 2, "the requeued run");
    assert.ok(starts[1] - starts[0] >= 58, `requeued after ${starts[1] - starts[0]} ms`);
    await sleep(100);
    assert.equal(starts.length, 2, "no requeue after a plain success");

    requeue = { requeueAfter: 10_000 };
    await q.add("k");
    assert.equal(q.delayed, 1);
    requeue = undefined;
    await q.add("k");
    assert.equal(q.delayed, 0, "the add ran the key now and dropped the later run");
    await q.shutdown();
  });

  test("addAfter keeps the earliest schedule", async () => {
    const starts: number[] = [];
    const q = new WorkQueue({
      handler: async () => {
        starts.push(performance.now());
      },
    });
    const t0 = performance.now();
    q.addAfter("k", 5000);
    q.addAfter("k", 30);
    q.addAfter("k", 4000);
    assert.equal(q.delayed, 1);
    await until(() => starts.length === 1, "the delayed run");
    assert.ok(starts[0] - t0 >= 28 && starts[0] - t0 < 3000);
    await sleep(50);
    assert.equal(q.delayed, 0);
    await q.shutdown();
  });

  test("global concurrency limit", async () => {
    let active = 0;
    let maxActive = 0;
    const q = new WorkQueue({
      concurrency: 3,
      handler: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(10);
        active--;
      },
    });
    await Promise.all(Array.from({ length: 12 }, (_, i) => q.add(`k${i}`)));
    assert.equal(maxActive, 3);
    await q.shutdown();
  });

  test("depth and inFlight report waiting and running keys", async () => {
    const g = gate();
    const q = new WorkQueue({ concurrency: 2, handler: () => g.promise });
    for (const k of ["a", "b", "c", "d", "e"]) void q.add(k);
    await until(() => q.inFlight === 2, "two keys in flight");
    assert.equal(q.depth, 3);
    g.open();
    await until(() => q.inFlight === 0 && q.depth === 0, "empty");
    await q.shutdown();
  });

  test("shutdown without drain cancels waiting keys and timers, aborts the signal, waits for the runs in flight", async () => {
    const g = gate();
    let sawAbort = false;
    const q = new WorkQueue({
      concurrency: 1,
      handler: async (_key, { signal }) => {
        await g.promise;
        sawAbort = signal.aborted;
      },
    });
    const running = q.add("a");
    const waiting = q.add("b");
    q.addAfter("c", 10_000);
    await until(() => q.inFlight === 1, "a to run");
    const done = q.shutdown({ drain: false });
    assert.deepEqual(await waiting, { result: "cancelled" });
    assert.equal(q.delayed, 0);
    g.open();
    await done;
    assert.deepEqual(await running, { result: "success" });
    assert.ok(sawAbort, "the run in flight saw its signal aborted");
    assert.deepEqual(await q.add("d"), { result: "cancelled" }, "adds after shutdown are refused");
  });

  test("shutdown with drain runs the waiting keys first", async () => {
    const ran: string[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      handler: async (key) => {
        await sleep(5);
        ran.push(key);
        return { requeueAfter: 10 };
      },
    });
    void q.add("a");
    void q.add("b");
    await q.shutdown();
    assert.deepEqual(ran, ["a", "b"]);
    assert.equal(q.delayed, 0, "no requeue after shutdown");
  });

  test("onOutcome sees every run with its duration", async () => {
    const seen: string[] = [];
    const q = new WorkQueue({
      backoff: { baseDelayMs: 1000 },
      handler: async (key) => {
        if (key === "bad") throw new Error("no");
        if (key === "stop") throw new TerminalError("never");
        return key === "later" ? { requeueAfter: 1000 } : undefined;
      },
      onOutcome: (key, outcome, ms) => {
        assert.ok(ms >= 0);
        seen.push(`${key}:${outcome.result}`);
      },
    });
    await Promise.all(["ok", "bad", "stop", "later"].map((k) => q.add(k)));
    assert.deepEqual(seen.sort(), ["bad:error", "later:requeue", "ok:success", "stop:terminal"]);
    await q.shutdown({ drain: false });
  });
});
