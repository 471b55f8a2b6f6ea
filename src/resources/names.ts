/**
 * Object names, and how the Ceph kinds map (pool, volume, snapshot) to one unique metadata.name.
 *
 * Ceph scopes names: a volume name is unique per pool, a snapshot name per volume. Our store keys
 * objects by (kind, metadata.name), so the Ceph kinds carry their whole address in the name, built
 * with separators that can never occur inside the parts:
 *
 *   CephPool      <pool>                     vms
 *   CephVolume    <pool>.<volume>            vms.web1_sda
 *   CephSnapshot  <pool>.<volume>@<snapshot> vms.web1_sda@before-upgrade
 *
 * Pool names may not contain "." and no rbd name may contain "@" (rbd itself uses `@` between
 * image and snapshot), so the split is unambiguous: pool = up to the first ".", snapshot = after
 * the "@". A /api/v1 lookup of (pool, volume[, snapshot]) is one direct get, no scan. The spec
 * repeats the parts (`spec.pool`, `spec.volume`; `spec.name` defaults from metadata.name) and
 * validation rejects a name that does not match them.
 */
import { MAX_NAME_LENGTH as CEPH_MAX_NAME_LENGTH } from "../ceph/names.ts";

/** Label keys and values as in Kubernetes (same rules as the store's label selectors). */
export const LABEL_KEY_PATTERN =
  "^([A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
export const LABEL_VALUE_PATTERN = "^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$";

/** Generic object name (templates, scripts, profiles, VMs, networks): starts alphanumeric, then letters, digits, `_ . + -`. */
export const OBJECT_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.+-]*$";
/** Node names are host names: dot-separated labels of letters, digits and inner hyphens. */
export const NODE_NAME_PATTERN =
  "^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$";
/** RBD image and snapshot names: no leading `-` or `.`, no `/`, `@`, whitespace. */
export const RBD_NAME_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_.+-]*$";
/** Ceph pool names: as RBD names but without "." (the pool/volume separator in our names). */
export const POOL_NAME_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_+-]*$";
export const CEPH_VOLUME_NAME_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_+-]*\\.[A-Za-z0-9_][A-Za-z0-9_.+-]*$";
export const CEPH_SNAPSHOT_NAME_PATTERN =
  "^[A-Za-z0-9_][A-Za-z0-9_+-]*\\.[A-Za-z0-9_][A-Za-z0-9_.+-]*@[A-Za-z0-9_][A-Za-z0-9_.+-]*$";
/** Longest metadata.name the store takes. */
export const MAX_NAME_LENGTH = 253;
/** Longest pool, volume or snapshot name (the kernel rbd driver's limit; see src/ceph/names.ts). */
export const MAX_RBD_NAME_LENGTH = CEPH_MAX_NAME_LENGTH;

const RBD_NAME_RE = new RegExp(RBD_NAME_PATTERN);
const POOL_NAME_RE = new RegExp(POOL_NAME_PATTERN);

export function isRbdName(name: unknown): name is string {
  return typeof name === "string" && name.length <= MAX_RBD_NAME_LENGTH && RBD_NAME_RE.test(name);
}

export function isPoolName(name: unknown): name is string {
  return typeof name === "string" && name.length <= MAX_RBD_NAME_LENGTH && POOL_NAME_RE.test(name);
}

/** metadata.name of the CephVolume for `pool/volume`. */
export function cephVolumeName(pool: string, volume: string): string {
  return `${pool}.${volume}`;
}

/** metadata.name of the CephSnapshot for `pool/volume@snapshot`. */
export function cephSnapshotName(pool: string, volume: string, snapshot: string): string {
  return `${pool}.${volume}@${snapshot}`;
}

/** Splits a CephVolume metadata.name; `null` when it is not `<pool>.<volume>`. */
export function splitCephVolumeName(name: string): { pool: string; volume: string } | null {
  const dot = name.indexOf(".");
  if (dot < 0 || name.includes("@")) return null;
  const pool = name.slice(0, dot);
  const volume = name.slice(dot + 1);
  return isPoolName(pool) && isRbdName(volume) ? { pool, volume } : null;
}

/** Splits a CephSnapshot metadata.name; `null` when it is not `<pool>.<volume>@<snapshot>`. */
export function splitCephSnapshotName(
  name: string,
): { pool: string; volume: string; snapshot: string } | null {
  const at = name.indexOf("@");
  if (at < 0) return null;
  const vol = splitCephVolumeName(name.slice(0, at));
  const snapshot = name.slice(at + 1);
  return vol && isRbdName(snapshot) ? { ...vol, snapshot } : null;
}
