/**
 * The status page's server side over real HTTP (the browser test drives the page itself): the
 * login form in place of the 401 with a strict policy, the session it starts (the gate's own), the
 * files served by name only, nothing secret in them, and the live stream: the state, then changes,
 * events and drift repairs as they are recorded (by any writer of the store's events), and one
 * object against ZooKeeper (/ui/live) as diff hunks; and a server stopping with streams and a
 * silent client open (it waits for neither).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { before, describe, test } from "node:test";
import type { LiveAnswer } from "../../api/ui/live.ts";
import { PvcKeys } from "../../src/pvc/keys.ts";
import { desiredNetworkTree } from "../../src/pvc/network-tree.ts";
import type { Network } from "../../src/resources/specs.ts";
import { EventRecorder } from "../../src/store/events.ts";
import {
  GROUP_PATH,
  NdjsonReader,
  removeRoot,
  startTestApp,
  testConfig,
  useTestApp,
} from "../helpers/api-app.ts";
import { endsWithin } from "../helpers/ends-within.ts";
import { uniqueRoot } from "../helpers/env.ts";

const TOKEN = "ui-http-token-0b7e41";
const SECRET = "ui-http-secret-signing-key";
const UI_DIR = new URL("../../ui/", import.meta.url);

const form = (token: string) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams({ token }).toString(),
  redirect: "manual" as const,
});

/** Lines of the stream until `until` says stop (each within the reader's timeout). */
async function readUntil(
  reader: NdjsonReader,
  until: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  for (;;) {
    const line = await reader.next();
    assert.ok(line, "the stream ended early");
    lines.push(line);
    if (until(line)) return lines;
  }
}

