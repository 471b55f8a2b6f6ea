/**
 * The GitOps folder read incrementally (src/gitops/folder.ts), on a real temp folder: a reported
 * save re-reads and re-validates that file only; duplicates and the revision follow changes of
 * files that were not re-read; a file changed between its two reads holds the whole read (and
 * stays pending); a same-size rewrite within the file clock's tick is not missed.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { FolderCache, type FolderSnapshot, readFolder } from "../../src/gitops/folder.ts";

const API = "apiVersion: pvc.parallelvirtualcluster.org/v1";
const ud = (name: string, data = "x") =>
  `${API}\nkind: UserdataTemplate\nmetadata:\n  name: ${name}\nspec:\n  data: "${data}"\n`;

const byFile = (s: FolderSnapshot) => new Map(s.files.map((f) => [f.file, f]));

describe("FolderCache", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pvc-folder-cache-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a reported save re-reads that file only; the revision is the full read's", async () => {
    const d = join(dir, "edit");
    await import("node:fs/promises").then((fs) => fs.mkdir(d));
    for (let i = 0; i < 50; i++) await writeFile(join(d, `f${i}.yaml`), ud(`ud-${i}`));
    const cache = new FolderCache(d);
    const first = (await cache.read([], 0)) as FolderSnapshot;
    assert.equal(first.files.length, 50);

    await writeFile(join(d, "f3.yaml"), ud("ud-3", "changed"));
    cache.touched(join(d, "f3.yaml"));
    const second = (await cache.read([], 0)) as FolderSnapshot;
    const before = byFile(first);
    for (const f of second.files) {
      if (f.file === "f3.yaml") assert.notEqual(f, before.get(f.file), "f3.yaml was parsed again");
      else assert.equal(f, before.get(f.file), `${f.file} was not parsed again`);
    }
    assert.equal(byFile(second).get("f3.yaml")?.docs[0].resource.spec?.data, "changed");
    assert.notEqual(second.revision, first.revision);
    assert.equal(second.revision, (await readFolder(d)).revision);

    // Unreported changes wait for a full look (a resync), which finds them by mtime and size.
    await writeFile(join(d, "f7.yaml"), ud("ud-7", "unreported"));
    await unlink(join(d, "f8.yaml"));
    await writeFile(join(d, "new.yaml"), ud("ud-new"));
    assert.equal(((await cache.read([], 0)) as FolderSnapshot).revision, second.revision);
    cache.invalidate();
    const third = (await cache.read([], 0)) as FolderSnapshot;
    assert.equal(byFile(third).get("f7.yaml")?.docs[0].resource.spec?.data, "unreported");
    assert.equal(byFile(third).has("f8.yaml"), false);
    assert.equal(byFile(third).has("new.yaml"), true);
    assert.equal(third.revision, (await readFolder(d)).revision);
  });

  test("a duplicate follows the change of the other file, which is not re-read", async () => {
    const d = join(dir, "dup");
    await import("node:fs/promises").then((fs) => fs.mkdir(d));
    await writeFile(join(d, "a.yaml"), ud("one"));
    await writeFile(join(d, "b.yaml"), ud("two"));
    const cache = new FolderCache(d);
    await cache.read([], 0);
    await writeFile(join(d, "a.yaml"), `${ud("one")}---\n${ud("two")}`);
    cache.touched("a.yaml");
    const dup = byFile((await cache.read([], 0)) as FolderSnapshot);
    assert.deepEqual(dup.get("a.yaml")?.problems, []);
    assert.match(
      String(dup.get("b.yaml")?.problems[0]?.message),
      /is declared twice: also in a\.yaml document 2/,
    );
    await writeFile(join(d, "a.yaml"), ud("one"));
    cache.touched("a.yaml");
    const clean = byFile((await cache.read([], 0)) as FolderSnapshot);
    assert.deepEqual(clean.get("b.yaml")?.problems, []);
  });

  test("a file that changes between its two reads holds the read, and stays pending", async () => {
    const d = join(dir, "settle");
    await import("node:fs/promises").then((fs) => fs.mkdir(d));
    await writeFile(join(d, "a.yaml"), ud("a"));
    const cache = new FolderCache(d);
    await cache.read([], 0);
    await writeFile(join(d, "a.yaml"), "");
    cache.touched("a.yaml");
    // Read at once: the early read is too recent, so the read waits 200 ms and reads again.
    const racing = cache.read([], 200);
    await new Promise((r) => setTimeout(r, 80));
    await writeFile(join(d, "a.yaml"), ud("a", "whole"));
    assert.equal(await racing, undefined, "caught mid-write: nothing taken");
    const after = (await cache.read([], 0)) as FolderSnapshot;
    assert.equal(after.files[0].docs[0].resource.spec?.data, "whole", "the file was still pending");
  });

  test("the early read, made when the save was reported, is the first of the two", async () => {
    const d = join(dir, "early");
    await import("node:fs/promises").then((fs) => fs.mkdir(d));
    await writeFile(join(d, "a.yaml"), ud("a"));
    const cache = new FolderCache(d);
    await cache.read([], 0);
    await writeFile(join(d, "a.yaml"), ud("a", "saved"));
    cache.touched("a.yaml");
    await new Promise((r) => setTimeout(r, 150)); // the debounce
    const started = performance.now();
    const s = (await cache.read([], 100)) as FolderSnapshot;
    assert.equal(s.files[0].docs[0].resource.spec?.data, "saved");
    assert.ok(performance.now() - started < 100, "no second pause: the reads were already 150 ms apart");
  });

  test("a same-size rewrite within the clock tick of the last look is not missed", async () => {
    const d = join(dir, "racy");
    await import("node:fs/promises").then((fs) => fs.mkdir(d));
    const file = join(d, "a.yaml");
    // Both versions get the same whole-second mtime (a tick's granularity, exactly restorable),
    // not yet past: what the cache looked at last could have been written again since.
    const tick = Math.ceil(Date.now() / 1000) + 1;
    await writeFile(file, ud("a", "1111"));
    await utimes(file, tick, tick);
    const cache = new FolderCache(d);
    await cache.read([], 0);
    await writeFile(file, ud("a", "2222"));
    await utimes(file, tick, tick);
    assert.equal((await stat(file)).mtimeMs, tick * 1000);
    cache.invalidate();
    const s = (await cache.read([], 0)) as FolderSnapshot;
    assert.equal(s.files[0].docs[0].resource.spec?.data, "2222");
  });
});
