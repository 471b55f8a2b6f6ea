/** Assertions on validation failures, shared by the schema tests of every kind. */
import assert from "node:assert/strict";
import { ErrorCodes, isPvcError } from "../../src/errors.ts";
import type { FieldError } from "../../src/resources/types.ts";
import { validateResource } from "../../src/resources/validate.ts";

/**
 * Validates `doc`, expects VALIDATION_FAILED, and checks that exactly the `expected` pointers
 * failed, each with the value given (and message, when a pattern is given), and that the error's
 * message lists every one. Returns the failing fields.
 */
export function invalid(
  doc: unknown,
  expected: [pointer: string, value: unknown, message?: RegExp][],
): FieldError[] {
  try {
    validateResource(doc);
  } catch (err) {
    assert.ok(isPvcError(err, ErrorCodes.VALIDATION_FAILED), String(err));
    const fields = err.details?.fields as FieldError[];
    assert.deepEqual(
      fields.map((f) => f.pointer).sort(),
      expected.map(([p]) => p).sort(),
      `fields: ${JSON.stringify(fields, null, 1)}`,
    );
    for (const [at, value, message] of expected) {
      const field = fields.find((f) => f.pointer === at);
      assert.ok(field);
      assert.deepEqual(field.value, value, at);
      if (message) assert.match(field.message, message, at);
      assert.ok(err.message.includes(`${at}: ${field.message}`), `message lists ${at}`);
    }
    return fields;
  }
  assert.fail("expected VALIDATION_FAILED");
}
