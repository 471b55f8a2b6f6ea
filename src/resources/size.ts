/**
 * Sizes for resources: a thin layer over src/ceph/size.ts (one parser for the project), giving
 * JSON-friendly numbers of bytes and field-error messages. Accepted: integer bytes, or an integer
 * with one binary unit letter (`B K M G T P`, multiples of 1024, any case): `4096M`, `20G`, `1T`.
 */
import { parseSize as parseCephSize } from "../ceph/size.ts";
import { isPvcError } from "../errors.ts";

const UNIT_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
  P: 1024 ** 5,
};

/** The text form accepted by `parseSize` (also the JSON Schema pattern in schemas/envelope.json). */
export const SIZE_PATTERN = "^[0-9]+[BKMGTPbkmgtp]?$";

export class SizeError extends Error {
  override name = "SizeError";
}

/**
 * Bytes of a size given as a number of bytes or as text (`20G`). Throws SizeError (with a message
 * fit for a field error) when malformed, fractional, negative, or above 2^53-1 bytes.
 */
export function parseSize(size: number | string): number {
  let bytes: bigint;
  try {
    bytes = parseCephSize(size);
  } catch (err) {
    if (!isPvcError(err)) throw err;
    throw new SizeError(
      typeof size === "number"
        ? "must be a whole, non-negative number of bytes"
        : "must be bytes or an integer with one unit letter of B, K, M, G, T, P (e.g. 4096M, 20G)",
    );
  }
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new SizeError("is too large (above 2^53-1 bytes)");
  return Number(bytes);
}

/** Like parseSize, but returns `null` instead of throwing. */
export function tryParseSize(size: unknown): number | null {
  try {
    return typeof size === "number" || typeof size === "string" ? parseSize(size) : null;
  } catch {
    return null;
  }
}

/**
 * Human form as PVC's clients print it (`format_bytes_tohuman`): the smallest unit that keeps the
 * number at most 4 digits, rounded up. 1073741824 → `1024M`, 21474836480 → `20G`.
 */
export function formatSizeHuman(bytes: number): string {
  let out = `${bytes}B`;
  for (const unit of ["P", "T", "G", "M", "K", "B"]) {
    const value = Math.ceil(bytes / UNIT_BYTES[unit]);
    if (value > 9999) continue;
    out = `${value}${unit}`;
  }
  return out;
}

/** Shortest exact form: the largest unit that divides `bytes` evenly (`21474836480` → `20G`). */
export function formatSizeExact(bytes: number): string {
  for (const unit of ["P", "T", "G", "M", "K"]) {
    const factor = UNIT_BYTES[unit];
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes}B`;
}
