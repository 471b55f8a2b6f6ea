/**
 * Typed reads of PVC's own keys, for the /api/v1 facades: what the node daemons and our Ceph
 * mirrors write that a v0.6 answer shows or a v0.6 check consults (a network's vni taken, a node
 * present, the Ceph status texts, OSDs, pools, volumes and snapshots with their `stats`). Paths come
 * only from keys.ts; the facades never see a path nor the ZooKeeper client. Read-only: writes of
 * PVC keys are the controllers' (and CephClusterOps') business.
 *
 * Absent keys read as nothing (""/[]/{}), as v0.6 answered for them: a listing of a missing parent
 * is empty, a missing or unparsable `stats` is `{}`. Names are sorted as v0.6's listings were.
 */
import type { ZkClient } from "../zk/client.ts";
import type { PvcKeys } from "./keys.ts";
import { CANDIDATE_KEYS, type CandidateNode, candidateOf } from "./placement.ts";

/** A `stats` value as the mirrors wrote it (a JSON object); `{}` when missing or not JSON. */
export type PvcStats = Record<string, unknown>;

/** Where an OSD's data lives, from `/ceph/osds/<id>/{node,device}` (undefined when not written). */
export interface OsdPlacement {
  node: string | undefined;
  device: string | undefined;
}

/** The ZooKeeper calls a reader makes (the app's ZkClient; a test may give a stand-in). */
export type PvcReadClient = Pick<ZkClient, "exists" | "children" | "tryGet">;

export class PvcReader {
  readonly #zk: PvcReadClient;
  readonly #keys: PvcKeys;

  constructor(zk: PvcReadClient, keys: PvcKeys) {
    this.#zk = zk;
    this.#keys = keys;
  }

  // --- nodes and networks ---------------------------------------------------------------------

  /** Whether `/nodes/<name>` is there; false for a name no node can have (e.g. with a "/"). */
  async nodeExists(name: string): Promise<boolean> {
    let path: string;
    try {
      path = this.#keys.node(name);
    } catch {
      return false;
    }
    return this.#exists(path);
  }

  /** Every node with the figures placement reads (src/pvc/placement.ts), in name order. */
  async nodeCandidates(): Promise<CandidateNode[]> {
    const out: CandidateNode[] = [];
    for (const name of await this.#children(this.#keys.nodes())) {
      const values = new Map<string, string | undefined>();
      await Promise.all(
        CANDIDATE_KEYS.map(async (key) => values.set(key, await this.#read(this.#keys.nodeKey(name, key)))),
      );
      out.push(candidateOf(name, (key) => values.get(key)));
    }
    return out;
  }

  /** Whether `/domains/<uuid>` is there (a VM defined by us or by anything else that speaks PVC). */
  async domainExists(uuid: string): Promise<boolean> {
    return this.#exists(this.#keys.domain(uuid));
  }

  /** Whether `/networks/<vni>` is there (written by us or by anything else that speaks PVC). */
  async networkExists(vni: number): Promise<boolean> {
    return this.#exists(this.#keys.network(vni));
  }

  /** `/primary_node`, "" when not set. */
  async primaryNode(): Promise<string> {
    return (await this.#read(this.#keys.primaryNode())) ?? "";
  }

  // --- the Ceph cluster -----------------------------------------------------------------------

  /** The last `ceph status` text the CephCluster loop wrote to `/ceph`, "" when none. */
  async cephStatusText(): Promise<string> {
    return (await this.#read(this.#keys.ceph())) ?? "";
  }

  /** The last `rados df` text, from `/ceph/radosdf`, "" when none. */
  async cephRadosDfText(): Promise<string> {
    return (await this.#read(this.#keys.cephRadosdf())) ?? "";
  }

  /** OSD ids under `/ceph/osds`, in numeric order. */
  async osdIds(): Promise<string[]> {
    return (await this.#children(this.#keys.cephOsds())).sort(
      (a, b) => Number(a) - Number(b) || (a < b ? -1 : 1),
    );
  }

  async osdStats(id: string): Promise<PvcStats> {
    return this.#readJson(this.#keys.cephOsdKey(id, "stats"));
  }

  async osdPlacement(id: string): Promise<OsdPlacement> {
    return {
      node: await this.#read(this.#keys.cephOsdKey(id, "node")),
      device: await this.#read(this.#keys.cephOsdKey(id, "device")),
    };
  }

  // --- pools, volumes, snapshots --------------------------------------------------------------

  async poolNames(): Promise<string[]> {
    return this.#children(this.#keys.cephPools());
  }

  async poolExists(pool: string): Promise<boolean> {
    return this.#exists(this.#keys.cephPool(pool));
  }

  async poolStats(pool: string): Promise<PvcStats> {
    return this.#readJson(this.#keys.cephPoolKey(pool, "stats"));
  }

  /** Volumes under `/ceph/volumes/<pool>`. */
  async volumeNames(pool: string): Promise<string[]> {
    return this.#children(this.#keys.cephPoolVolumes(pool));
  }

  async volumeExists(pool: string, volume: string): Promise<boolean> {
    return this.#exists(this.#keys.cephVolume(pool, volume));
  }

  async volumeStats(pool: string, volume: string): Promise<PvcStats> {
    return this.#readJson(this.#keys.cephVolumeStats(pool, volume));
  }

  /** Volumes that have a snapshot parent under `/ceph/snapshots/<pool>`. */
  async snapshotVolumes(pool: string): Promise<string[]> {
    return this.#children(this.#keys.cephPoolSnapshots(pool));
  }

  /** Snapshots under `/ceph/snapshots/<pool>/<volume>`. */
  async snapshotNames(pool: string, volume: string): Promise<string[]> {
    return this.#children(this.#keys.cephVolumeSnapshots(pool, volume));
  }

  // --- whole subtrees (the status page compares them with what the controllers would write) ---

  /** Every key under `/networks/<vni>`, the root included, path → value; empty when it is not there. */
  async networkTree(vni: number): Promise<Map<string, string>> {
    return this.#subtree(this.#keys.network(vni));
  }

  /** Every key under `/domains/<uuid>`, the root included, path → value; empty when it is not there. */
  async domainTree(uuid: string): Promise<Map<string, string>> {
    return this.#subtree(this.#keys.domain(uuid));
  }

  // --- the reads themselves -------------------------------------------------------------------

  /** A key and everything below it (children read in parallel); a key gone meanwhile is left out. */
  async #subtree(path: string, into = new Map<string, string>()): Promise<Map<string, string>> {
    const data = await this.#read(path);
    if (data === undefined) return into;
    into.set(path, data);
    const children = await this.#zk.children(path).catch(() => [] as string[]);
    await Promise.all(children.map((child) => this.#subtree(`${path}/${child}`, into)));
    return into;
  }

  async #exists(path: string): Promise<boolean> {
    return Boolean(await this.#zk.exists(path));
  }

  async #read(path: string): Promise<string | undefined> {
    return (await this.#zk.tryGet(path))?.data;
  }

  /** A parent's children, sorted; none when the parent is missing (v0.6 listed nothing then). */
  async #children(path: string): Promise<string[]> {
    return (await this.#zk.children(path).catch(() => [] as string[])).sort();
  }

  async #readJson(path: string): Promise<PvcStats> {
    try {
      return JSON.parse((await this.#read(path)) ?? "{}") as PvcStats;
    } catch {
      return {};
    }
  }
}
