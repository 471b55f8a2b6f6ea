/**
 * Each HTTP request is logged once, at debug (issue 13: fastify's two info lines per request made
 * `pvcctl up` unreadable): method, URL with secret query values redacted, status, time taken. At
 * the default level (info) a served request writes no log line.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { REDACTED } from "../../api/logging.ts";
import { removeRoot, startTestApp, type TestApp, testConfig, until } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

const SECRET = "query-token-never-logged";

/** The JSON log lines that mention `marker`. */
function linesAbout(t: TestApp, marker: string): Array<Record<string, unknown>> {
  return t
    .logs()
    .split("\n")
    .filter((l) => l.includes(marker))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("request logging", () => {
  const root = uniqueRoot("reqlog");
  let debugApp: TestApp;
  let infoApp: TestApp;

  before(async () => {
    debugApp = await startTestApp(
      testConfig(`${root}/debug`, (c) => {
        c.reconciler.logLevel = "debug";
      }),
    );
    infoApp = await startTestApp(testConfig(`${root}/info`));
  });
  after(async () => {
    await debugApp?.app.close();
    await infoApp?.app.close();
    await removeRoot(root);
  });

  test("at debug: one line per request, with method, redacted URL, status and time", async () => {
    const res = await fetch(`${debugApp.app.url}/api/v1/no-such-page?marker=reqlog1&token=${SECRET}`);
    assert.equal(res.status, 404);
    await res.text();
    const ok = await fetch(`${debugApp.app.url}/healthz?marker=reqlog2`);
    assert.equal(ok.status, 200);
    await ok.text();
    // A line is written once its reply has gone out: wait for the second request's, which comes
    // after the first one's.
    await until("the second request's log line", () => linesAbout(debugApp, "reqlog2").length > 0);
    const first = linesAbout(debugApp, "reqlog1");
    assert.equal(first.length, 1, debugApp.logs());
    assert.equal(first[0].level, 20, "debug");
    assert.equal(first[0].msg, "request");
    assert.equal(first[0].method, "GET");
    assert.equal(first[0].url, `/api/v1/no-such-page?marker=reqlog1&token=${REDACTED}`);
    assert.equal(first[0].statusCode, 404);
    assert.equal(typeof first[0].responseTimeMs, "number");
    assert.equal(typeof first[0].reqId, "string");
    const second = linesAbout(debugApp, "reqlog2");
    assert.equal(second.length, 1, debugApp.logs());
    assert.equal(second[0].statusCode, 200);
    assert.ok(!debugApp.logs().includes(SECRET));
  });

  test("at info: a served request writes no line", async () => {
    for (const path of ["/healthz?marker=reqlog3", "/api/v1?marker=reqlog3", "/nope?marker=reqlog3"]) {
      const res = await fetch(`${infoApp.app.url}${path}`);
      await res.text();
    }
    // fastify's own "incoming request" line was written before the reply: none may be there.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(linesAbout(infoApp, "reqlog3"), [], infoApp.logs());
  });
});
