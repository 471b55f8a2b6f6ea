/**
 * The declarative API over real HTTP on the real ZooKeeper, with kinds of the registry that have
 * no controller (templates), so what is stored is exactly what the API wrote.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { KINDS } from "../../src/resources/kinds.ts";
import { ResourceStore } from "../../src/store/store.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { GROUP_PATH, NdjsonReader, testConfig, useTestApp } from "../helpers/api-app.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";

const API_VERSION = "pvc.parallelvirtualcluster.org/v1";

function userdata(name: string, data = "#cloud-config\n", labels?: Record<string, string>) {
  return {
    apiVersion: API_VERSION,
    kind: "UserdataTemplate",
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { data },
  };
}

describe("declarative API over HTTP", () => {
  const root = uniqueRoot("api-resources");
  let base: string;
  let zk: ZkClient;
  // Registered before useTestApp's `after`: this client closes first, as it always has.
  after(() => {
    zk.close();
  });
  // Requests are logged at debug (one line each, with the request id): the id check below reads them.
  const t = useTestApp(root, () =>
    testConfig(root, (c) => {
      c.reconciler.logLevel = "debug";
    }),
  );

  const call = async (method: string, path: string, body?: unknown, type = "application/json") => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": type },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    base = t.app.url;
    zk = await ZkClient.connect({ connectString: zkConnect() });
  });

  test("create, get, list, replace, merge patch, status, delete", async () => {
    const created = await call(
      "POST",
      `${GROUP_PATH}/userdatatemplates`,
      userdata("web", "one", { tier: "web" }),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.metadata.generation, 1);
    assert.ok(created.body.metadata.uid);
    assert.ok(created.body.metadata.resourceVersion);

    const got = await call("GET", `${GROUP_PATH}/userdatatemplates/web`);
    assert.equal(got.status, 200);
    assert.equal(got.body.spec.data, "one");

    const list = await call("GET", `${GROUP_PATH}/userdatatemplates`);
    assert.equal(list.status, 200);
    assert.equal(list.body.kind, "UserdataTemplateList");
    assert.deepEqual(
      list.body.items.map((i: { metadata: { name: string } }) => i.metadata.name),
      ["web"],
    );
    assert.ok(list.body.metadata.resourceVersion);

    const replaced = await call("PUT", `${GROUP_PATH}/userdatatemplates/web`, {
      ...got.body,
      spec: { data: "two" },
    });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(replaced.body.metadata.generation, 2);

    const patched = await call(
      "PATCH",
      `${GROUP_PATH}/userdatatemplates/web`,
      { spec: { data: "three" } },
      "application/merge-patch+json",
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.spec.data, "three");
    assert.equal(patched.body.metadata.generation, 3);
    assert.deepEqual(patched.body.metadata.labels, { tier: "web" });

    const status = await call("GET", `${GROUP_PATH}/userdatatemplates/web/status`);
    assert.equal(status.status, 200);
    assert.equal(status.body.metadata.name, "web");

    const events = await call("GET", `${GROUP_PATH}/userdatatemplates/web/events`);
    assert.equal(events.status, 200);
    assert.equal(events.body.kind, "EventList");
    assert.deepEqual(events.body.items, []);

    const deleted = await call("DELETE", `${GROUP_PATH}/userdatatemplates/web`);
    assert.equal(deleted.status, 200);
    assert.equal((await call("GET", `${GROUP_PATH}/userdatatemplates/web`)).status, 404);
  });

  test("apply creates, then updates, then changes nothing", async () => {
    const manifest = `apiVersion: ${API_VERSION}\nkind: SystemTemplate\nmetadata:\n  name: small\nspec:\n  vcpus: 2\n  vramMiB: 1024\n`;
    const path = `${GROUP_PATH}/systemtemplates/small`;
    const first = await call("PATCH", path, manifest, "application/apply-patch+yaml");
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.headers.get("x-pvc-apply-result"), "created");
    assert.equal(first.body.spec.serial, false, "defaults filled in");

    const second = await call(
      "PATCH",
      `${path}?apply=true`,
      manifest.replace("vcpus: 2", "vcpus: 4"),
      "application/yaml",
    );
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.headers.get("x-pvc-apply-result"), "updated");
    assert.equal(second.body.spec.vcpus, 4);

    const third = await call(
      "PATCH",
      `${path}?apply=true`,
      manifest.replace("vcpus: 2", "vcpus: 4"),
      "application/yaml",
    );
    assert.equal(third.headers.get("x-pvc-apply-result"), "unchanged");
    assert.equal(third.body.metadata.resourceVersion, second.body.metadata.resourceVersion);
  });

  test("a stale resourceVersion is a 409 Conflict; an existing name a 409 AlreadyExists", async () => {
    const created = await call("POST", `${GROUP_PATH}/userdatatemplates`, userdata("race"));
    const stale = created.body;
    const first = await call("PUT", `${GROUP_PATH}/userdatatemplates/race`, {
      ...stale,
      spec: { data: "a" },
    });
    assert.equal(first.status, 200);
    const second = await call("PUT", `${GROUP_PATH}/userdatatemplates/race`, {
      ...stale,
      spec: { data: "b" },
    });
    assert.equal(second.status, 409);
    assert.equal(second.body.kind, "Status");
    assert.equal(second.body.code, "CONFLICT");
    assert.equal(second.body.reason, "Conflict");

    const pinned = await call(
      "PATCH",
      `${GROUP_PATH}/userdatatemplates/race`,
      { metadata: { resourceVersion: stale.metadata.resourceVersion }, spec: { data: "c" } },
      "application/merge-patch+json",
    );
    assert.equal(pinned.status, 409);

    const again = await call("POST", `${GROUP_PATH}/userdatatemplates`, userdata("race"));
    assert.equal(again.status, 409);
    assert.equal(again.body.code, "ALREADY_EXISTS");

    const staleDelete = await call(
      "DELETE",
      `${GROUP_PATH}/userdatatemplates/race?resourceVersion=${stale.metadata.resourceVersion}`,
    );
    assert.equal(staleDelete.status, 409);
  });

  test("validation failures are 422 listing every field with pointer and value", async () => {
    const res = await call("POST", `${GROUP_PATH}/systemtemplates`, {
      apiVersion: API_VERSION,
      kind: "SystemTemplate",
      metadata: { name: "bad" },
      spec: { vcpus: "two", vramMiB: -5, colour: "red" },
    });
    assert.equal(res.status, 422);
    assert.equal(res.body.code, "VALIDATION_FAILED");
    assert.equal(res.body.reason, "Invalid");
    const fields = res.body.details.fields as Array<{ pointer: string; value: unknown; message: string }>;
    const byPointer = new Map(fields.map((f) => [f.pointer, f]));
    assert.equal(byPointer.get("/spec/vcpus")?.value, "two");
    assert.equal(byPointer.get("/spec/vramMiB")?.value, -5);
    assert.equal(byPointer.get("/spec/colour")?.value, "red");
    for (const f of fields) assert.ok(f.message.length > 0);

    const wrongName = await call("PUT", `${GROUP_PATH}/userdatatemplates/x`, userdata("y"));
    assert.equal(wrongName.status, 422);
    assert.equal(wrongName.body.details.fields[0].pointer, "/metadata/name");
  });

  test("immutable fields cannot change; Node objects cannot be created", async () => {
    const pool = { apiVersion: API_VERSION, kind: "CephPool", metadata: { name: "vms" }, spec: { pgs: 64 } };
    assert.equal((await call("POST", `${GROUP_PATH}/cephpools`, pool)).status, 201);
    const res = await call(
      "PATCH",
      `${GROUP_PATH}/cephpools/vms`,
      { spec: { application: "cephfs" } },
      "application/merge-patch+json",
    );
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.details.fields[0].pointer, "/spec/application");

    const node = await call("POST", `${GROUP_PATH}/nodes`, {
      apiVersion: API_VERSION,
      kind: "Node",
      metadata: { name: "hv9" },
      spec: {},
    });
    assert.equal(node.status, 403);
    assert.equal(node.body.code, "FORBIDDEN");
    assert.match(node.body.message, /created by the cluster/);
    const applied = await call("PATCH", `${GROUP_PATH}/nodes/hv9?apply=true`, {
      kind: "Node",
      metadata: { name: "hv9" },
      spec: {},
    });
    assert.equal(applied.status, 403);
  });

  test("dryRun validates and answers, and stores nothing in ZooKeeper", async () => {
    const objects = `${root}/objects/userdatatemplates`;
    const created = await call("POST", `${GROUP_PATH}/userdatatemplates?dryRun=true`, userdata("ghost"));
    assert.equal(created.status, 201);
    assert.equal(created.body.metadata.name, "ghost");
    assert.equal(await zk.exists(`${objects}/ghost`), null);

    const invalid = await call("POST", `${GROUP_PATH}/userdatatemplates?dryRun=All`, {
      kind: "UserdataTemplate",
      metadata: { name: "g" },
      spec: {},
    });
    assert.equal(invalid.status, 422);

    await call("POST", `${GROUP_PATH}/userdatatemplates`, userdata("real", "before"));
    const before = await zk.get(`${objects}/real`);
    const current = (await call("GET", `${GROUP_PATH}/userdatatemplates/real`)).body;
    const put = await call("PUT", `${GROUP_PATH}/userdatatemplates/real?dryRun=true`, {
      ...current,
      spec: { data: "after" },
    });
    assert.equal(put.status, 200);
    assert.equal(put.body.spec.data, "after");
    const patch = await call(
      "PATCH",
      `${GROUP_PATH}/userdatatemplates/real?dryRun=true`,
      { spec: { data: "p" } },
      "application/merge-patch+json",
    );
    assert.equal(patch.body.spec.data, "p");
    const apply = await call(
      "PATCH",
      `${GROUP_PATH}/userdatatemplates/real?apply=true&dryRun=true`,
      userdata("real", "a"),
    );
    assert.equal(apply.body.spec.data, "a");
    const del = await call("DELETE", `${GROUP_PATH}/userdatatemplates/real?dryRun=true`);
    assert.equal(del.status, 200);
    const afterAll = await zk.get(`${objects}/real`);
    assert.equal(afterAll.stat.mzxid, before.stat.mzxid, "no write reached the object");
    assert.equal(afterAll.data, before.data);

    assert.equal(
      (await call("POST", `${GROUP_PATH}/userdatatemplates?dryRun=maybe`, userdata("x"))).status,
      400,
    );
  });

  test("labelSelector filters lists", async () => {
    await call("POST", `${GROUP_PATH}/userdatatemplates`, userdata("l-a", "", { app: "db", tier: "back" }));
    await call("POST", `${GROUP_PATH}/userdatatemplates`, userdata("l-b", "", { app: "web", tier: "front" }));
    await call("POST", `${GROUP_PATH}/userdatatemplates`, userdata("l-c", "", { app: "web" }));
    const names = async (selector: string) =>
      (
        await call("GET", `${GROUP_PATH}/userdatatemplates?labelSelector=${encodeURIComponent(selector)}`)
      ).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.deepEqual(await names("app=web"), ["l-b", "l-c"]);
    assert.deepEqual(await names("app=web,tier"), ["l-b"]);
    assert.deepEqual(await names("app in (db),tier=back"), ["l-a"]);
    assert.deepEqual(await names("app!=web,app"), ["l-a"]);
    const bad = await call(
      "GET",
      `${GROUP_PATH}/userdatatemplates?labelSelector=${encodeURIComponent("a b c")}`,
    );
    assert.equal(bad.status, 422);
  });

  test("a list shows every change made before it, also those of another ZooKeeper session", async () => {
    // Another writer (its own session): its writes reach the server only as watch events.
    const other = new ResourceStore(zk, { root, kinds: KINDS });
    for (let i = 0; i < 20; i++) {
      await other.create(userdata(`ryw-${i}`, `#${i}\n`));
      const listed = await call("GET", `${GROUP_PATH}/userdatatemplates?labelSelector=`);
      const names = listed.body.items.map((o: { metadata: { name: string } }) => o.metadata.name);
      assert.ok(names.includes(`ryw-${i}`), `ryw-${i} created just before the list`);
      const patched = await other.patch("UserdataTemplate", `ryw-${i}`, { spec: { data: "#patched\n" } });
      const again = await call("GET", `${GROUP_PATH}/userdatatemplates`);
      const item = again.body.items.find(
        (o: { metadata: { name: string } }) => o.metadata.name === `ryw-${i}`,
      );
      assert.equal(item?.spec.data, "#patched\n", "the patch made just before the list");
      assert.equal(item?.metadata.resourceVersion, patched.metadata.resourceVersion);
      await other.delete("UserdataTemplate", `ryw-${i}`);
      const gone = await call("GET", `${GROUP_PATH}/userdatatemplates`);
      assert.ok(!gone.body.items.some((o: { metadata: { name: string } }) => o.metadata.name === `ryw-${i}`));
    }
  });

  test("unknown things are 404 Status documents", async () => {
    const kind = await call("GET", `${GROUP_PATH}/widgets`);
    assert.equal(kind.status, 404);
    assert.equal(kind.body.code, "NOT_FOUND");
    assert.match(kind.body.message, /userdatatemplates/);
    assert.equal((await call("GET", `${GROUP_PATH}/userdatatemplates/nope`)).status, 404);
    assert.equal((await call("DELETE", `${GROUP_PATH}/userdatatemplates/nope`)).status, 404);
    assert.equal((await call("GET", `${GROUP_PATH}/userdatatemplates/nope/events`)).status, 404);
    const path = await call("GET", "/apis/other.group/v1/things");
    assert.equal(path.status, 404);
    assert.equal(path.body.kind, "Status");
    assert.equal((await call("GET", `${GROUP_PATH}/systemtemplate`)).status, 404, "plural names only");
  });

  test("watch streams create, update and delete in order, and resumes from a resourceVersion", async () => {
    const list = await call("GET", `${GROUP_PATH}/userdatatemplates?labelSelector=w%3D1`);
    const from = list.body.metadata.resourceVersion;
    const res = await fetch(
      `${base}${GROUP_PATH}/userdatatemplates?watch=true&labelSelector=w%3D1&resourceVersion=${from}`,
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/x-ndjson");
    const stream = new NdjsonReader(res.body as ReadableStream<Uint8Array>);
    try {
      await call("POST", `${GROUP_PATH}/userdatatemplates`, userdata("w1", "a", { w: "1" }));
      await call(
        "PATCH",
        `${GROUP_PATH}/userdatatemplates/w1`,
        { spec: { data: "b" } },
        "application/merge-patch+json",
      );
      await call(
        "PATCH",
        `${GROUP_PATH}/userdatatemplates/w1`,
        { spec: { data: "c" } },
        "application/merge-patch+json",
      );
      await call("DELETE", `${GROUP_PATH}/userdatatemplates/w1`);
      const seen: string[] = [];
      let lastRv = 0n;
      for (;;) {
        const ev = (await stream.next()) as {
          type: string;
          object: { spec: { data: string }; metadata: { resourceVersion: string } };
        };
        assert.ok(ev, "stream ended early");
        const rv = BigInt(ev.object.metadata.resourceVersion);
        assert.ok(rv > lastRv, "resourceVersions grow");
        lastRv = rv;
        seen.push(`${ev.type}:${ev.object.spec.data}`);
        if (ev.type === "DELETED") break;
      }
      // The informer may merge quick updates into one (level-triggered), never reorder them.
      assert.equal(seen[0], "ADDED:a");
      assert.equal(seen.at(-1), "DELETED:c");
      assert.ok(seen.includes("MODIFIED:c"), seen.join(" "));
      const modified = seen.filter((s) => s.startsWith("MODIFIED")).map((s) => s.slice(-1));
      assert.deepEqual(modified, [...modified].sort(), "updates in order");
    } finally {
      await stream.cancel();
    }

    // A new watch from the list's resourceVersion replays the same history from the cache.
    const replay = await fetch(
      `${base}${GROUP_PATH}/userdatatemplates?watch=1&labelSelector=w%3D1&resourceVersion=${from}`,
    );
    const again = new NdjsonReader(replay.body as ReadableStream<Uint8Array>);
    try {
      const first = (await again.next()) as { type: string; object: { metadata: { name: string } } };
      assert.equal(first.type, "ADDED");
      assert.equal(first.object.metadata.name, "w1");
    } finally {
      await again.cancel();
    }
  });

  test("a watch without resourceVersion starts with the current objects; a too old one is 410", async () => {
    await call("POST", `${GROUP_PATH}/userdatatemplates`, userdata("now-1", "", { now: "1" }));
    const res = await fetch(`${base}${GROUP_PATH}/userdatatemplates?watch=true&labelSelector=now%3D1`);
    const stream = new NdjsonReader(res.body as ReadableStream<Uint8Array>);
    try {
      const first = (await stream.next()) as { type: string; object: { metadata: { name: string } } };
      assert.equal(first.type, "ADDED");
      assert.equal(first.object.metadata.name, "now-1");
    } finally {
      await stream.cancel();
    }
    const old = await call("GET", `${GROUP_PATH}/userdatatemplates?watch=true&resourceVersion=1`);
    assert.equal(old.status, 410);
    assert.equal(old.body.code, "RESOURCE_VERSION_TOO_OLD");
    const bad = await call("GET", `${GROUP_PATH}/userdatatemplates?watch=true&resourceVersion=abc`);
    assert.equal(bad.status, 400);
  });

  test("health, readiness, metrics and request ids", async () => {
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    const ready = await call("GET", "/readyz");
    assert.deepEqual(ready.body, { status: "ready" });
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    assert.match(text, /pvc_zookeeper_call_duration_seconds_bucket/);
    assert.match(text, /pvc_leader 1/);
    const withId = await fetch(`${base}/healthz`, { headers: { "x-request-id": "trace-123" } });
    assert.equal(withId.headers.get("x-request-id"), "trace-123");
    assert.match(t.logs(), /"reqId":"trace-123"/);
  });
});
