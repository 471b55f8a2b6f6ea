/**
 * What the VirtualMachine controller reads of PVC's keys, from the mirrors of `/domains` and
 * `/nodes` (no ZooKeeper round trip): one domain's keys, and the nodes as placement and the
 * Running condition see them. Pure reads of a cache-like view, so a plan can also be read against
 * the keys as they will be once its writes are committed (`overlay`).
 */
import { DOMAIN_CHILD_KEYS, type DomainChildKey, type PvcKeys } from "../../src/pvc/keys.ts";
import { type CANDIDATE_KEYS, type CandidateNode, candidateOf } from "../../src/pvc/placement.ts";

/** The part of a TreeCache these reads need. */
export interface KeyView {
  get(path: string): { data: string } | undefined;
  children(path: string): string[];
}

/** One domain as its keys are now. */
export interface ObservedDomain {
  uuid: string;
  /** The root's value: the VM name. */
  name: string;
  /** Each child key present, by name (a half-written domain lacks some). */
  values: ReadonlyMap<DomainChildKey, string>;
  state: string;
  node: string;
  lastnode: string;
}

/** The domain `uuid`, or undefined when `/domains/<uuid>` does not exist. */
export function observeDomain(view: KeyView, keys: PvcKeys, uuid: string): ObservedDomain | undefined {
  const root = view.get(keys.domain(uuid));
  if (!root) return undefined;
  const values = new Map<DomainChildKey, string>();
  for (const key of DOMAIN_CHILD_KEYS) {
    const v = view.get(keys.domainKey(uuid, key));
    if (v) values.set(key, v.data);
  }
  return {
    uuid,
    name: root.data,
    values,
    state: values.get("state") ?? "",
    node: values.get("node") ?? "",
    lastnode: values.get("lastnode") ?? "",
  };
}

/** A view of `base` with `writes` (path → value) applied: the keys as a commit will leave them. */
export function overlay(base: KeyView, writes: ReadonlyMap<string, string>): KeyView {
  return {
    get: (path) => {
      const v = writes.get(path);
      return v !== undefined ? { data: v } : base.get(path);
    },
    children: (path) => base.children(path),
  };
}

/** The registered nodes, as placement reads them. */
export function observeNodes(view: KeyView, keys: PvcKeys): CandidateNode[] {
  return view
    .children(keys.nodes())
    .map((name) =>
      candidateOf(name, (key: (typeof CANDIDATE_KEYS)[number]) => view.get(keys.nodeKey(name, key))?.data),
    );
}

export function nodeExists(view: KeyView, keys: PvcKeys, name: string): boolean {
  try {
    return view.get(keys.node(name)) !== undefined;
  } catch {
    return false; // not a valid node name at all
  }
}

/** The domains a node lists in its runningdomains (space-separated UUIDs). */
export function runningOn(view: KeyView, keys: PvcKeys, node: string): string[] {
  if (!nodeExists(view, keys, node)) return [];
  const v = view.get(keys.nodeKey(node, "runningdomains"))?.data ?? "";
  return v.split(" ").filter((s) => s !== "");
}

/** Whether any node still lists the domain as running. */
export function runningAnywhere(view: KeyView, keys: PvcKeys, uuid: string): boolean {
  return view.children(keys.nodes()).some((n) => runningOn(view, keys, n).includes(uuid));
}
