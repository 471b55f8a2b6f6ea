/**
 * The facade's common part over real HTTP, with a facade group and a kind controller plugged in the
 * way real ones are (a FacadePlugin given to the app, a KindController given to the manager):
 * writes wait for the controller's verdict (Ready → 200, Stalled → 510 with its message, neither in
 * time → 510 "still converging"), deletes wait until the object is gone, GETs answer 404/400 with
 * PVC's messages, and values come from the query or a form body.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { waitForDeletion, writeAndWait } from "../../api/v1/converge.ts";
import { type FacadePlugin, notFound, respond } from "../../api/v1/facade.ts";
import { limitFilter } from "../../api/v1/limit.ts";
import { getValue, readValues } from "../../api/v1/values.ts";
import { testConfig, useTestApp, verdictController } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

const KIND = "UserdataTemplate";

/** A small facade group over UserdataTemplate, written as a real group file would be. */
const userdataFacade: FacadePlugin = async (app, { deps }) => {
  app.get("/test/userdata", async (request) => {
    const match = limitFilter(getValue(readValues(request), "limit"));
    return deps
      .informer(KIND)
      .list()
      .filter((o) => match(o.metadata.name))
      .map((o) => ({ name: o.metadata.name, data: o.spec.data }));
  });
  app.get("/test/userdata/:name", async (request, reply) => {
    const { name } = request.params as { name: string };
    const obj = deps.informer(KIND).get(name);
    if (!obj) return notFound(reply, "Template not found.");
    return { name, data: obj.spec.data };
  });
  app.post("/test/userdata", async (request, reply) => {
    const v = readValues(request);
    const name = getValue(v, "name") ?? "";
    const verdict = await writeAndWait(
      deps,
      async () =>
        (
          await deps.store.apply({
            apiVersion: "pvc.parallelvirtualcluster.org/v1",
            kind: KIND,
            metadata: { name },
            spec: { data: getValue(v, "data") },
          })
        ).resource,
      { success: `Added userdata template "${name}"` },
    );
    return respond(reply, verdict);
  });
  app.delete("/test/userdata/:name", async (request, reply) => {
    const { name } = request.params as { name: string };
    const deleted = await deps.store.delete(KIND, name);
    return respond(
      reply,
      await waitForDeletion(deps, deleted, { success: `Removed userdata template "${name}"` }),
    );
  });
};

describe("facade common part", () => {
  const root = uniqueRoot("api-facade");
  const reconciled: string[] = [];
  const t = useTestApp(
    root,
    () =>
      testConfig(root, (c) => {
        c.reconciler.facadeWaitTimeoutMs = 1500;
      }),
    {
      kindControllers: [verdictController(KIND, "only", reconciled)],
      extraFacadeGroups: { userdataFacade },
    },
  );
  let base: string;

  const form = (method: string, path: string, values: Record<string, string>) =>
    fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(values).toString(),
    });

  before(async () => {
    base = t.app.url;
    await t.app.manager.settled();
  });

  test("GET /api/v1 answers 209", async () => {
    const res = await fetch(`${base}/api/v1`);
    assert.equal(res.status, 209);
    assert.deepEqual(await res.json(), { message: "PVC API version 1" });
  });

  test("a write answers 200 once the controller reports Ready", async () => {
    const res = await form("POST", "/api/v1/test/userdata", { name: "good", data: "#cloud-config" });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { message: 'Added userdata template "good"' });
    assert.ok(reconciled.includes("only:good"));
    // Values from the query work as well as from the body.
    const again = await fetch(`${base}/api/v1/test/userdata?name=good&data=changed`, { method: "POST" });
    assert.equal(again.status, 200, "waits for the new generation's verdict");
    const obj = await t.app.store.get(KIND, "good");
    assert.equal(obj.metadata.generation, 2);
    assert.equal(obj.status?.observedGeneration, 2);
  });

  test("Stalled answers 510 with the condition's message", async () => {
    const res = await form("POST", "/api/v1/test/userdata", { name: "bad", data: "stall here" });
    assert.equal(res.status, 510);
    const body = await res.json();
    assert.match(body.message, /failed: step 2 of 3 failed: stall here/);
  });

  test("no verdict in time answers 510 saying it is still converging", async () => {
    const started = Date.now();
    const res = await form("POST", "/api/v1/test/userdata", { name: "slowpoke", data: "slow" });
    assert.equal(res.status, 510);
    assert.match((await res.json()).message, /stored but still converging after 1\.5 s/);
    assert.ok(Date.now() - started >= 1400, "it waited the configured time");
    assert.ok(await t.app.store.tryGet(KIND, "slowpoke"), "the write itself is kept");
  });

  test("a failed write answers 510 with the reason", async () => {
    const res = await fetch(`${base}/api/v1/test/userdata?name=nodata`, { method: "POST" });
    assert.equal(res.status, 510);
    assert.match((await res.json()).message, /\/spec\/data/);
  });

  test("a delete answers 200 once the object is gone; 510 for a missing one", async () => {
    const res = await fetch(`${base}/api/v1/test/userdata/good`, { method: "DELETE" });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { message: 'Removed userdata template "good"' });
    assert.equal(t.app.informers.get(KIND)?.get("good"), undefined);
    const missing = await fetch(`${base}/api/v1/test/userdata/good`, { method: "DELETE" });
    assert.equal(missing.status, 510);
    assert.match((await missing.json()).message, /not found/);
  });

  test("GETs: fuzzy limit, 404 with a message, 400 for a bad regex, 404 for unknown endpoints", async () => {
    await form("POST", "/api/v1/test/userdata", { name: "web-01", data: "x" });
    await form("POST", "/api/v1/test/userdata", { name: "db-01", data: "x" });
    const names = async (limit: string) =>
      (
        (await (
          await fetch(`${base}/api/v1/test/userdata?limit=${encodeURIComponent(limit)}`)
        ).json()) as Array<{ name: string }>
      )
        .map((o) => o.name)
        .sort();
    assert.deepEqual(await names("01"), ["db-01", "web-01"]);
    assert.deepEqual(await names("^web"), ["web-01"]);
    const one = await fetch(`${base}/api/v1/test/userdata/nothing`);
    assert.equal(one.status, 404);
    assert.deepEqual(await one.json(), { message: "Template not found." });
    const regex = await fetch(`${base}/api/v1/test/userdata?limit=(`);
    assert.equal(regex.status, 400);
    assert.match((await regex.json()).message, /^Regex Error/);
    const unknown = await fetch(`${base}/api/v1/no/such/thing`);
    assert.equal(unknown.status, 404);
    assert.match((await unknown.json()).message, /No such endpoint/);
  });
});
