/**
 * A sync reads the folder twice, a moment apart, and does nothing when the two differ: a file
 * caught half-written (writeFile truncates first) must not prune or release what it declares.
 */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DEFAULT_SETTINGS } from "../../src/gitops/settings.ts";
import { runSync } from "../../src/gitops/sync.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";

const API = "apiVersion: pvc.parallelvirtualcluster.org/v1";
const userdata = (name: string) =>
  `${API}\nkind: UserdataTemplate\nmetadata:\n  name: ${name}\nspec:\n  data: "#cloud-config"\n`;

let h: Harness;
let dir: string;

before(async () => {
  h = await startHarness("gitops-settle", []);
  dir = join(await mkdtemp(join(tmpdir(), "pvc-settle-")), "settle");
  await import("node:fs/promises").then((fs) => fs.mkdir(dir));
  await writeFile(join(dir, "a.yaml"), userdata("ud-a"));
  await writeFile(join(dir, "b.yaml"), userdata("ud-b"));
});
after(async () => {
  await h.close();
});

test("a file emptied between the two reads: nothing is done, nothing pruned, status untouched", async () => {
  const sync = (settleMs: number) =>
    runSync({ store: h.store, name: "settle", dir, base: DEFAULT_SETTINGS, settleMs });
  const first = await sync(0);
  assert.deepEqual(first.created.sort(), ["UserdataTemplate/ud-a", "UserdataTemplate/ud-b"]);
  const statusBefore = (await h.store.get("GitOpsSync", "settle")).metadata.resourceVersion;

  // b.yaml is emptied (as a truncate looks) while the sync waits between its reads.
  const racing = sync(300);
  await new Promise((r) => setTimeout(r, 100));
  await writeFile(join(dir, "b.yaml"), "");
  const result = await racing;
  assert.equal(result.unsettled, true);
  assert.deepEqual(result.pruned, []);
  assert.ok(await h.store.tryGet("UserdataTemplate", "ud-b"), "ud-b is still there");
  assert.equal((await h.store.get("GitOpsSync", "settle")).metadata.resourceVersion, statusBefore);

  // The folder holding still: the next sync acts on it.
  await writeFile(join(dir, "b.yaml"), userdata("ud-b"));
  const settled = await sync(50);
  assert.equal(settled.unsettled, undefined);
  assert.equal(settled.objects, 2);
});
