/**
 * What must hold in ZooKeeper after the route fuzzer, for PVC's network keys: once every Network
 * has settled, each `/networks/<vni>` is complete (every key add_network writes) and belongs to a
 * Network; one wanted by a Ready Network holds exactly the tree the controller computes for it
 * (desiredNetworkTree); every Ready Network has its keys; nothing is left of deleted networks. Paths come from PvcKeys and the tree from the controller's
 * own desired.ts: this file knows no PVC path.
 */

import { NETWORK_CHILD_KEYS, type PvcKeys } from "../../src/pvc/keys.ts";
import { desiredNetworkTree } from "../../src/pvc/network-tree.ts";
import type { NetworkSpec } from "../../src/resources/specs.ts";
import type { Resource } from "../../src/resources/types.ts";
import { ConditionTypes, getCondition } from "../../src/runtime/conditions.ts";
import type { ResourceStore } from "../../src/store/store.ts";
import type { ZkClient } from "../../src/zk/client.ts";

type Network = Resource<NetworkSpec>;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** The controller has said its last word on the current generation (Ready or Stalled), or it is gone. */
function settled(n: Network): boolean {
  if (n.metadata.deletionTimestamp) return false;
  const generation = n.metadata.generation;
  for (const type of [ConditionTypes.Ready, ConditionTypes.Stalled]) {
    const c = getCondition(n.status?.conditions, type);
    const seen = c?.observedGeneration ?? n.status?.observedGeneration;
    if (c?.status === "True" && seen === generation) return true;
  }
  return false;
}

function readyNow(n: Network): boolean {
  const c = getCondition(n.status?.conditions, ConditionTypes.Ready);
  return (
    c?.status === "True" && (c.observedGeneration ?? n.status?.observedGeneration) === n.metadata.generation
  );
}

/** Waits (bounded) until every Network has settled; returns them, and those that never did. */
export async function settleNetworks(
  store: ResourceStore,
  ms: number,
): Promise<{ networks: Network[]; unsettled: Network[] }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const networks = (await store.list("Network")).items as unknown as Network[];
    const unsettled = networks.filter((n) => !settled(n));
    if (unsettled.length === 0 || Date.now() > deadline) return { networks, unsettled };
    await new Promise((r) => setTimeout(r, 100));
  }
}

const brief = (n: Network) =>
  `${n.metadata.name} (vni ${JSON.stringify(n.spec?.vni)}, generation ${n.metadata.generation}, ` +
  `conditions ${JSON.stringify((n.status?.conditions ?? []).map((c) => `${c.type}=${c.status} ${c.reason}`))})`;

/** Every problem with PVC's network keys, one line each (empty: all invariants hold). */
export async function networkKeyProblems(
  zk: ZkClient,
  store: ResourceStore,
  pvc: PvcKeys,
  settleMs: number,
): Promise<{ problems: string[]; checked: number }> {
  const problems: string[] = [];
  const { networks, unsettled } = await settleNetworks(store, settleMs);
  for (const n of unsettled) problems.push(`not settled after ${settleMs} ms: ${brief(n)}`);

  // Who stands for a vni: the Ready Network that wants it; failing that, a Network that is not
  // Ready (Stalled on a move or a claim) but still owns it (status.vni, the controller's record of
  // the keys it holds: a refused change leaves the last converged keys in place).
  const owners = new Map<string, Network[]>();
  for (const n of networks.filter(readyNow)) {
    const vni = String(n.spec.vni);
    owners.set(vni, [...(owners.get(vni) ?? []), n]);
  }
  const holders = new Map<string, Network[]>();
  for (const n of networks.filter((x) => !readyNow(x))) {
    const held = (n.status as { vni?: unknown } | undefined)?.vni;
    if (held === undefined) continue;
    holders.set(String(held), [...(holders.get(String(held)) ?? []), n]);
  }
  const base = pvc.networks();
  const vnis = (await zk.children(base).catch(() => [] as string[])).sort();
  let checked = 0;
  for (const vni of vnis) {
    const root = pvc.network(vni);
    const present = new Set(await zk.listTree(root));
    const missing = NETWORK_CHILD_KEYS.filter((k) => !present.has(pvc.networkKey(vni, k)));
    if (missing.length > 0) problems.push(`${root} is incomplete: missing ${missing.join(", ")}`);
    // Every value PVC reads here (descriptions, rules, hostnames, addresses) is one line of text:
    // a newline in an nft rule, say, would end the rule and start another. Leases are dnsmasq's.
    const leases = `${pvc.networkKey(vni, "dhcp4_leases")}/`;
    for (const p of present) {
      if (p.startsWith(leases)) continue;
      const value = (await zk.tryGet(p))?.data ?? "";
      if (CONTROL_CHARACTER.test(value))
        problems.push(`${p} holds a control character: ${JSON.stringify(value)}`);
    }
    const claimed = owners.get(vni) ?? [];
    if (claimed.length === 0) {
      if ((holders.get(vni) ?? []).length === 0) {
        const waiting = networks.filter((n) => String(n.spec?.vni) === vni);
        problems.push(
          `${root} is held by no Network (status.vni) and wanted by no Ready one` +
            (waiting.length > 0 ? `; wanted by ${waiting.map(brief).join("; ")}` : ": an orphan"),
        );
      }
      continue;
    }
    if (claimed.length > 1) {
      problems.push(
        `${root} is wanted by ${claimed.length} Ready Networks: ${claimed.map(brief).join("; ")}`,
      );
      continue;
    }
    checked++;
    // The tree the controller computes, against what is there (dnsmasq's leases are not ours).
    const want = desiredNetworkTree(pvc, claimed[0].spec);
    const have = [...present].filter((p) => !p.startsWith(leases));
    for (const p of have) {
      if (!want.has(p)) problems.push(`${p} exists but ${claimed[0].metadata.name} does not stand for it`);
    }
    for (const [p, value] of want) {
      if (!present.has(p)) {
        if (!missing.some((k) => p === pvc.networkKey(vni, k))) problems.push(`${p} is missing`);
        continue;
      }
      const got = (await zk.tryGet(p))?.data;
      if (got !== value) {
        problems.push(
          `${p} = ${JSON.stringify(got)}, ${claimed[0].metadata.name} wants ${JSON.stringify(value)}`,
        );
      }
    }
  }
  for (const [vni, claimed] of owners) {
    if (!vnis.includes(vni))
      problems.push(`Ready ${claimed.map(brief).join(", ")} has no ${pvc.network(vni)}`);
  }
  return { problems, checked };
}
