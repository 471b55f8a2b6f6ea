/**
 * Hostile documents meet bounded validation work (found by the route fuzzer's 100,000-request run:
 * a 727 KB body of 50,000 unknown keys held the event loop 2-3 s, one of 8 MiB 30-45 s, so every
 * request of every client timed out behind it): at most MAX_FIELD_ERRORS field errors are named,
 * with one line for the rest, and a document of more than MAX_DOCUMENT_VALUES values is refused
 * as such before the schema runs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkResource,
  MAX_DOCUMENT_VALUES,
  MAX_FIELD_ERRORS,
  validateResource,
} from "../../src/resources/validate.ts";

const base = () => ({
  apiVersion: "pvc.parallelvirtualcluster.org/v1",
  kind: "Network",
  metadata: { name: "wide" },
  spec: { vni: 100, type: "bridged", description: "wide" },
});

test("thousands of unknown fields: the first MAX_FIELD_ERRORS named, one line for the rest", () => {
  const doc: Record<string, unknown> = base();
  for (let i = 0; i < 5_000; i++) doc[`k${i}`] = i;
  const { fields } = checkResource(doc);
  assert.equal(fields.length, MAX_FIELD_ERRORS + 1);
  assert.equal(fields[0].pointer, "/k0");
  assert.match(fields[0].message, /is not a known field/);
  assert.equal(
    fields[MAX_FIELD_ERRORS].message,
    `and ${5_000 - MAX_FIELD_ERRORS} more schema errors, not listed`,
  );
  assert.throws(
    () => validateResource(doc),
    /Network "wide": 101 invalid fields:\n {2}\/k0: is not a known field/,
  );
});

test("a document of more than MAX_DOCUMENT_VALUES values is refused as a whole, before the schema", () => {
  const doc: Record<string, unknown> = base();
  const spec = doc.spec as Record<string, unknown>;
  spec.dhcpReservations = Array.from({ length: MAX_DOCUMENT_VALUES }, () => 1);
  assert.deepEqual(checkResource(doc).fields, [
    {
      pointer: "",
      value: undefined,
      message: `has more than ${MAX_DOCUMENT_VALUES} values; no resource needs that many`,
    },
  ]);
  // Just below the bound the schema runs as usual.
  spec.dhcpReservations = Array.from({ length: 10 }, () => 1);
  assert.equal(checkResource(doc).fields[0].pointer, "/spec/dhcpReservations/0");
});
