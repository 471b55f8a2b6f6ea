/**
 * The baseline of bench/v1-vm: PVC v0.6's API daemon as it served VMs, reading ZooKeeper per
 * request (api-daemon/pvcapi.py → client-common/vm.py at de8c7975): every request opens a new
 * ZooKeeper session (`startZKConnection`), then
 * - GET /vm (`get_list`): lists /domains and, for each VM one read at a time, reads its name, node
 *   and state, then `getInformationFromXML`: state, node, lastnode, failedreason, node_limit,
 *   node_selector, node_autostart, profile and the XML, which it parses;
 * - GET /vm/<name> (`get_list` with is_fuzzy=False): the same walk, with the full read for the match;
 * - POST /vm (`define_vm`): parses the XML, searches every domain's uuid and name for a clash, reads
 *   the nodes' figures (`findTargetNode`), writes the domain's keys.
 * and closes the session. A small HTTP server in this process does that, so that both sides are
 * measured through HTTP the same way. Our XML reader stands in for lxml.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { defineDomainTree } from "../src/pvc/domain-tree.ts";
import { PvcKeys } from "../src/pvc/keys.ts";
import { candidateOf, selectTargetNode } from "../src/pvc/placement.ts";
import { parseDomainXml } from "../src/resources/domain-xml.ts";
import { ZkClient } from "../src/zk/client.ts";

const INFO_KEYS = [
  "state",
  "node",
  "lastnode",
  "failedreason",
  "node_limit",
  "node_selector",
  "node_autostart",
  "profile",
  "xml",
] as const;

async function read(zk: ZkClient, path: string): Promise<string> {
  return (await zk.tryGet(path))?.data ?? "";
}

async function info(zk: ZkClient, keys: PvcKeys, uuid: string): Promise<Record<string, unknown>> {
  const v: Record<string, string> = {};
  for (const k of INFO_KEYS) v[k] = await read(zk, keys.domainKey(uuid, k));
  const parsed = parseDomainXml(v.xml);
  return {
    name: parsed.name,
    uuid,
    state: v.state,
    node: v.node,
    last_node: v.lastnode,
    migrated: v.lastnode ? `from ${v.lastnode}` : "no",
    failed_reason: v.failedreason,
    node_limit: v.node_limit ? v.node_limit.split(",") : null,
    node_selector: v.node_selector,
    node_autostart: v.node_autostart === "True",
    profile: v.profile,
    disks: parsed.disks,
    xml: v.xml,
  };
}

/** get_list: every domain's name, node and state one read at a time; the info of those that match. */
async function getList(zk: ZkClient, keys: PvcKeys, exact?: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const uuid of await zk.children(keys.domains())) {
    const name = await read(zk, keys.domain(uuid));
    await read(zk, keys.domainKey(uuid, "node"));
    await read(zk, keys.domainKey(uuid, "state"));
    if (exact === undefined || exact === name || exact === uuid) out.push(await info(zk, keys, uuid));
  }
  return out;
}

/** define_vm: parse, look for a clash in every domain, pick a node, write the keys. */
async function define(zk: ZkClient, keys: PvcKeys, xml: string): Promise<string> {
  const parsed = parseDomainXml(xml);
  for (const uuid of await zk.children(keys.domains())) {
    if (uuid === parsed.uuid || (await read(zk, keys.domain(uuid))) === parsed.name) return "exists";
  }
  const nodes = [];
  for (const name of await zk.children(keys.nodes())) {
    const v = new Map<string, string>();
    for (const k of [
      "daemonstate",
      "domainstate",
      "memused",
      "memfree",
      "memalloc",
      "vcpualloc",
      "cpuload",
      "domainscount",
    ] as const)
      v.set(k, await read(zk, keys.nodeKey(name, k)));
    nodes.push(candidateOf(name, (k) => v.get(k)));
  }
  const node = selectTargetNode(nodes, { selector: "mem", nodeLimit: "", currentNode: "" }) ?? "";
  const def = {
    uuid: parsed.uuid,
    name: parsed.name,
    xml,
    rbdList: parsed.rbdVolumes,
    nodeLimit: [],
    nodeSelector: "mem",
  };
  const tree = defineDomainTree(keys, def, { node, autostart: false });
  await zk.multi([...tree].map(([path, data]) => ({ op: "create" as const, path, data })));
  return "added";
}

export interface BaselineServer {
  url: string;
  close(): Promise<void>;
}

/** Serves GET /vm, GET /vm/<name> and POST /vm (body: the XML) the v0.6 way. */
export async function startBaseline(connectString: string, pvcRoot: string): Promise<BaselineServer> {
  const keys = new PvcKeys(pvcRoot);
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", async () => {
      const zk = await ZkClient.connect({ connectString });
      try {
        const path = (req.url ?? "").split("?")[0];
        let out: unknown;
        if (req.method === "POST") out = { message: await define(zk, keys, body) };
        else if (path === "/vm") out = await getList(zk, keys);
        else out = await getList(zk, keys, decodeURIComponent(path.slice("/vm/".length)));
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
      } catch (err) {
        res.writeHead(500).end(String(err));
      } finally {
        zk.close();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
