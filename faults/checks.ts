/**
 * What the fault suite checks after each run, in PVC's keys and in Ceph (not through our API, which
 * could be wrong in the same way as the controllers):
 * - every network's subtree is whole: each key `desiredNetworkTree` says `add_network` writes is
 *   there with its value (a partial subtree is what a crash between two writes would leave);
 * - every VM has exactly one `/domains/<uuid>` entry, with every child key PVC's define writes
 *   (`DOMAIN_CHILD_KEYS`) and the definition's values (`ownedDomainKeys`);
 * - Ceph holds exactly the declared volumes and snapshots of the run (`rbd ls -l`), and PVC's keys
 *   for them; an image or snapshot with the run's prefix that was not declared is an orphan.
 * Paths come from src/pvc (keys.ts and the tree builders), never spelled out here.
 */
import { CephClient } from "../src/ceph/client.ts";
import { DOMAIN_CHILD_KEYS, PvcKeys } from "../src/pvc/keys.ts";
import { desiredNetworkTree } from "../src/pvc/network-tree.ts";
import type { NetworkSpec } from "../src/resources/specs.ts";
import type { ZkClient } from "../src/zk/client.ts";
import type { StoreView, Workload } from "./workload.ts";

export interface Findings {
  lost: string[];
  duplicated: string[];
  orphaned: string[];
  /** Subtrees missing keys or holding other values. */
  partial: string[];
}

const keys = new PvcKeys("");

async function dataAt(zk: ZkClient, path: string): Promise<string | null> {
  return zk.get(path).then(
    (r) => r.data,
    () => null,
  );
}

async function checkNetworks(zk: ZkClient, w: Workload, view: StoreView, f: Findings): Promise<void> {
  const present = new Set((await zk.children(keys.networks())).map(Number));
  for (const [i, vni] of w.vnis.entries()) {
    const spec = view.specs.get(`networks/${w.prefix}n${i}`);
    if (!present.has(vni)) {
      f.lost.push(`/networks entry of vni ${vni}`);
      continue;
    }
    if (!spec) continue; // counted as lost by the store view
    const tree = desiredNetworkTree(keys, spec as NetworkSpec);
    const wrong: string[] = [];
    await Promise.all(
      [...tree].map(async ([path, want]) => {
        const got = await dataAt(zk, path);
        if (got !== want) wrong.push(`${path} (${got === null ? "missing" : `"${got}"`}, want "${want}")`);
      }),
    );
    if (wrong.length > 0) f.partial.push(`network ${vni}: ${wrong.slice(0, 3).join("; ")}`);
  }
}

async function checkDomains(zk: ZkClient, w: Workload, f: Findings): Promise<void> {
  const uuids = await zk.children(keys.domains());
  const names = await Promise.all(uuids.map((u) => dataAt(zk, keys.domain(u))));
  const byName = new Map<string, string[]>();
  uuids.forEach((u, i) => {
    const name = names[i];
    if (name?.startsWith(w.prefix)) byName.set(name, [...(byName.get(name) ?? []), u]);
  });
  const declared = new Map(w.vms.map((vm) => [vm.name, vm]));
  for (const [name, list] of byName) {
    const vm = declared.get(name);
    if (!vm) f.orphaned.push(`/domains entries named ${name}: ${list.join(", ")}`);
    else if (list.length > 1) f.duplicated.push(`VM ${name}: ${list.length} /domains entries`);
  }
  for (const vm of w.vms) {
    if (!byName.get(vm.name)?.includes(vm.uuid)) {
      f.lost.push(`/domains/${vm.uuid} (VM ${vm.name})`);
      continue;
    }
    const missing: string[] = [];
    await Promise.all(
      DOMAIN_CHILD_KEYS.map(async (k) => {
        if ((await zk.exists(keys.domainKey(vm.uuid, k))) === null) missing.push(k);
      }),
    );
    const rbd = await dataAt(zk, keys.domainKey(vm.uuid, "rbdlist"));
    if (rbd !== `${w.pool}/${vm.volume}`) missing.push(`rbdlist "${rbd}"`);
    const xml = await dataAt(zk, keys.domainKey(vm.uuid, "xml"));
    if (!xml?.includes(vm.uuid)) missing.push("xml");
    if (missing.length > 0) f.partial.push(`domain ${vm.uuid} (${vm.name}): ${missing.join(", ")}`);
  }
}

async function checkCeph(zk: ZkClient, ceph: CephClient, w: Workload, f: Findings): Promise<void> {
  const entries = (await ceph.rbdLs(w.pool)).filter((e) => e.image.startsWith(w.prefix));
  const images = entries.filter((e) => !e.snapshot).map((e) => e.image);
  const snaps = entries.filter((e) => e.snapshot).map((e) => `${e.image}@${e.snapshot}`);
  const compare = (what: string, found: string[], wanted: string[]) => {
    const want = new Set(wanted);
    for (const x of found) if (!want.has(x)) f.orphaned.push(`${what} ${w.pool}/${x}`);
    for (const x of want) if (!found.includes(x)) f.lost.push(`${what} ${w.pool}/${x}`);
    const seen = new Set<string>();
    for (const x of found) {
      if (seen.has(x)) f.duplicated.push(`${what} ${w.pool}/${x}`);
      seen.add(x);
    }
  };
  compare("rbd image", images, w.volumes);
  compare("rbd snapshot", snaps, w.snapshots);
  for (const v of w.volumes) {
    if ((await zk.exists(keys.cephVolume(w.pool, v))) === null) f.partial.push(`PVC key of volume ${v}`);
  }
  for (const s of w.snapshots) {
    const [v, snap] = s.split("@");
    if ((await zk.exists(keys.cephSnapshot(w.pool, v, snap))) === null) {
      f.partial.push(`PVC key of snapshot ${s}`);
    }
  }
}

/** Every check of one run's workload, against the store view taken once it converged. */
export async function checkWorkload(
  zk: ZkClient,
  cephConf: string,
  w: Workload,
  view: StoreView,
): Promise<Findings> {
  const f: Findings = {
    lost: view.missing.map((k) => `store object ${k}`),
    duplicated: [],
    orphaned: [],
    partial: [],
  };
  await checkNetworks(zk, w, view, f);
  await checkDomains(zk, w, f);
  await checkCeph(zk, new CephClient({ conf: cephConf }), w, f);
  return f;
}
