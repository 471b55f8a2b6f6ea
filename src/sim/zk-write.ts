/**
 * Writing several PVC keys at once, the way PVC's zkhandler.writedata does: one transaction that
 * creates the keys that are missing and sets the ones that exist.
 */
import { ErrorCodes, isPvcError } from "../errors.ts";
import type { ZkClient, ZkOp } from "../zk/client.ts";

/** Path → value, in write order (a parent before its children). */
export type KeyValues = ReadonlyArray<readonly [path: string, value: string]>;

/** Create-or-set ops for `kv`. The existence checks race with other writers; the multi then fails whole. */
export async function upsertOps(zk: ZkClient, kv: KeyValues): Promise<ZkOp[]> {
  const present = await Promise.all(kv.map(([path]) => zk.exists(path)));
  return kv.map(
    ([path, data], i): ZkOp => (present[i] ? { op: "set", path, data } : { op: "create", path, data }),
  );
}

/** Creates or sets every key in one multi. */
export async function writeKeys(zk: ZkClient, kv: KeyValues): Promise<void> {
  await zk.multi(await upsertOps(zk, kv));
}

/**
 * Sets keys expected to exist in one multi (one round trip: the hot path of keepalives); if one
 * is missing (someone deleted it), falls back to create-or-set.
 */
export async function setKeys(zk: ZkClient, kv: KeyValues): Promise<void> {
  try {
    await zk.multi(kv.map(([path, data]): ZkOp => ({ op: "set", path, data })));
  } catch (err) {
    if (!isPvcError(err, ErrorCodes.ZK_NO_NODE)) throw err;
    await writeKeys(zk, kv);
  }
}

/**
 * Sets existing keys in one multi; false (nothing written) if one is missing. For keys under a
 * domain that may be undefined at any moment: we must not re-create a half of it.
 */
export async function setIfPresent(zk: ZkClient, kv: KeyValues): Promise<boolean> {
  try {
    await zk.multi(kv.map(([path, data]): ZkOp => ({ op: "set", path, data })));
    return true;
  } catch (err) {
    if (isPvcError(err, ErrorCodes.ZK_NO_NODE)) return false;
    throw err;
  }
}

/** Reads a key, "" when it does not exist (PVC treats a missing optional key like an empty one). */
export async function readOr(zk: ZkClient, path: string, fallback = ""): Promise<string> {
  const got = await zk.tryGet(path);
  return got ? got.data : fallback;
}
