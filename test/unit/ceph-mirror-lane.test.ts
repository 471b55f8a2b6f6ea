/**
 * The CephVolume controller's mirror lane (controllers/ceph/mirror-lane.ts): reads only while the
 * controller is idle (up to its concurrency), one per maxYieldMs while busy, each key once,
 * results handed out only for the tag asked, and a failed read asked again only after a backoff.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MirrorLane } from "../../controllers/ceph/mirror-lane.ts";

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** A lane whose reads wait until released, recording what started and what was delivered. */
function harness(options: { concurrency?: number; maxYieldMs?: number; fail?: boolean } = {}) {
  let idle = true;
  const started: string[] = [];
  const done: string[] = [];
  const release = new Map<string, () => void>();
  const lane = new MirrorLane<string>({
    concurrency: options.concurrency ?? 2,
    maxYieldMs: options.maxYieldMs ?? 10_000,
    idle: () => idle,
    read: (key) => {
      started.push(key);
      return new Promise<string>((resolve, reject) => {
        release.set(key, () => (options.fail ? reject(new Error(`no ${key}`)) : resolve(`info of ${key}`)));
      });
    },
    done: (key) => done.push(key),
  });
  return {
    lane,
    started,
    done,
    setIdle(v: boolean) {
      idle = v;
    },
    finish(key: string) {
      release.get(key)?.();
      release.delete(key);
    },
  };
}

describe("mirror lane", () => {
  test("waits while the controller is busy, then reads up to its concurrency", async () => {
    const h = harness({ concurrency: 2 });
    h.setIdle(false);
    for (const k of ["a", "b", "c"]) h.lane.submit(k, "t");
    await tick();
    assert.deepEqual(h.started, [], "busy: nothing starts");
    h.setIdle(true);
    h.lane.kick();
    assert.deepEqual(h.started, ["a", "b"], "idle: two at once");
    h.finish("a");
    await tick();
    assert.deepEqual(h.done, ["a"]);
    assert.deepEqual(h.started, ["a", "b", "c"], "a finished read makes room");
    assert.deepEqual(h.lane.take("a", "t"), { ok: true, value: "info of a" });
    assert.equal(h.lane.take("a", "t"), undefined, "taken once");
    h.lane.stop();
  });

  test("a steady stream of work cannot starve it: one read per maxYieldMs", async () => {
    const h = harness({ maxYieldMs: 30 });
    h.setIdle(false);
    h.lane.submit("a", "t");
    h.lane.submit("b", "t");
    await tick(10);
    assert.deepEqual(h.started, []);
    await tick(40);
    assert.deepEqual(h.started, ["a"], "one, not the lane's concurrency, while busy");
    h.lane.stop();
  });

  test("each key is read once per tag; a result for another tag is not handed out", async () => {
    const h = harness();
    h.lane.submit("a", "t1");
    h.lane.submit("a", "t1");
    assert.deepEqual(h.started, ["a"]);
    h.finish("a");
    await tick();
    h.lane.submit("a", "t1");
    assert.deepEqual(h.started, ["a"], "its result is waiting to be taken");
    assert.equal(h.lane.take("a", "t2"), undefined, "a read for another create is dropped");
    h.lane.submit("a", "t2");
    assert.deepEqual(h.started, ["a", "a"]);
    h.lane.forget("a");
    h.finish("a");
    await tick();
    assert.equal(h.lane.take("a", "t2"), undefined, "forgotten: the read in flight delivers nothing");
    h.lane.stop();
  });

  test("a failed read is handed out as such and asked again only after a backoff", async () => {
    const h = harness({ fail: true });
    h.lane.submit("a", "t");
    h.finish("a");
    await tick();
    const got = h.lane.take("a", "t");
    assert.equal(got?.ok, false);
    h.lane.submit("a", "t");
    await tick(50);
    assert.deepEqual(h.started, ["a"], "not again at once");
    h.lane.stop();
  });
});
