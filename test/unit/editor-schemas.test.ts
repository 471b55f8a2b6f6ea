/**
 * The kinds' schemas where editors find them: every manifest file in manifests/ (examples and the
 * GitOps folder's own) names its schema with a `yaml-language-server: $schema=` line, and each of
 * its documents validates against the schema that line names, loaded from where the line points
 * (with the files beside it, as an editor resolves them). `pvcctl schemas --out DIR` writes a set
 * that does the same, and schemas/resource.json is what it generates.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import { loadAll } from "js-yaml";
import { ANY_KIND_FILE, anyKindSchema } from "../../src/resources/editor-schemas.ts";
import { KINDS } from "../../src/resources/kinds.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const SCHEMA_LINE = /^# yaml-language-server: \$schema=(\S+)$/m;

const addFormats = addFormatsPlugin as unknown as typeof addFormatsPlugin.default;

/** A validator for the schema file at `path`, with every schema beside it loaded (refs by file name). */
function validatorFor(path: string): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv, ["date-time", "ipv4", "ipv6"]);
  ajv.addKeyword({ keyword: "x-message", schemaType: "string" });
  ajv.addKeyword({ keyword: "x-field", schemaType: "string" });
  const dir = dirname(path);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    if (join(dir, file) !== path) ajv.addSchema(JSON.parse(readFileSync(join(dir, file), "utf8")));
  }
  return ajv.compile(JSON.parse(readFileSync(path, "utf8")));
}

function manifestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return manifestFiles(path);
    return /\.ya?ml$/.test(entry.name) && !entry.name.startsWith(".") ? [path] : [];
  });
}

function documents(path: string): unknown[] {
  return loadAll(readFileSync(path, "utf8")).filter((d) => d !== null && d !== undefined);
}

const files = manifestFiles(join(REPO, "manifests"));

test("every manifest file names its schema, and each of its documents validates against it", () => {
  assert.ok(files.length >= 6, files.join(" "));
  let checked = 0;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const line = SCHEMA_LINE.exec(text.split("\n").slice(0, 5).join("\n"));
    assert.ok(line, `${file}: no "# yaml-language-server: $schema=" line among its first lines`);
    const schemaPath = resolve(dirname(file), line[1]);
    const validate = validatorFor(schemaPath);
    for (const doc of documents(file)) {
      assert.ok(validate(doc), `${file}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
      checked++;
    }
  }
  assert.ok(checked >= 20, `${checked} documents`);
});

test("the schema an example names refuses what the server refuses", () => {
  const validate = validatorFor(join(REPO, "schemas", ANY_KIND_FILE));
  const network = documents(join(REPO, "manifests/examples/networks.yaml"))[0] as Record<string, unknown>;
  assert.ok(validate(network));
  const spec = network.spec as Record<string, unknown>;
  assert.equal(validate({ ...network, spec: { ...spec, bogus: 1 } }), false, "an unknown spec field");
  assert.equal(validate({ ...network, spec: { ...spec, vni: "ten" } }), false, "a vni that is no number");
  assert.equal(validate({ ...network, kind: "Netwerk" }), false, "an unknown kind");
  // A field of another kind is refused too: the kind chooses the schema.
  assert.equal(validate({ ...network, kind: "CephPool" }), false, "a Network's spec under kind CephPool");
});

test("schemas/resource.json is what `pvcctl schemas` generates", () => {
  const committed = JSON.parse(readFileSync(join(REPO, "schemas", ANY_KIND_FILE), "utf8"));
  assert.deepEqual(committed, anyKindSchema(), "regenerate it: pvcctl schemas --out schemas");
});

test("pvcctl schemas --out DIR writes a set an editor can use on its own", () => {
  const dir = mkdtempSync(join(tmpdir(), "pvcctl-schemas-"));
  try {
    const out = execFileSync(process.execPath, [join(REPO, "bin/pvcctl.js"), "schemas", "--out", dir], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const written = out.trim().split("\n").sort();
    const expected = ["envelope.json", ANY_KIND_FILE, ...KINDS.map((k) => k.schemaFile)].map((f) =>
      join(dir, f),
    );
    assert.deepEqual(written, expected.sort());
    const validate = validatorFor(join(dir, ANY_KIND_FILE));
    for (const file of files) for (const doc of documents(file)) assert.ok(validate(doc), file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
