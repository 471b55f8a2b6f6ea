/**
 * The documentation a clone of the project has is enough to follow it (issue 13: the README linked
 * a note outside the repository): every relative Markdown link in README.md and docs/ names a file
 * of the repository, and no file points into the shared notes that live outside it.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SKIP = new Set(["node_modules", ".git", ".state"]);
const TEXT = /\.(ts|js|md|ya?ml|json|sh)$|^run$/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return files(path);
    return TEXT.test(e.name) ? [path] : [];
  });
}

const markdown = [join(REPO, "README.md"), ...files(join(REPO, "docs")).filter((f) => f.endsWith(".md"))];

test("every relative link in README.md and docs/ names a file or folder of the repository", () => {
  const broken: string[] = [];
  for (const file of markdown) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].split("#")[0];
      if (target === "" || /^[a-z]+:/i.test(target)) continue; // an anchor or a URL
      const path = join(dirname(file), target);
      if (!existsSync(path) || !relative(REPO, path) || relative(REPO, path).startsWith("..")) {
        broken.push(`${relative(REPO, file)}: ${m[1]}`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

test("nothing in the repository points into the shared notes outside it", () => {
  // Spelled in two parts, so that this file does not find itself.
  const needles = [`shared/${"docs"}/`, `../${"shared"}/`];
  const found: string[] = [];
  for (const file of files(REPO)) {
    if (!statSync(file).isFile()) continue;
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      if (needles.some((n) => line.includes(n)))
        found.push(`${relative(REPO, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

test("the docs the code cites are in the repository", () => {
  for (const doc of ["docs/pvc-zookeeper-layout.md", "docs/local-ceph-zookeeper-facts.md"]) {
    assert.ok(existsSync(join(REPO, doc)), doc);
  }
});
