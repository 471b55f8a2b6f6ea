/**
 * Issue 12, item 4: a ~600-byte YAML alias bomb (nine levels of ten aliases) blocked the server
 * for 41 s and 1.5 GB, then answered 500. It is refused where user YAML comes in: a request body
 * (400 at once, the server still answering), a manifest of `pvcctl diff|apply -f` (a problem of
 * the file, with its line, nothing sent), and a GitOps folder (the file held, the rest applied).
 * Each bound below is generous next to milliseconds and far under the 41 s of the bug.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DEFAULT_SETTINGS } from "../../src/gitops/settings.ts";
import { runSync } from "../../src/gitops/sync.ts";
import { GROUP_PATH, useTestApp } from "../helpers/api-app.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";
import { uniqueRoot } from "../helpers/env.ts";
import { aliasBomb, bombLevelLine, REFUSED_LEVEL } from "../helpers/yaml-bomb.ts";
import { pvcctl, show } from "./cli-helpers.ts";

const REFUSAL = /aliases expand this document past the limit of 100000 characters \(at \*a3\)/;
const GENEROUS_MS = 5_000;
const BOMB_LINE = bombLevelLine(REFUSED_LEVEL);

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe("the YAML alias bomb over HTTP", () => {
  const root = uniqueRoot("yaml-bomb-api");
  const t = useTestApp(root);

  const send = (method: string, path: string, type: string) =>
    timed(async () => {
      const res = await fetch(`${t.app.url}${path}`, {
        method,
        headers: { "content-type": type },
        body: aliasBomb(),
      });
      return { status: res.status, text: await res.text() };
    });

  for (const [method, path, type] of [
    ["POST", `${GROUP_PATH}/networks`, "application/yaml"],
    ["PATCH", `${GROUP_PATH}/networks/bomb`, "application/apply-patch+yaml"],
    ["PUT", `${GROUP_PATH}/networks/bomb`, "text/yaml"],
  ] as const) {
    test(`${method} ${type}: 400 naming the alias, at once; the server still answers`, async () => {
      const { value, ms } = await send(method, path, type);
      assert.equal(value.status, 400, value.text);
      assert.match(JSON.parse(value.text).message, REFUSAL);
      assert.ok(ms < GENEROUS_MS, `answered after ${ms} ms`);
      const health = await fetch(`${t.app.url}/healthz`);
      assert.equal(health.status, 200);
      assert.equal((await fetch(`${t.app.url}${GROUP_PATH}/networks/bomb`)).status, 404, "nothing stored");
    });
  }
});

describe("the YAML alias bomb in manifests", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "yaml-bomb-cli-"));
    await writeFile(join(dir, "bomb.yaml"), aliasBomb());
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const verb of ["diff", "apply"]) {
    test(`pvcctl ${verb} -f: one problem with file and line, nothing sent`, async () => {
      // No server listens there: a refused file must not get as far as asking one.
      const r = await pvcctl([verb, "-f", join(dir, "bomb.yaml")], { PVCCTL_SERVER: "http://127.0.0.1:9" });
      assert.notEqual(r.code, 0, show(r));
      const lines = r.stderr.trim().split("\n");
      assert.ok(lines[0].startsWith(`${join(dir, "bomb.yaml")}:${BOMB_LINE}: not valid YAML: `), show(r));
      assert.match(lines[0], REFUSAL);
      assert.match(r.stderr, /1 problem in 1 document; nothing was (compared|applied)/, show(r));
    });
  }
});

describe("the YAML alias bomb in a GitOps folder", () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    h = await startHarness("yaml-bomb-gitops", []);
    dir = join(await mkdtemp(join(tmpdir(), "yaml-bomb-gitops-")), "bombs");
    await mkdir(dir);
    await writeFile(
      join(dir, "ok.yaml"),
      "apiVersion: pvc.parallelvirtualcluster.org/v1\nkind: UserdataTemplate\nmetadata:\n  name: beside-the-bomb\nspec:\n  data: ok\n",
    );
    await writeFile(join(dir, "bomb.yaml"), aliasBomb());
  });
  after(async () => {
    await h?.close();
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  test("the file is held with a clear error; the rest of the folder is applied", async () => {
    const { value: result, ms } = await timed(() =>
      runSync({ store: h.store, name: "bombs", dir, base: DEFAULT_SETTINGS }),
    );
    assert.ok(ms < GENEROUS_MS, `the sync took ${ms} ms`);
    assert.deepEqual(result.heldFiles, ["bomb.yaml"]);
    assert.deepEqual(result.created, ["UserdataTemplate/beside-the-bomb"]);
    assert.equal(result.errors.length, 1, JSON.stringify(result.errors));
    const [error] = result.errors;
    assert.equal(error.file, "bomb.yaml");
    assert.equal(error.line, BOMB_LINE);
    assert.match(error.message, REFUSAL);
    // The same in the GitOpsSync's status, where a person looks.
    const sync = await h.store.get("GitOpsSync", "bombs");
    const written = sync.status?.errors as { file: string; line: number; message: string }[];
    assert.deepEqual(
      written.map((e) => [e.file, e.line]),
      [["bomb.yaml", BOMB_LINE]],
    );
    assert.match(written[0].message, REFUSAL);
    assert.equal((await h.store.get("UserdataTemplate", "beside-the-bomb")).spec.data, "ok");
  });
});
