/**
 * The OpenAPI description of the /api/v1 facade: PVC v0.6's manual, endpoint by endpoint (the
 * mandatory and optional values, the values' choices, the success status). The VM endpoints are
 * listed too: they are described the moment their group is served.
 *
 * Values are form values: PVC takes each from the query string or from a form body (urlencoded or
 * multipart), on any method. They are described as query parameters, with that said once.
 */
import { V1_PREFIX } from "../v1/index.ts";
import { json, pathParams, type RouteDoc, ref, routeKey } from "./route-doc.ts";

interface V1Entry {
  /** `GET /node/:node` (under /api/v1). */
  route: string;
  summary: string;
  required?: string[];
  optional?: string[];
  /** The values' choices, where the manual lists them. */
  choices?: Record<string, string[]>;
  /** The success status when not 200 (209 for GET /api/v1, 302 for login/logout). */
  ok?: number;
  /** What the success answer is when not JSON. */
  okType?: string;
}

const SELECTOR = ["mem", "vcpus", "load", "vms"];

const GENERAL: V1Entry[] = [
  { route: "GET /", summary: "The API's description (answers 209: the API is listening)", ok: 209 },
  { route: "GET /auth/login", summary: "A login form (HTML) asking for a token", okType: "text/html" },
  {
    route: "POST /auth/login",
    summary: "Start a session (a signed cookie) for a valid token",
    required: ["token"],
    ok: 302,
  },
  { route: "GET /auth/logout", summary: "End the session, for every holder of its cookie", ok: 302 },
  { route: "POST /auth/logout", summary: "End the session, for every holder of its cookie", ok: 302 },
];

const NODE: V1Entry[] = [
  { route: "GET /node", summary: "All cluster nodes", optional: ["limit"] },
  { route: "GET /node/:node", summary: "One node (as ?limit=<node> without fuzzy matching)" },
  { route: "GET /node/:node/daemon-state", summary: "The node's daemon state" },
  { route: "GET /node/:node/coordinator-state", summary: "The node's coordinator state" },
  {
    route: "POST /node/:node/coordinator-state",
    summary: "Make a coordinator primary or secondary (re-setting a state has no effect)",
    required: ["coordinator-state"],
    choices: { "coordinator-state": ["primary", "secondary"] },
  },
  { route: "GET /node/:node/domain-state", summary: "The node's domain state" },
  {
    route: "POST /node/:node/domain-state",
    summary: "Flush the node of its VMs, or make it ready again",
    required: ["domain-state"],
    choices: { "domain-state": ["flush", "ready"] },
  },
];

const VM: V1Entry[] = [
  { route: "GET /vm", summary: "All cluster VMs", optional: ["limit"] },
  {
    route: "POST /vm",
    summary: "Define a VM from Libvirt XML",
    required: ["xml"],
    optional: ["node", "limit", "selector", "autostart"],
    choices: { selector: SELECTOR },
  },
  { route: "GET /vm/:vm", summary: "One VM, by name or uuid" },
  {
    route: "POST /vm/:vm",
    summary: "Update the VM's PVC metadata (at least one value)",
    optional: ["limit", "selector", "autostart", "no-autostart"],
    choices: { selector: SELECTOR },
  },
  { route: "PUT /vm/:vm", summary: "Replace the VM's Libvirt XML", required: ["xml"], optional: ["restart"] },
  { route: "DELETE /vm/:vm", summary: "Stop and undefine the VM", optional: ["delete_disks"] },
  { route: "GET /vm/:vm/state", summary: "The VM's state" },
  {
    route: "POST /vm/:vm/state",
    summary: "Start, shut down, stop or restart the VM",
    required: ["state"],
    choices: { state: ["start", "shutdown", "stop", "restart"] },
  },
  { route: "GET /vm/:vm/node", summary: "The VM's node and last node" },
  {
    route: "POST /vm/:vm/node",
    summary: "Migrate or unmigrate the VM",
    required: ["action"],
    optional: ["node", "selector", "permanent", "force"],
    choices: { action: ["migrate", "unmigrate"], selector: SELECTOR },
  },
  { route: "GET /vm/:vm/locks", summary: "The RBD locks of the VM's volumes" },
  { route: "POST /vm/:vm/locks", summary: "Clear the RBD locks of the VM's volumes" },
];

/** The provisioner's templates, scripts and profiles (values as the manual lists them per endpoint). */
function crud(base: string, what: string, extra: V1Entry[] = []): V1Entry[] {
  const param = base.endsWith("script") ? "script" : base.endsWith("profile") ? "profile" : "template";
  return [
    { route: `GET ${base}`, summary: `All ${what}s`, optional: ["limit"] },
    { route: `POST ${base}`, summary: `Create a ${what}` },
    { route: `GET ${base}/:${param}`, summary: `One ${what}` },
    { route: `POST ${base}/:${param}`, summary: `Create a ${what} by name` },
    { route: `DELETE ${base}/:${param}`, summary: `Remove a ${what} (refused while a profile uses it)` },
    ...extra,
  ];
}

