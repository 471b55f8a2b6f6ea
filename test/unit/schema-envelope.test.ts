import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { ErrorCodes, isPvcError, type PvcError } from "../../src/errors.ts";
import { KINDS } from "../../src/resources/kinds.ts";
import { envelopeSchema, loadSchemaFile } from "../../src/resources/schemas.ts";
import { API_GROUP_VERSION, type FieldError } from "../../src/resources/types.ts";
import { checkImmutable, checkResource, validateResource } from "../../src/resources/validate.ts";

const pool = (extra: Record<string, unknown> = {}) => ({
  apiVersion: API_GROUP_VERSION,
  kind: "CephPool",
  metadata: { name: "vms" },
  spec: { pgs: 8 },
  ...extra,
});

function failure(doc: unknown): PvcError {
  try {
    validateResource(doc);
  } catch (err) {
    assert.ok(isPvcError(err, ErrorCodes.VALIDATION_FAILED), String(err));
    return err;
  }
  assert.fail("expected VALIDATION_FAILED");
}

const fields = (err: PvcError) => err.details?.fields as FieldError[];

test("every kind has a schema file, and every schema file is a kind or the envelope", () => {
  const files = readdirSync(new URL("../../schemas/", import.meta.url)).filter((f) => f.endsWith(".json"));
  // resource.json: a document of any kind, for editors (src/resources/editor-schemas.ts).
  assert.deepEqual(
    files.sort(),
    ["envelope.json", "resource.json", ...KINDS.map((k) => k.schemaFile)].sort(),
  );
  assert.equal(
    (envelopeSchema.$defs as Record<string, { const?: string }>).apiVersion.const,
    API_GROUP_VERSION,
  );
  for (const info of KINDS) {
    const schema = loadSchemaFile(info.schemaFile);
    assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
    assert.equal(schema.title, info.kind);
    assert.equal(typeof schema.description, "string");
    const props = schema.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(props.kind, { const: info.kind });
    assert.equal(props.spec.additionalProperties, false, `${info.kind} spec must refuse unknown fields`);
  }
});

test("every constant `default` annotated in a spec schema is what defaults() fills in", () => {
  for (const info of KINDS) {
    const spec = (info.schema.properties as Record<string, Record<string, unknown>>).spec;
    for (const [field, schema] of Object.entries(
      spec.properties as Record<string, Record<string, unknown>>,
    )) {
      if (!("default" in schema)) continue;
      const filled = info.defaults({}, { name: "x" });
      assert.deepEqual(filled[field], schema.default, `${info.kind}.spec.${field}`);
    }
  }
});

test("the envelope: apiVersion, kind, metadata and unknown top-level fields", () => {
  const err = failure({
    apiVersion: "v1",
    kind: "CephPool",
    metadata: { name: "vms", lables: {} },
    spec: { pgs: 8 },
    extra: 1,
  });
  assert.deepEqual(
    fields(err).map((f) => [f.pointer, f.value]),
    [
      ["/extra", 1],
      ["/apiVersion", "v1"],
      ["/metadata/lables", {}],
    ],
  );
  assert.match(fields(err)[2].message, /did you mean "labels"/);
  assert.deepEqual(
    fields(failure({ ...pool(), kind: "cephpool" })).map((f) => [f.pointer, f.value]),
    [["/kind", "cephpool"]],
  );
  assert.deepEqual(
    fields(failure({ ...pool(), spec: undefined })).map((f) => f.pointer),
    ["/spec"],
  );
});

test("a document that is not an object, has no kind, or an unknown kind", () => {
  assert.deepEqual(fields(failure("hello")), [
    { pointer: "", value: "hello", message: "must be an object with apiVersion, kind, metadata and spec" },
  ]);
  assert.match(
    fields(failure({ apiVersion: API_GROUP_VERSION }))[0].message,
    /is required; known kinds: .*CephPool/,
  );
  const unknown = failure({ apiVersion: API_GROUP_VERSION, kind: "Pod", metadata: { name: "x" }, spec: {} });
  assert.deepEqual(fields(unknown)[0].pointer, "/kind");
  assert.match(unknown.message, /is not a known kind/);
});

