/**
 * The record of ended sessions (api/sessions.ts) on the real ZooKeeper, as two replicas with their
 * own ZooKeeper sessions see it: an end recorded by one is known to it at once and to the other
 * through its watch; ending twice is fine; expired records are swept (by either replica, both at
 * once too) while live ones stay; a record present before a replica starts is loaded.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { EndedSessions } from "../../api/sessions.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { removeRoot, until } from "../helpers/api-app.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";

const HOUR = 3_600_000;

describe("ended sessions shared through ZooKeeper", () => {
  const root = uniqueRoot("api-sessions");
  const dir = `${root}/coordination/ended-sessions`;
  let now = 1_000_000_000_000;
  const clock = () => now;
  const logger = pino({ level: "silent" });
  const clients: ZkClient[] = [];
  const replicas: EndedSessions[] = [];

  const replica = async () => {
    const zk = await ZkClient.connect({ connectString: zkConnect() });
    clients.push(zk);
    const r = new EndedSessions(zk, dir, { logger, now: clock });
    await r.start();
    replicas.push(r);
    return r;
  };

  let a: EndedSessions;
  let b: EndedSessions;
  before(async () => {
    a = await replica();
    b = await replica();
  });
  after(async () => {
    for (const r of replicas) r.stop();
    for (const zk of clients) zk.close();
    await removeRoot(root);
  });

  test("an end is known at once where recorded, and to the other replica through its watch", async () => {
    assert.equal(a.isEnded("AAAAAAAAAAAAAAAAAAAAAA"), false);
    await a.end({ id: "AAAAAAAAAAAAAAAAAAAAAA", expiresAt: now + HOUR });
    assert.equal(a.isEnded("AAAAAAAAAAAAAAAAAAAAAA"), true);
    await until("b sees the end", () => b.isEnded("AAAAAAAAAAAAAAAAAAAAAA"));
    await b.end({ id: "AAAAAAAAAAAAAAAAAAAAAA", expiresAt: now + HOUR }); // ended twice: no error
    assert.equal(b.isEnded("BBBBBBBBBBBBBBBBBBBBBB"), false);
  });

  test("expired records are swept, live ones stay; a replica starting later loads them", async () => {
    await a.end({ id: "CCCCCCCCCCCCCCCCCCCCCC", expiresAt: now + 2 * HOUR });
    await until("b sees it", () => b.isEnded("CCCCCCCCCCCCCCCCCCCCCC"));
    assert.equal(await a.sweep(), 0, "nothing has expired yet");

    now += HOUR + 1; // AAA… has expired, CCC… has not
    // Both replicas sweep at once: each record is deleted once, neither fails.
    const [byA, byB] = await Promise.all([a.sweep(), b.sweep()]);
    assert.equal(byA + byB, 1);
    for (const r of [a, b]) {
      await until("the expired record is gone", () => !r.isEnded("AAAAAAAAAAAAAAAAAAAAAA"));
      assert.deepEqual(r.ids(), ["CCCCCCCCCCCCCCCCCCCCCC"]);
    }

    const c = await replica();
    assert.deepEqual(c.ids(), ["CCCCCCCCCCCCCCCCCCCCCC"], "loaded on start");
    now += HOUR;
    assert.equal(await c.sweep(), 1);
    await until("every replica drops it", () => [a, b, c].every((r) => r.ids().length === 0));
  });
});