const T = "/provisioner/template";
const PROVISIONER: V1Entry[] = [
  { route: `GET ${T}`, summary: "Every template, by type", optional: ["limit"] },
  { route: `GET ${T}/:template`, summary: "The templates of that name, by type" },
  ...crud(`${T}/system`, "system template"),
  ...crud(`${T}/network`, "network template", [
    { route: `GET ${T}/network/:template/net`, summary: "The template's networks" },
    {
      route: `POST ${T}/network/:template/net`,
      summary: "Add a network (vni) to the template",
      required: ["vni"],
    },
    { route: `GET ${T}/network/:template/net/:vni`, summary: "One network of the template" },
    { route: `POST ${T}/network/:template/net/:vni`, summary: "Add that network to the template" },
    { route: `DELETE ${T}/network/:template/net/:vni`, summary: "Remove that network from the template" },
  ]),
  ...crud(`${T}/storage`, "storage template", [
    { route: `GET ${T}/storage/:template/disk`, summary: "The template's disks" },
    {
      route: `POST ${T}/storage/:template/disk`,
      summary: "Add a disk to the template",
      required: ["disk_id"],
    },
    { route: `GET ${T}/storage/:template/disk/:disk`, summary: "One disk of the template" },
    { route: `POST ${T}/storage/:template/disk/:disk`, summary: "Add that disk to the template" },
    { route: `DELETE ${T}/storage/:template/disk/:disk`, summary: "Remove that disk from the template" },
  ]),
  ...crud(`${T}/userdata`, "userdata template", [
    {
      route: `PUT ${T}/userdata/:template`,
      summary: "Replace the userdata template's data",
      required: ["data"],
    },
  ]),
  ...crud("/provisioner/script", "provisioning script", [
    { route: "PUT /provisioner/script/:script", summary: "Replace the script's text", required: ["data"] },
  ]),
  ...crud("/provisioner/profile", "provisioner profile"),
  {
    route: "POST /provisioner/create",
    summary:
      "Provision a VM from a profile (a VirtualMachine with spec.profile): 202 with its task_id and a Location to /provisioner/status/<task_id>",
    required: ["name", "profile"],
    optional: ["define_vm", "start_vm", "arg"],
    choices: { define_vm: ["true", "false"], start_vm: ["true", "false"] },
    ok: 202,
  },
  {
    route: "GET /provisioner/status/:task",
    summary:
      "A provisioning task's state (PENDING, RUNNING, SUCCESS, FAILURE), current, total and status text; 404 for an unknown id",
  },
];

const NET_OPTIONAL = [
  "domain",
  "ip4_network",
  "ip4_gateway",
  "ip6_network",
  "ip6_gateway",
  "dhcp4",
  "dhcp4_start",
  "dhcp4_end",
];

const NETWORK: V1Entry[] = [
  { route: "GET /network", summary: "All client networks (limit matches descriptions)", optional: ["limit"] },
  {
    route: "POST /network",
    summary: "Add a client network",
    required: ["vni", "description", "nettype"],
    optional: NET_OPTIONAL,
    choices: { nettype: ["bridged", "managed"] },
  },
  { route: "GET /network/:network", summary: "One network, by vni or description" },
  { route: "PUT /network/:network", summary: "Change a network's options", optional: NET_OPTIONAL },
  { route: "DELETE /network/:network", summary: "Remove a network" },
  {
    route: "GET /network/:network/lease",
    summary: "The network's DHCP leases",
    optional: ["limit", "static"],
  },
  {
    route: "POST /network/:network/lease",
    summary: "Add a static DHCP lease (reservation)",
    required: ["macaddress", "ipaddress"],
    optional: ["hostname"],
  },
  { route: "GET /network/:network/lease/:lease", summary: "One DHCP lease, by MAC address" },
  { route: "DELETE /network/:network/lease/:lease", summary: "Remove a static DHCP lease" },
  { route: "GET /network/:network/dhcp/:lease", summary: "One DHCP lease, by MAC address" },
  { route: "DELETE /network/:network/dhcp/:lease", summary: "Remove a static DHCP lease" },
  {
    route: "GET /network/:network/acl",
    summary: "The network's ACLs",
    optional: ["limit", "direction"],
    choices: { direction: ["in", "out"] },
  },
  {
    route: "POST /network/:network/acl",
    summary: "Add an NFTables ACL",
    required: ["description", "direction", "rule"],
    optional: ["order"],
    choices: { direction: ["in", "out"] },
  },
  { route: "GET /network/:network/acl/:acl", summary: "One ACL, by description" },
  {
    route: "DELETE /network/:network/acl/:acl",
    summary: "Remove an ACL",
    required: ["direction"],
    choices: { direction: ["in", "out"] },
  },
];

const CEPH = "/storage/ceph";
const REALLY = ["yes_i_really_mean_it"];