test("metadata: labels, timestamps, finalizers, owner references", () => {
  const good = pool({
    metadata: {
      name: "vms",
      labels: { "pvc.parallelvirtualcluster.org/tier": "fast", app: "" },
      annotations: { note: "anything goes here" },
      uid: "0d6c1f7e-3c1b-4a35-9d4c-7a0f1b7b8c11",
      generation: 3,
      resourceVersion: "4294967301",
      creationTimestamp: "2026-11-26T10:00:00Z",
      finalizers: ["pvc.parallelvirtualcluster.org/ceph"],
      ownerReferences: [{ apiVersion: API_GROUP_VERSION, kind: "VirtualMachine", name: "web1", uid: "u1" }],
    },
  });
  assert.doesNotThrow(() => validateResource(good));
  const err = failure(
    pool({
      metadata: {
        name: "vms",
        labels: { "bad key!": "x", ok: "not ok" },
        creationTimestamp: "yesterday",
        finalizers: ["a", "a"],
        ownerReferences: [{ kind: "VirtualMachine", name: "web1", uid: "u1" }],
        generation: -1,
      },
    }),
  );
  assert.deepEqual(
    fields(err)
      .map((f) => f.pointer)
      .sort(),
    [
      "/metadata/creationTimestamp",
      "/metadata/finalizers/1",
      "/metadata/generation",
      "/metadata/labels/bad key!",
      "/metadata/labels/ok",
      "/metadata/ownerReferences/0/apiVersion",
    ],
  );
  const labelKey = fields(err).find((f) => f.pointer === "/metadata/labels/bad key!");
  assert.equal(labelKey?.value, "bad key!");
});

test("status: conditions are checked, kind-specific fields are free", () => {
  const condition = {
    type: "Ready",
    status: "True",
    reason: "Converged",
    message: "",
    lastTransitionTime: "2026-11-26T10:00:00Z",
  };
  assert.doesNotThrow(() =>
    validateResource(
      pool({ status: { observedGeneration: 1, conditions: [condition], volumes: 2, extra: "x" } }),
    ),
  );
  const err = failure(
    pool({ status: { conditions: [{ ...condition, status: "Yes", reason: "not camel" }] } }),
  );
  assert.deepEqual(
    fields(err).map((f) => [f.pointer, f.value]),
    [
      ["/status/conditions/0/status", "Yes"],
      ["/status/conditions/0/reason", "not camel"],
    ],
  );
});

test("the error message has one line per field, naming pointer, reason and value", () => {
  const err = failure(pool({ metadata: { name: "vms" }, spec: { pgs: 0, replication: { copies: "3" } } }));
  const lines = err.message.split("\n");
  assert.equal(lines[0], 'CephPool "vms": 2 invalid fields:');
  assert.equal(lines[1], "  /spec/pgs: must be >= 1 (got 0)");
  assert.equal(lines[2], '  /spec/replication/copies: must be of type integer (got "3")');
  assert.deepEqual(err.details?.kind, "CephPool");
  assert.deepEqual(err.details?.name, "vms");
  const long = failure(pool({ spec: { pgs: 8, confirmDeleteWithVolumes: "x".repeat(500) } }));
  assert.ok(long.message.split("\n")[1].length < 250, "long values are shortened in the message");
  assert.equal(fields(long)[0].value, "x".repeat(500), "but kept whole in details");
});

test("validateResource returns a new object and never mutates its input", () => {
  const input = pool({ spec: { pgs: 8 } });
  const frozen = structuredClone(input);
  const out = validateResource(input);
  assert.deepEqual(input, frozen);
  assert.notEqual(out, input);
  assert.notEqual(out.spec, input.spec);
  out.metadata.name = "changed";
  assert.equal(input.metadata.name, "vms");
});

test("checkResource reports without throwing; checkImmutable names the changed fields", () => {
  assert.deepEqual(checkResource(pool()).fields, []);
  assert.equal(checkResource(pool({ spec: {} })).fields.length, 1);
  const volume = (spec: Record<string, unknown>) =>
    validateResource({
      apiVersion: API_GROUP_VERSION,
      kind: "CephVolume",
      metadata: { name: "vms.a" },
      spec,
    });
  const before = volume({ pool: "vms", size: "1G" });
  assert.deepEqual(checkImmutable(before, volume({ pool: "vms", size: "2G", allowShrink: true })), []);
  const changed = checkImmutable(before, volume({ pool: "vms", source: { volume: "b" } }));
  assert.deepEqual(
    changed.map((f) => [f.pointer, f.value]),
    [["/spec/source", { pool: "vms", volume: "b" }]],
  );
  assert.match(changed[0].message, /immutable \(was unset\)/);
});
