/**
 * What the store refuses before ZooKeeper sees it (found by the route fuzzer): an object or status
 * larger than MAX_OBJECT_BYTES is OBJECT_TOO_LARGE (413 over HTTP) instead of a request ZooKeeper
 * answers by dropping the connection (every request in flight failed with CONNECTION_LOSS and
 * /readyz said "zookeeper suspended"); and a merge patch cannot rename an object, as an update
 * cannot (it was accepted silently, keeping the old name).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import { ResourceStore } from "../../src/store/store.ts";
import { MAX_OBJECT_BYTES } from "../../src/store/store-support.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { GROUP_PATH, removeRoot, startTestApp, type TestApp, testConfig } from "../helpers/api-app.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";

async function rejects(run: () => Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(run, (err: unknown) => {
    assert.ok(err instanceof PvcError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

describe("store limits", () => {
  const root = uniqueRoot("store-limits");
  let zk: ZkClient;
  let store: ResourceStore;
  let api: TestApp;
  before(async () => {
    zk = await ZkClient.connect({ connectString: zkConnect() });
    store = new ResourceStore(zk, { root: `${root}/plain`, kinds: [{ kind: "Gadget", plural: "gadgets" }] });
    await store.init();
    api = await startTestApp(testConfig(`${root}/api`));
  });
  after(async () => {
    await api.app.close();
    zk.close();
    await removeRoot(root);
  });

  const big = "x".repeat(MAX_OBJECT_BYTES + 1);
  const gadget = (name: string, note = "") => ({
    apiVersion: "test/v1",
    kind: "Gadget",
    metadata: { name, annotations: { note } },
    spec: {},
  });

  test("an object or a status over the limit is refused, naming it and the limit; the session is untouched", async () => {
    const sessions = zk.sessionCount;
    await rejects(
      () => store.create(gadget("huge", big)),
      ErrorCodes.OBJECT_TOO_LARGE,
      /Gadget "huge" is \d+ bytes as stored; at most 524288/,
    );
    await store.create(gadget("small"));
    await rejects(
      () => store.patch("Gadget", "small", { metadata: { annotations: { note: big } } }),
      ErrorCodes.OBJECT_TOO_LARGE,
      /at most 524288/,
    );
    await rejects(
      () => store.updateStatus("Gadget", "small", { note: big }),
      ErrorCodes.OBJECT_TOO_LARGE,
      /Gadget "small"/,
    );
    assert.equal(zk.state, "connected");
    assert.equal(zk.sessionCount, sessions, "no session was lost");
    assert.equal(
      (await store.get("Gadget", "small")).metadata.annotations?.note,
      "",
      "nothing of the refused patch was written",
    );
  });

  test("over HTTP: 413 for a 1.1 MB Network, and the API stays ready", async () => {
    const res = await fetch(`${api.app.url}${GROUP_PATH}/networks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        apiVersion: "pvc.parallelvirtualcluster.org/v1",
        kind: "Network",
        metadata: { name: "big-one", annotations: { note: "y".repeat(1_100_000) } },
        spec: { vni: 3999, type: "bridged", domain: "big.example.net" },
      }),
    });
    assert.equal(res.status, 413, await res.clone().text());
    assert.match(((await res.json()) as { message: string }).message, /Network "big-one" is \d+ bytes/);
    assert.equal((await fetch(`${api.app.url}/readyz`)).status, 200);
  });

  test("a merge patch cannot rename an object", async () => {
    await store.create(gadget("keep-name"));
    await rejects(
      () => store.patch("Gadget", "keep-name", { metadata: { name: "other" } }),
      ErrorCodes.VALIDATION_FAILED,
      /^\/metadata\/name: must be "keep-name", the name of the object patched \(got "other"\)/,
    );
    await store.patch("Gadget", "keep-name", { metadata: { name: "keep-name", labels: { a: "b" } } });
    assert.equal((await store.get("Gadget", "keep-name")).metadata.labels?.a, "b");
  });
});
