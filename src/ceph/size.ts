/**
 * PVC sizes: plain bytes (`1073741824`) or a number with one binary-unit letter (`512K`, `4096M`,
 * `20G`, `1T`, `B` for bytes). PVC hands such strings to `rbd --size`, where a bare number means
 * MiB; we always turn them into bytes first and pass `<bytes>B` (see `rbdSizeArg`), so the same text
 * can never mean two sizes.
 */
import { ErrorCodes, PvcError } from "../errors.ts";

const UNITS: Record<string, bigint> = {
  B: 1n,
  K: 1024n,
  M: 1024n ** 2n,
  G: 1024n ** 3n,
  T: 1024n ** 4n,
  P: 1024n ** 5n,
};

const SIZE_RE = /^([0-9]+)([BKMGTP]?)$/i;

/** Parse a PVC size into bytes. Whole numbers only: `1.5G` is refused rather than rounded. */
export function parseSize(value: string | number | bigint): bigint {
  if (typeof value === "bigint") {
    if (value < 0n) throw bad(value, "must not be negative");
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0)
      throw bad(value, "must be a non-negative whole number of bytes");
    return BigInt(value);
  }
  const m = typeof value === "string" ? SIZE_RE.exec(value) : null;
  if (!m) {
    throw bad(value, "expected bytes or a whole number with one unit letter B, K, M, G, T or P (e.g. 20G)");
  }
  return BigInt(m[1]) * (UNITS[m[2].toUpperCase() || "B"] as bigint);
}

/**
 * The `--size` argument for rbd from a byte count. rbd reads a bare number as MiB (measured:
 * `--size 1048576` made a 1 TiB image), so the explicit `B` suffix is essential.
 */
export function rbdSizeArg(bytes: number | bigint): string {
  const n = typeof bytes === "bigint" ? bytes : Number.isSafeInteger(bytes) ? BigInt(bytes) : -1n;
  if (n <= 0n) throw bad(bytes, "a volume size must be a positive whole number of bytes");
  return `${n}B`;
}

function bad(value: unknown, why: string): PvcError {
  const shown = typeof value === "bigint" ? `${value}n` : JSON.stringify(value);
  return new PvcError(ErrorCodes.CEPH_EINVAL, `invalid size ${shown}: ${why}`, {
    details: { value: String(value) },
  });
}
