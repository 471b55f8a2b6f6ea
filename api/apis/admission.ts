/**
 * Who may write what, beyond what a valid object is (the store checks validity, and immutable
 * fields through its validateUpdate hook): kinds the cluster creates itself (Node: each node
 * daemon registers its own) cannot be created by users (403), though they may be read, patched
 * (desired states) and deleted.
 */
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import type { KindInfo } from "../../src/resources/kinds.ts";

export function assertUserCreatable(info: KindInfo): void {
  if (info.userCreatable) return;
  throw new PvcError(
    ErrorCodes.FORBIDDEN,
    `${info.kind} objects are created by the cluster itself (each node registers its own); they cannot be created through the API`,
    { details: { kind: info.kind } },
  );
}
