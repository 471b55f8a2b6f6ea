/**
 * `pvcctl import` of what runs: VMs from `/domains/<uuid>` and nodes from `/nodes/<name>`, as
 * manifests that, applied, adopt them as they are (src/pvcctl/import.ts writes them out).
 *
 * - A VM's manifest says what its keys say, so that its controller finds nothing to carry out:
 *   spec.xml is the stored XML verbatim (its <uuid> names the domain, which is adopted), the home
 *   node is `lastnode` when the VM is migrated (then spec.migration.node is where it runs) and
 *   `node` otherwise, nodeLimit, nodeSelector (PVC's `None`/"" is the cluster default: unset),
 *   autostart, and runState from `state` (a VM on its way — migrate, restart — is running; a failed
 *   or stopped one is stopped). What a manifest cannot say is a warning: a `profile` key (a VM has
 *   either spec.xml or spec.profile), an rbdlist that is not what the XML's RBD disks give.
 * - A node's manifest asks for what the node is: coordinatorState from routerstate (coordinators
 *   only), domainState `flush` for a node flushed or flushing and `ready` otherwise. The Node
 *   controller carries a request out only where the node is not there yet, so nothing is written.
 *   Node objects are registered by the controller: the manifests apply to those.
 */
import { runStateOfPvcState } from "../pvc/domain-tree.ts";
import type { PvcKeys } from "../pvc/keys.ts";
import { parseDomainXml, XmlError } from "../resources/domain-xml.ts";
import { API_GROUP_VERSION, type Resource } from "../resources/types.ts";
import { validateResource } from "../resources/validate.ts";
import type { ZkClient } from "../zk/client.ts";

export interface ImportedManifest {
  manifest: Resource;
  warnings: string[];
}

const SELECTORS = new Set(["mem", "vcpus", "load", "vms"]);

async function children(zk: ZkClient, path: string): Promise<string[]> {
  return (await zk.children(path).catch(() => [] as string[])).sort();
}

/** Reads `base` and the given children of it at once: a getter, "" for the base's own value. */
async function readKeys<K extends string>(
  zk: ZkClient,
  base: string,
  names: readonly K[],
): Promise<(key: K | "") => string> {
  const paths = [base, ...names.map((n) => `${base}/${n}`)];
  const values = await Promise.all(paths.map((p) => zk.tryGet(p)));
  const byKey = new Map<string, string>(["", ...names].map((key, i) => [key, values[i]?.data ?? ""]));
  return (key) => byKey.get(key) ?? "";
}

/** A manifest checked by the same validation apply runs; a failure is a warning, not a stop. */
function checked(manifest: Resource, warnings: string[]): ImportedManifest {
  try {
    validateResource(manifest);
  } catch (err) {
    warnings.push(
      `the manifest does not validate, fix it by hand before applying: ${(err as Error).message}`,
    );
  }
  return { manifest, warnings };
}

const DOMAIN_KEYS = [
  "xml",
  "state",
  "node",
  "lastnode",
  "node_limit",
  "node_selector",
  "node_autostart",
  "rbdlist",
  "profile",
] as const;

async function importVm(zk: ZkClient, pvc: PvcKeys, uuid: string): Promise<ImportedManifest> {
  const k = await readKeys(zk, pvc.domain(uuid), DOMAIN_KEYS);
  const warnings: string[] = [];
  const name = k("");
  const spec: Record<string, unknown> = { xml: k("xml") };
  if (k("lastnode") !== "") {
    spec.node = k("lastnode");
    spec.migration = { node: k("node") };
  } else if (k("node") !== "") spec.node = k("node");
  const limit = k("node_limit").split(",").filter(Boolean);
  if (limit.length > 0) spec.nodeLimit = limit;
  if (SELECTORS.has(k("node_selector"))) spec.nodeSelector = k("node_selector");
  else if (k("node_selector") !== "" && k("node_selector") !== "None")
    warnings.push(
      `node_selector ${JSON.stringify(k("node_selector"))} is not one PVC knows; left to the cluster default`,
    );
  if (k("node_autostart") === "True") spec.autostart = true;
  spec.runState = runStateOfPvcState(k("state"));
  if (k("state") === "fail") warnings.push("the VM is in state fail; imported as runState stop");
  if (k("profile") !== "" && k("profile") !== "None") {
    warnings.push(
      `profile ${JSON.stringify(k("profile"))} is not carried over: a VirtualMachine is defined from spec.xml or from spec.profile, not both`,
    );
  }
  try {
    const rbd = parseDomainXml(k("xml")).rbdVolumes.join(",");
    if (rbd !== k("rbdlist"))
      warnings.push(
        `rbdlist is ${JSON.stringify(k("rbdlist"))} but the XML's RBD disks give ${JSON.stringify(rbd)}`,
      );
  } catch (err) {
    if (!(err instanceof XmlError)) throw err;
  }
  const manifest = { apiVersion: API_GROUP_VERSION, kind: "VirtualMachine", metadata: { name }, spec };
  return checked(manifest, warnings);
}

/** VMs under /domains, by name. */
export async function importVms(zk: ZkClient, pvc: PvcKeys): Promise<ImportedManifest[]> {
  const vms = await Promise.all((await children(zk, pvc.domains())).map((uuid) => importVm(zk, pvc, uuid)));
  return vms.sort((a, b) => (a.manifest.metadata.name < b.manifest.metadata.name ? -1 : 1));
}

const NODE_KEYS = ["daemonmode", "routerstate", "domainstate"] as const;

async function importNode(zk: ZkClient, pvc: PvcKeys, name: string): Promise<ImportedManifest> {
  const k = await readKeys(zk, pvc.node(name), NODE_KEYS);
  const warnings: string[] = [];
  const spec: Record<string, unknown> = {};
  if ((k("daemonmode") || k("")) === "coordinator") {
    // takeover/relinquish are on their way to primary/secondary.
    if (k("routerstate") === "primary" || k("routerstate") === "takeover") spec.coordinatorState = "primary";
    else if (k("routerstate") === "secondary" || k("routerstate") === "relinquish")
      spec.coordinatorState = "secondary";
    else warnings.push(`routerstate ${JSON.stringify(k("routerstate"))}: no coordinatorState`);
  }
  if (k("domainstate") === "flush" || k("domainstate") === "flushed") spec.domainState = "flush";
  else if (k("domainstate") === "ready" || k("domainstate") === "unflush") spec.domainState = "ready";
  else warnings.push(`domainstate ${JSON.stringify(k("domainstate"))}: no domainState`);
  if (k("domainstate") === "flush" || k("domainstate") === "unflush")
    warnings.push(
      `domainstate is ${k("domainstate")}, not finished: applying asks for it again (a fresh change)`,
    );
  const manifest = { apiVersion: API_GROUP_VERSION, kind: "Node", metadata: { name }, spec };
  return checked(manifest, warnings);
}

/** Nodes under /nodes, by name. */
export async function importNodes(zk: ZkClient, pvc: PvcKeys): Promise<ImportedManifest[]> {
  return Promise.all((await children(zk, pvc.nodes())).map((name) => importNode(zk, pvc, name)));
}
