/**
 * Validation of everything a caller can put on a ceph/rbd/rados command line, run before any process
 * is spawned. Ceph itself checks almost nothing: measured on Pacific, `ceph osd pool create` happily
 * creates pools named `bad/name`, `.x` and `a@b`, and `rbd create` accepts an image named `-a`. Such
 * names break `pool/image@snap` specs, clash with Ceph's reserved dot-pools, or are read as options
 * by the next command. We never use a shell, so metacharacters are not an injection risk as such,
 * but an allow-list is the only rule that stays obviously safe as callers change.
 */
import { ErrorCodes, PvcError } from "../errors.ts";

/**
 * Image names longer than 96 bytes cannot be mapped by the kernel rbd driver (RBD_MAX_OBJ_NAME_LEN),
 * so PVC's VMs could not use them; one bound for pools and snapshots too keeps the rule simple.
 */
export const MAX_NAME_LENGTH = 96;

/** First character alphanumeric or `_` (so never `-`, never `.`); then also `.`, `+`, `-`. */
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

export type NameField =
  | "pool"
  | "volume"
  | "snapshot"
  | "application"
  | "pool variable"
  | "pool value"
  | "lock id"
  | "mon";

function invalid(field: string, value: unknown, why: string): PvcError {
  return new PvcError(ErrorCodes.INVALID_NAME, `invalid ${field} name ${JSON.stringify(value)}: ${why}`, {
    details: { field, value },
  });
}

/** The shared allow-list; returns the name unchanged so callers can validate inline. */
export function validateName(field: NameField, value: unknown): string {
  if (typeof value !== "string") throw invalid(field, value, "must be a string");
  if (value.length === 0) throw invalid(field, value, "must not be empty");
  if (value.length > MAX_NAME_LENGTH)
    throw invalid(field, value, `longer than ${MAX_NAME_LENGTH} characters`);
  if (!NAME_RE.test(value)) {
    throw invalid(
      field,
      value,
      "allowed are letters, digits, '_', '.', '+', '-', and the first character must be a letter, digit or '_'",
    );
  }
  return value;
}

export const validatePoolName = (name: unknown): string => validateName("pool", name);
export const validateVolumeName = (name: unknown): string => validateName("volume", name);
export const validateSnapshotName = (name: unknown): string => validateName("snapshot", name);

/** Pool variables (`ceph osd pool get/set P <var>`) are lower-case words such as pg_num or nodeep-scrub. */
export function validatePoolVariable(name: unknown): string {
  if (typeof name !== "string" || !/^[a-z][a-z0-9_-]{0,63}$/.test(name)) {
    throw invalid("pool variable", name, "expected a lower-case variable such as pg_num or min_size");
  }
  return name;
}

/**
 * Values for `ceph osd pool set` (numbers, true/false, on/off, modes). A leading `-` would be parsed
 * as an option by the ceph CLI, so negative numbers are refused too; no pool setting needs one.
 */
export function validatePoolValue(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value))
    throw invalid("pool value", value, "must be finite");
  const text = typeof value === "number" || typeof value === "boolean" ? String(value) : value;
  if (typeof text !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,63}$/.test(text)) {
    throw invalid("pool value", value, "expected a number, true/false or a word");
  }
  return text;
}

/**
 * rbd lock ids are free text chosen by the locker (librbd's own are `auto <n>`, with a space), so the
 * allow-list above does not fit: refuse only what could be misread (a leading `-`, control characters).
 */
export function validateLockId(id: unknown): string {
  if (typeof id !== "string" || id.length === 0 || id.length > 256) {
    throw invalid("lock id", id, "must be a non-empty string of at most 256 characters");
  }
  if (id.startsWith("-")) throw invalid("lock id", id, "must not start with '-'");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(id)) throw invalid("lock id", id, "must not contain control characters");
  return id;
}

/** Lockers are Ceph client entity names, `client.<global id>`. */
export function validateLocker(locker: unknown): string {
  if (typeof locker !== "string" || !/^client\.[0-9]{1,20}$/.test(locker)) {
    throw invalid("locker", locker, "expected client.<number>");
  }
  return locker;
}

/** OSD ids are the non-negative integers `ceph osd new` hands out. */
export function validateOsdId(id: unknown): number {
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
    throw invalid("osd id", id, "must be a non-negative integer");
  }
  return id;
}

/**
 * The cluster flags `ceph osd set` takes on Pacific (from its own usage text), minus `full`
 * (deprecated, set by Ceph itself) and `pglog_hardlimit` (cannot be unset once set).
 */
export const OSD_FLAGS = [
  "pause",
  "noup",
  "nodown",
  "noout",
  "noin",
  "nobackfill",
  "norebalance",
  "norecover",
  "noscrub",
  "nodeep-scrub",
  "notieragent",
  "nosnaptrim",
] as const;

export type OsdFlag = (typeof OSD_FLAGS)[number];

export function validateOsdFlag(flag: unknown): OsdFlag {
  if (typeof flag !== "string" || !(OSD_FLAGS as readonly string[]).includes(flag)) {
    throw invalid("osd flag", flag, `expected one of ${OSD_FLAGS.join(", ")}`);
  }
  return flag as OsdFlag;
}
