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

/**
 * Why `segment` cannot be one ZooKeeper path segment, or undefined when it can. A store name is
 * one (`<root>/objects/<plural>/<name>`), and so is an ACL description (PVC's
 * `firewall_rules/<direction>/<description>`): a "/" would reach another node (`fzn/status` is
 * that object's status znode), and ZooKeeper itself refuses "." and "..", and the characters
 * checked below (its PathUtils.validatePath). Whitespace is refused as well: a name is typed in
 * commands and shown in one-line tables.
 */
export function pathSegmentProblem(segment: string): string | undefined {
  if (segment === "") return "must not be empty";
  if (segment === "." || segment === "..") return 'must not be "." or ".."';
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c === 0x2f) return `must not contain "/", found at index ${i}`;
    // Code units, as ZooKeeper counts them: any character outside the BMP is a surrogate pair.
    const refused =
      c <= 0x20 ||
      (c >= 0x7f && c <= 0xa0) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      c >= 0xfff0 ||
      /\s/.test(segment[i]);
    if (refused) {
      const code = `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
      return `must not contain whitespace, control characters or characters ZooKeeper refuses: ${code} at index ${i}`;
    }
  }
  return undefined;
}

/** Why `name` cannot be a store name (metadata.name), or undefined when it can. */
export function storeNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name.length === 0) return "a name is required";
  if (name.length > MAX_NAME_LENGTH)
    return `must be at most ${MAX_NAME_LENGTH} characters, not ${name.length}`;
  return pathSegmentProblem(name);
}
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
