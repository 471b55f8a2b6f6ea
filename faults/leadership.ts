/**
 * Who leads, and who wrote when, read from ZooKeeper itself: the election's lowest node (its data
 * is the replica's `host:pid`, its czxid the moment it was elected) and the zxids of PVC's keys.
 * A write by a stale leader shows as a key whose mzxid falls where that replica did not lead:
 * after the fault began and before the new leader's node was created, or after a point where
 * nothing should change any more.
 */
import { OWNED_DOMAIN_KEYS } from "../src/pvc/domain-tree.ts";
import { PvcKeys } from "../src/pvc/keys.ts";
import { desiredNetworkTree } from "../src/pvc/network-tree.ts";
import type { NetworkSpec } from "../src/resources/specs.ts";
import { StoreLayout } from "../src/store/layout.ts";
import type { ZkClient } from "../src/zk/client.ts";
import { STORE_ROOT } from "./env.ts";
import type { StoreView, Workload } from "./workload.ts";

const keys = new PvcKeys("");
const electionPath = new StoreLayout(STORE_ROOT).coordination("leader");
const MARKER = `${STORE_ROOT}-marker`;

export interface Leader {
  node: string;
  /** The elected replica's pid (its identity is host:pid). */
  pid: number;
  czxid: bigint;
}

/** The current leader, or null while nobody holds the lowest node. */
export async function currentLeader(zk: ZkClient): Promise<Leader | null> {
  const children = await zk.children(electionPath).catch(() => [] as string[]);
  const lowest = [...children].sort((a, b) => Number(a.slice(-10)) - Number(b.slice(-10)))[0];
  if (!lowest) return null;
  const got = await zk.get(`${electionPath}/${lowest}`).catch(() => null);
  if (!got) return null;
  return { node: lowest, pid: Number(got.data.split(":").at(-1)), czxid: BigInt(got.stat.czxid) };
}

/** Waits for a leader that `accept`s (e.g. another pid than the killed one); ms it took. */
export async function awaitLeader(
  zk: ZkClient,
  accept: (l: Leader) => boolean,
  timeoutMs: number,
): Promise<{ leader: Leader; ms: number }> {
  const started = Date.now();
  for (;;) {
    const l = await currentLeader(zk);
    if (l && accept(l)) return { leader: l, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`no new leader in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A zxid of now: everything written before this call has a lower one. */
export async function markZxid(zk: ZkClient): Promise<bigint> {
  if ((await zk.exists(MARKER)) === null) await zk.create(MARKER, "").catch(() => undefined);
  return BigInt((await zk.set(MARKER, String(Date.now()))).mzxid);
}

/** Every PVC key of `w` that only the leader writes (the definition, never what nodes write). */
export function leaderOwnedPaths(w: Workload, view: StoreView): string[] {
  const paths: string[] = [];
  w.vnis.forEach((_, i) => {
    const spec = view.specs.get(`networks/${w.prefix}n${i}`);
    if (spec) paths.push(...desiredNetworkTree(keys, spec as NetworkSpec).keys());
  });
  for (const vm of w.vms) {
    paths.push(keys.domain(vm.uuid), ...OWNED_DOMAIN_KEYS.map((k) => keys.domainKey(vm.uuid, k)));
  }
  for (const v of w.volumes) paths.push(keys.cephVolume(w.pool, v));
  return paths;
}

/** Paths whose last write (or creation) has a zxid in (after, before). */
export async function writtenBetween(
  zk: ZkClient,
  paths: readonly string[],
  after: bigint,
  before = BigInt(2) ** BigInt(63),
): Promise<string[]> {
  const hits: string[] = [];
  await Promise.all(
    paths.map(async (p) => {
      const stat = await zk.exists(p).catch(() => null);
      if (!stat) return;
      const m = BigInt(stat.mzxid);
      if (m > after && m < before) hits.push(`${p} (zxid ${m})`);
    }),
  );
  return hits;
}