describe("/ui with authentication on", () => {
  const root = uniqueRoot("ui-http");
  const pvcRoot = `${root}/pvc`;
  const t = useTestApp(root, () =>
    testConfig(root, (c) => {
      c.api.auth = { enabled: true, secretKey: SECRET, tokens: [{ description: "ui", token: TOKEN }] };
      c.reconciler.pvcRoot = pvcRoot;
    }),
  );
  let base: string;
  let cookie: string;

  before(() => {
    base = t.app.url;
  });

  test("without a session the page is the login form: 401, HTML, a policy allowing no script", async () => {
    const res = await fetch(`${base}/ui/`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/);
    const html = await res.text();
    assert.match(html, /<form method="post" action="\/ui\/login">[\s\S]*name="token"/);
    assert.doesNotMatch(html, /<script/);
    // The page's files and data are gated the API's way.
    assert.equal((await fetch(`${base}/ui/app.js`)).status, 401);
    assert.equal((await fetch(`${base}/ui/stream`)).status, 401);
  });

  test("the form: a wrong token is refused in the form, the right one starts the gate's session", async () => {
    const wrong = await fetch(`${base}/ui/login`, form("nope"));
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /Authentication failed/);
    assert.equal(wrong.headers.get("set-cookie"), null);
    assert.equal((await fetch(`${base}/ui/login`, form(""))).status, 400);

    const ok = await fetch(`${base}/ui/login`, form(TOKEN));
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/ui/");
    const set = ok.headers.get("set-cookie") ?? "";
    assert.match(set, /^pvc_session=.*HttpOnly/i);
    cookie = set.split(";")[0];
    // The same session as /api/v1/auth/login's: the other APIs take it.
    assert.equal((await fetch(`${base}/api/v1`, { headers: { cookie } })).status, 209);
    assert.equal((await fetch(`${base}${GROUP_PATH}/networks`, { headers: { cookie } })).status, 200);
  });

  test("the page and its files, by name only, with nothing secret in them", async () => {
    const page = await fetch(`${base}/ui/`, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const files = readdirSync(UI_DIR);
    assert.ok(files.includes("app.js") && files.includes("style.css"));
    for (const file of files) {
      const res = await fetch(`${base}/ui/${file}`, { headers: { cookie } });
      assert.equal(res.status, 200, file);
      const text = await res.text();
      assert.equal(text, readFileSync(new URL(file, UI_DIR), "utf8"), `${file} is served as it is in ui/`);
      for (const secret of [TOKEN, SECRET]) assert.ok(!text.includes(secret), `${file} holds a secret`);
      const etag = res.headers.get("etag") ?? "";
      assert.equal(
        (await fetch(`${base}/ui/${file}`, { headers: { cookie, "if-none-match": etag } })).status,
        304,
      );
    }
    for (const path of ["/ui/nope.js", "/ui/..%2Fpackage.json", "/ui/%2e%2e%2fREADME.md"]) {
      assert.equal((await fetch(`${base}${path}`, { headers: { cookie } })).status, 404, path);
    }
  });

  test("the stream: the state, then changes, events and drift repairs as they are recorded", async () => {
    const create = (name: string) =>
      fetch(`${base}${GROUP_PATH}/userdatatemplates`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify({
          kind: "UserdataTemplate",
          metadata: { name, labels: { a: "b" } },
          spec: { data: "x" },
        }),
      });
    assert.equal((await create("ud-before")).status, 201);
    const res = await fetch(`${base}/ui/stream`, { headers: { cookie } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /application\/x-ndjson/);
    const reader = new NdjsonReader(res.body as ReadableStream<Uint8Array>);
    try {
      const first = await readUntil(reader, (l) => l.type === "DRIFT");
      assert.equal(first[0].type, "HELLO");
      assert.equal(first[0].auth, true);
      assert.equal(first[0].apiPath, GROUP_PATH);
      const added = first.find(
        (l) => l.type === "ADDED" && (l.object as { name: string }).name === "ud-before",
      );
      assert.ok(added, "the object there before");
      const summary = added.object as Record<string, unknown>;
      assert.equal(summary.kind, "UserdataTemplate");
      assert.deepEqual(summary.labels, { a: "b" });
      assert.equal("spec" in summary, false, "a summary, not the object");
      assert.ok(first.findIndex((l) => l.type === "SYNCED") > first.indexOf(added));
      const series = (first.at(-1)?.series ?? []) as Array<{ count: number }>;
      assert.equal(series.length, 60, "a bucket for each minute of the hour");
      assert.ok(
        series.every((b) => b.count === 0),
        "no repair yet",
      );

      assert.equal((await create("ud-after")).status, 201);
      await readUntil(
        reader,
        (l) => l.type === "ADDED" && (l.object as { name: string }).name === "ud-after",
      );
      // Another writer of events (the leader's controllers, on any replica): the store's recorder.
      const recorder = new EventRecorder(t.app.zk, t.app.store.layout);
      await recorder.record(
        "userdatatemplates",
        "ud-after",
        "Normal",
        "DriftRepaired",
        "Drift repaired on /x",
      );
      await recorder.record(
        "userdatatemplates",
        "ud-after",
        "Normal",
        "DriftRepaired",
        "Drift repaired on /x",
      );
      const seen = await readUntil(
        reader,
        (l) => l.type === "DRIFT" && (l.series as Array<{ count: number }>).at(-1)?.count === 2,
      );
      const event = seen.find((l) => l.type === "EVENT")?.event as Record<string, unknown>;
      assert.equal(event.kind, "UserdataTemplate");
      assert.equal(event.name, "ud-after");
      assert.equal(event.reason, "DriftRepaired");
    } finally {
      await reader.cancel();
    }
  });

  test("/ui/live: one object against ZooKeeper, as diff hunks; gated; 404 for what is not there", async () => {
    const live = (path: string, headers: Record<string, string> = { cookie }) =>
      fetch(`${base}/ui/live/${path}`, { headers });
    assert.equal((await live("networks/lan-live", {})).status, 401);
    assert.equal((await live("networks/nope")).status, 404);
    assert.equal((await live("nokind/x")).status, 404);
    const created = await fetch(`${base}${GROUP_PATH}/networks`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({
        kind: "Network",
        metadata: { name: "lan-live" },
        spec: { vni: 4600, type: "managed", ipv4: { network: "10.46.0.0/24", gateway: "10.46.0.1" } },
      }),
    });
    assert.equal(created.status, 201);
    const answer = async () => {
      const res = await live("networks/lan-live");
      assert.equal(res.status, 200);
      return (await res.json()) as LiveAnswer;
    };
    // No controller runs here: nothing is written yet, every key is missing.
    const before = await answer();
    assert.equal(before.inSync, false);
    assert.match(before.comparisons[0].title, /\/pvc\/networks\/4600 in ZooKeeper$/);
    assert.ok(before.comparisons[0].hunks[0].lines.every((l) => l.startsWith("-")));
    // The keys as the controller writes them: in sync; then one changed: the hunk names it.
    const net = (await (
      await fetch(`${base}${GROUP_PATH}/networks/lan-live`, { headers: { cookie } })
    ).json()) as Network;
    const tree = desiredNetworkTree(new PvcKeys(pvcRoot), net.spec);
    await t.app.zk.mkdirp(`${pvcRoot}/networks`);
    await t.app.zk.multi([...tree].map(([path, data]) => ({ op: "create" as const, path, data })));
    assert.equal((await answer()).inSync, true);
    await t.app.zk.set(`${pvcRoot}/networks/4600/ip4_gateway`, "10.46.0.254");
    const after = await answer();
    assert.equal(after.inSync, false);
    const changed = after.comparisons[0].hunks.flatMap((h) => h.lines).filter((l) => !l.startsWith(" "));
    assert.deepEqual(changed, ["-  ip4_gateway: 10.46.0.1", "+  ip4_gateway: 10.46.0.254"]);
    // A kind not compared says so.
    const ud = (await (await live("userdatatemplates/ud-before")).json()) as LiveAnswer;
    assert.equal(ud.inSync, null);
    assert.match(ud.note ?? "", /not compared/);
  });

  test("/ui/logout ends the session", async () => {
    const out = await fetch(`${base}/ui/logout`, { method: "POST", headers: { cookie }, redirect: "manual" });
    assert.equal(out.status, 303);
    assert.match(out.headers.get("set-cookie") ?? "", /pvc_session=;/);
    assert.equal((await fetch(`${base}/ui/`, { headers: { cookie } })).status, 401);
  });
});