const STORAGE: V1Entry[] = [
  { route: "GET /storage", summary: "The storage subsystems (ceph)" },
  { route: `GET ${CEPH}`, summary: "Ceph cluster status (`ceph status` in ceph_data)" },
  { route: `GET ${CEPH}/status`, summary: "Ceph cluster status (alias of /storage/ceph)" },
  { route: `GET ${CEPH}/df`, summary: "Ceph cluster utilization (`rados df` in ceph_data)" },
  {
    route: `POST ${CEPH}/cluster-option`,
    summary: "Set or unset a global OSD flag (noout, noscrub…)",
    required: ["action", "option"],
    choices: { action: ["set", "unset"] },
  },
  { route: `GET ${CEPH}/osd`, summary: "All OSDs", optional: ["limit"] },
  {
    route: `POST ${CEPH}/osd`,
    summary: "Add an OSD on a node's block device",
    required: ["node", "device", "weight"],
  },
  { route: `GET ${CEPH}/osd/:osd`, summary: "One OSD, by id" },
  { route: `DELETE ${CEPH}/osd/:osd`, summary: "Remove an OSD", required: REALLY },
  { route: `GET ${CEPH}/osd/:osd/state`, summary: "The OSD's state (in/out, up/down)" },
  {
    route: `POST ${CEPH}/osd/:osd/state`,
    summary: "Set the OSD in or out",
    required: ["state"],
    choices: { state: ["in", "out"] },
  },
  { route: `GET ${CEPH}/pool`, summary: "All RBD pools", optional: ["limit"] },
  {
    route: `POST ${CEPH}/pool`,
    summary: "Add an RBD pool",
    required: ["pool", "pgs"],
    optional: ["replcfg"],
  },
  { route: `GET ${CEPH}/pool/:pool`, summary: "One RBD pool" },
  { route: `DELETE ${CEPH}/pool/:pool`, summary: "Remove an RBD pool and all its data", required: REALLY },
  { route: `GET ${CEPH}/volume`, summary: "All RBD volumes", optional: ["pool", "limit"] },
  {
    route: `POST ${CEPH}/volume`,
    summary: "Add an RBD volume (or clone source_volume)",
    required: ["volume", "pool"],
    optional: ["size", "source_volume"],
  },
  { route: `GET ${CEPH}/volume/:pool/:volume`, summary: "One RBD volume" },
  {
    route: `PUT ${CEPH}/volume/:pool/:volume`,
    summary: "Rename or resize a volume (one at a time)",
    optional: ["name", "size"],
  },
  { route: `DELETE ${CEPH}/volume/:pool/:volume`, summary: "Remove an RBD volume" },
  {
    route: `GET ${CEPH}/volume/snapshot`,
    summary: "All RBD snapshots",
    optional: ["pool", "volume", "limit"],
  },
  {
    route: `POST ${CEPH}/volume/snapshot`,
    summary: "Take an RBD snapshot",
    required: ["snapshot", "volume", "pool"],
  },
  { route: `GET ${CEPH}/volume/snapshot/:pool/:volume/:snapshot`, summary: "One RBD snapshot" },
  { route: `DELETE ${CEPH}/volume/snapshot/:pool/:volume/:snapshot`, summary: "Remove an RBD snapshot" },
];

const VALUES_NOTE =
  "Values may be given as query arguments or as a form body (urlencoded or multipart), as PVC accepts them on any method.";

function valueParams(entry: V1Entry) {
  const names = [...(entry.required ?? []), ...(entry.optional ?? [])];
  if (names.length === 0) return undefined;
  const schema = (name: string) => {
    const choices = entry.choices?.[name];
    return choices ? { type: "string", enum: choices } : { type: "string" };
  };
  return {
    type: "object",
    required: entry.required ?? [],
    properties: Object.fromEntries(names.map((n) => [n, schema(n)])),
  };
}

function successResponse(entry: V1Entry) {
  const status = entry.ok ?? 200;
  if (status === 302) return { description: "Redirect to /api/v1" };
  if (entry.okType) return { description: "OK", content: { [entry.okType]: { schema: { type: "string" } } } };
  return json(status === 209 ? "The API's description" : "PVC's JSON answer");
}

function docOf(entry: V1Entry): [string, RouteDoc] {
  const [method, path] = entry.route.split(" ");
  const url = path === "/" ? V1_PREFIX : `${V1_PREFIX}${path}`;
  const group = path.split("/")[1] || "general";
  const doc: RouteDoc = {
    summary: entry.summary,
    description: valueParams(entry) ? VALUES_NOTE : undefined,
    tags: [`/api/v1 ${group === "auth" ? "general" : group}`],
    params: pathParams(url),
    querystring: valueParams(entry),
    response: {
      [entry.ok ?? 200]: successResponse(entry),
      default: json(
        "An error, with PVC's message (400 bad value, 404 not found, 510 refused…)",
        ref("Message"),
      ),
    },
  };
  return [routeKey(method, url), doc];
}

/** Every /api/v1 route of the manual, by routeKey. */
export function v1Docs(): Record<string, RouteDoc> {
  return Object.fromEntries([...GENERAL, ...NODE, ...VM, ...NETWORK, ...STORAGE, ...PROVISIONER].map(docOf));
}
