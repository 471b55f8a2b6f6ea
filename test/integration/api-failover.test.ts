/**
 * Two replicas of the whole app (startApp twice, same store root, different ports): both serve the
 * API, only the leader runs the controllers. Killing the leader's ZooKeeper session hands the
 * controllers to the other replica; the failover time is measured and printed (no timed assertion:
 * it depends on the machine).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  GROUP_PATH,
  removeRoot,
  startTestApp,
  type TestApp,
  testConfig,
  until,
  verdictController,
} from "../helpers/api-app.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

const KIND = "UserdataTemplate";

function template(name: string) {
  return {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: KIND,
    metadata: { name },
    spec: { data: "x" },
  };
}

/** Resolves with the time at which the replica's manager starts leading. */
function leadingAt(t: TestApp): Promise<number> {
  return new Promise((resolve) => {
    if (t.app.manager.leading) resolve(performance.now());
    else t.app.manager.once("leading", () => resolve(performance.now()));
  });
}

describe("leader failover with two replicas", () => {
  const root = uniqueRoot("api-failover");
  const reconciled: string[] = [];
  const replicas: TestApp[] = [];

  const start = async (identity: string, connectString = zkConnect(), sessionTimeoutMs = 10_000) => {
    const config = testConfig(root, (cfg) => {
      cfg.zookeeper = { connectString, sessionTimeoutMs };
    });
    const t = await startTestApp(config, {
      identity,
      kindControllers: [verdictController(KIND, identity, reconciled)],
    });
    replicas.push(t);
    return t;
  };

  after(async () => {
    for (const t of replicas) await t.app.close().catch(() => undefined);
    await removeRoot(root);
  });

  test("the other replica takes over when the leader's session dies", async (ctx) => {
    const a = await start("a");
    await leadingAt(a);
    const b = await start("b");
    await b.app.manager.settled();
    assert.equal(a.app.manager.leading, true, "the first replica leads");
    assert.equal(b.app.manager.leading, false, "the second follows");

    // Both serve the API; writes through the follower are reconciled by the leader.
    const res = await fetch(`${b.app.url}${GROUP_PATH}/userdatatemplates`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(template("before")),
    });
    assert.equal(res.status, 201);
    await until("the leader reconciled it", () => reconciled.includes("a:before"));
    assert.ok(!reconciled.some((r) => r.startsWith("b:")), "the follower reconciles nothing");

    // Kill the leader's ZooKeeper session: its ephemeral election node goes with it.
    const takeover = leadingAt(b);
    const killedAt = performance.now();
    a.app.zk.close();
    const failoverMs = (await takeover) - killedAt;
    ctx.diagnostic(`failover after killing the leader's session: ${failoverMs.toFixed(1)} ms`);
    process.stderr.write(`failover (session killed): ${failoverMs.toFixed(1)} ms\n`);
    await until("the old leader stopped its controllers", () => !a.app.manager.leading);

    const after = await fetch(`${b.app.url}${GROUP_PATH}/userdatatemplates`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(template("after")),
    });
    assert.equal(after.status, 201);
    await until("the new leader reconciled the new object", () => reconciled.includes("b:after"));
    assert.ok(!reconciled.includes("a:after"), "the old leader did not");
    const metrics = await (await fetch(`${b.app.url}/metrics`)).text();
    assert.match(metrics, /^pvc_leader 1$/m);

    // A graceful stop of the leader hands over too (it leaves the election before closing).
    const c = await start("c");
    await c.app.manager.settled();
    assert.equal(c.app.manager.leading, false);
    const next = leadingAt(c);
    const closedAt = performance.now();
    await b.app.close();
    const gracefulMs = (await next) - closedAt;
    ctx.diagnostic(`failover after a graceful stop of the leader: ${gracefulMs.toFixed(1)} ms`);
    process.stderr.write(`failover (graceful stop): ${gracefulMs.toFixed(1)} ms\n`);
  });

  test("a leader cut off from ZooKeeper stops at once; the other takes over when its session expires", async (ctx) => {
    // What a crashed or partitioned leader looks like: no goodbye, the server expires the session.
    const sessionTimeoutMs = 4000;
    const proxy = await startTcpProxy(zkConnect());
    try {
      const current = replicas.find((r) => r.app.manager.leading);
      if (current) await current.app.close(); // start from a clean election
      const a = await start("p", proxy.address, sessionTimeoutMs);
      await leadingAt(a);
      const b = await start("q", zkConnect(), sessionTimeoutMs);
      await b.app.manager.settled();
      assert.equal(b.app.manager.leading, false);
      const takeover = leadingAt(b);
      const cutAt = performance.now();
      proxy.cut();
      await until("the cut-off leader stopped its controllers", () => !a.app.manager.leading);
      const stoppedMs = performance.now() - cutAt;
      const failoverMs = (await takeover) - cutAt;
      ctx.diagnostic(
        `partitioned leader: stopped after ${stoppedMs.toFixed(0)} ms, other replica leading after ${failoverMs.toFixed(0)} ms (session timeout ${sessionTimeoutMs} ms)`,
      );
      process.stderr.write(
        `failover (partition, session timeout ${sessionTimeoutMs} ms): ${failoverMs.toFixed(0)} ms\n`,
      );
      assert.ok(
        stoppedMs < failoverMs,
        "the old leader stopped before the new one started: never two at once",
      );
    } finally {
      proxy.restore();
      await proxy.close();
    }
  });
});