describe("/ui with authentication off", () => {
  const root = uniqueRoot("ui-http-open");
  const t = useTestApp(root);

  test("the page is served at once; login and logout lead back to it", async () => {
    assert.equal((await fetch(`${t.app.url}/ui/`)).status, 200);
    const login = await fetch(`${t.app.url}/ui/login`, form("anything"));
    assert.equal(login.status, 303);
    assert.equal(login.headers.get("set-cookie"), null);
    const reader = new NdjsonReader(
      (await fetch(`${t.app.url}/ui/stream`)).body as ReadableStream<Uint8Array>,
    );
    try {
      assert.equal((await reader.next())?.auth, false, "the page offers no logout");
    } finally {
      await reader.cancel();
    }
  });
});

describe("a server with streams and a silent client open", () => {
  const root = uniqueRoot("ui-http-stop");

  test("stops at once: the streams end, their connections and the silent one with them", async () => {
    const t = await startTestApp(testConfig(root));
    let silent: Socket | undefined;
    try {
      // Kept alive, a stream's connection outlived the server's closing of idle ones (fetch keeps
      // them 72 s); a connection that never sends a request (fetch and browsers open spare ones)
      // held the stop for Node's headers timeout, 60-70 s.
      const open = async (path: string) => {
        const res = await fetch(`${t.app.url}${path}`);
        assert.equal(res.headers.get("connection"), "close", path);
        // The headers came: the stream is open (a watch from now has no first line yet).
        return new NdjsonReader(res.body as ReadableStream<Uint8Array>);
      };
      const readers = [await open("/ui/stream"), await open(`${GROUP_PATH}/networks?watch=true`)];
      silent = connect(Number(new URL(t.app.url).port), "127.0.0.1");
      await once(silent, "connect");
      const silentClosed = once(silent, "close");
      // Far below the stop's 10 s grace for requests in flight: none is in flight here.
      assert.ok(await endsWithin(t.app.close(), 5_000), "stopped within 5 s");
      await silentClosed;
      for (const reader of readers) {
        let lines = 0;
        while ((await reader.next()) !== undefined) assert.ok(++lines < 1000, "the stream ended");
      }
    } finally {
      silent?.destroy(); // without it a stop that waits for it never ends
      await t.app.close().catch(() => undefined);
      await removeRoot(root);
    }
  });
});
