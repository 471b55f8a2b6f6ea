/**
 * libvirt domain XML from a structured description, and that description read back from XML, for
 * the provisioner (which builds a VM's definition from its templates) and the VM kind.
 *
 * Building goes through fast-xml-parser's XMLBuilder, so every name and value is escaped by the
 * library, never spliced into a text template as PVC's provisioner did. Reading goes through the
 * project's one XML reader (domain-xml.ts). The description covers what PVC's provisioner writes:
 * name, uuid, description, memory, vCPUs, RBD network disks (with the Ceph monitors) or file disks,
 * bridge interfaces on `vmbr<vni>`, a serial console and VNC. The fixed parts of PVC's template
 * (features, clock, lifecycle actions, RNG, the virtio-scsi controller) are written but are not
 * part of the description; `readDomainSpec` leaves out devices the description cannot hold (a
 * CD-ROM, a block disk, an interface on another bridge).
 */
import { XMLBuilder } from "fast-xml-parser";
import { ErrorCodes, PvcError } from "../errors.ts";
import {
  childElements,
  domainInfoOf,
  parseXml,
  UUID_PATTERN,
  type XmlElement,
  XmlError,
} from "./domain-xml.ts";
import { isPoolName, isRbdName } from "./names.ts";
import { normalizeMac, parseIp } from "./net.ts";

export type DiskBus = "scsi" | "virtio" | "sata" | "ide" | "usb";
const BUSES: readonly string[] = ["scsi", "virtio", "sata", "ide", "usb"];

export interface CephMonitor {
  host: string;
  port: number;
}

export interface RbdDiskSpec {
  kind: "rbd";
  pool: string;
  volume: string;
  /** Guest device, e.g. `sda` (PVC's disk_id). */
  target: string;
  bus: DiskBus;
  /** The cluster's monitors: qemu connects to them, not to a local ceph.conf. */
  monitors: CephMonitor[];
  /** cephx user and the libvirt secret holding its key; absent when the cluster runs without cephx. */
  auth?: { username: string; secretUuid: string };
}

export interface FileDiskSpec {
  kind: "file";
  path: string;
  target: string;
  bus: DiskBus;
  readOnly: boolean;
}

export type DiskSpec = RbdDiskSpec | FileDiskSpec;

export interface InterfaceSpec {
  /** The PVC network: the interface joins its bridge `vmbr<vni>`. */
  vni: number;
  /** Lowercase, colon-separated. */
  mac: string;
  /** Emulated NIC model, e.g. `virtio`, `e1000`. */
  model: string;
}

export interface VncSpec {
  /** Address the VNC server listens on. */
  listen: string;
  /** Fixed port; absent: libvirt picks a free one (autoport). */
  port?: number;
}

export interface DomainSpec {
  name: string;
  uuid: string;
  description?: string;
  type: "kvm" | "qemu";
  arch: string;
  machine?: string;
  memoryMiB: number;
  vcpus: number;
  disks: DiskSpec[];
  interfaces: InterfaceSpec[];
  /** A pty serial console logged to PVC's console log file, and the console on it. */
  serial: boolean;
  vnc?: VncSpec;
}

/** What buildDomainXml takes: a DomainSpec whose usual values may be left out. */
export type DomainSpecInput = Omit<DomainSpec, "type" | "arch" | "disks" | "interfaces" | "serial"> & {
  type?: DomainSpec["type"];
  arch?: string;
  disks?: (
    | (Omit<RbdDiskSpec, "bus"> & { bus?: DiskBus })
    | (Omit<FileDiskSpec, "bus" | "readOnly"> & { bus?: DiskBus; readOnly?: boolean })
  )[];
  interfaces?: (Omit<InterfaceSpec, "model"> & { model?: string })[];
  serial?: boolean;
};

/** PVC's bridge for a VM's interface on network `vni` (bridged and managed networks alike). */
export function vmBridgeName(vni: number): string {
  return `vmbr${vni}`;
}

/** The vni of a PVC bridge name (`vmbr<vni>`), or undefined for any other bridge. */
export function vniOfBridge(bridge: string | undefined): number | undefined {
  const m = bridge?.match(/^vmbr([1-9][0-9]{0,7})$/);
  return m ? Number(m[1]) : undefined;
}

/** Where PVC's node daemon reads a VM's serial console log (its `consolelog` key). */
export function consoleLogPath(vmName: string): string {
  return `/var/log/libvirt/${vmName}.log`;
}

/** libvirt's memory units (formatdomain.html#memory-allocation); without a unit, KiB. */
const UNIT_BYTES: Readonly<Record<string, number>> = Object.freeze({
  b: 1,
  bytes: 1,
  kb: 1000,
  k: 1024,
  kib: 1024,
  mb: 1000 ** 2,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1000 ** 4,
  t: 1024 ** 4,
  tib: 1024 ** 4,
});

/** A libvirt memory element's size in whole MiB (rounded down, as the node daemon does); throws XmlError. */
export function memoryElementMiB(el: XmlElement): number {
  const unit = (el.attrs.unit ?? "KiB").toLowerCase();
  // hasOwn: a unit spelled like an Object.prototype member (constructor) is unknown, not a function.
  const factor = Object.hasOwn(UNIT_BYTES, unit) ? UNIT_BYTES[unit] : undefined;
  if (factor === undefined) throw new XmlError(`unknown unit "${el.attrs.unit}" in <${el.name}>`);
  const text = el.text.trim();
  if (!/^[0-9]{1,20}$/.test(text)) throw new XmlError(`<${el.name}> is not an integer: "${text}"`);
  return Math.floor((Number(text) * factor) / 1024 ** 2);
}

// --- checking a description --------------------------------------------------------------------

const UUID_RE = new RegExp(UUID_PATTERN);
/** XML 1.0 cannot carry these characters at all, escaped or not. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NOT_XML_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
const NAME_RE = /^\S(?:[^\t\n\r]*\S)?$/;
const NAME_RULE = "a name without tabs or line ends, not starting or ending with a space";
const TARGET_RE = /^(sd|vd|hd|xvd)[a-z]{1,3}$/;
const HOSTNAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9]{0,62})(\.[A-Za-z0-9]([-A-Za-z0-9]{0,62}))*$/;

function invalid(field: string, value: unknown, why: string): PvcError {
  return new PvcError(
    ErrorCodes.LIBVIRT_DOMAIN_INVALID,
    `libvirt domain: ${field}: ${why}, got ${JSON.stringify(value) ?? String(value)}`,
    { details: { field, value } },
  );
}

function text(field: string, value: unknown, pattern?: RegExp, rule?: string): string {
  if (typeof value !== "string" || value === "") throw invalid(field, value, "must be a non-empty string");
  if (NOT_XML_TEXT.test(value)) throw invalid(field, value, "must not contain control characters");
  if (pattern && !pattern.test(value)) throw invalid(field, value, `must be ${rule}`);
  return value;
}

function integer(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, value, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function bus(field: string, value: unknown): DiskBus {
  if (value === undefined) return "scsi";
  if (typeof value !== "string" || !BUSES.includes(value))
    throw invalid(field, value, `must be one of ${BUSES.join(", ")}`);
  return value as DiskBus;
}

function host(field: string, value: unknown): string {
  const h = text(field, value);
  if (parseIp(h) === null && !HOSTNAME_RE.test(h))
    throw invalid(field, value, "must be a host name or an IP address");
  return h;
}

function checkDisk(d: NonNullable<DomainSpecInput["disks"]>[number], at: string): DiskSpec {
  const target = text(`${at}.target`, d.target, TARGET_RE, "a guest disk device such as sda or vdb");
  if (d.kind === "rbd") {
    const pool = text(`${at}.pool`, d.pool);
    if (!isPoolName(pool)) throw invalid(`${at}.pool`, pool, "must be a Ceph pool name");
    const volume = text(`${at}.volume`, d.volume);
    if (!isRbdName(volume)) throw invalid(`${at}.volume`, volume, "must be an RBD image name");
    if (!Array.isArray(d.monitors) || d.monitors.length === 0) {
      throw invalid(`${at}.monitors`, d.monitors, "must list at least one Ceph monitor");
    }
    const monitors = d.monitors.map((m, j) => ({
      host: host(`${at}.monitors[${j}].host`, m?.host),
      port: integer(`${at}.monitors[${j}].port`, m?.port, 1, 65535),
    }));
    const disk: RbdDiskSpec = { kind: "rbd", pool, volume, target, bus: bus(`${at}.bus`, d.bus), monitors };
    if (d.auth !== undefined) {
      disk.auth = {
        username: text(`${at}.auth.username`, d.auth.username, /^[A-Za-z0-9_.-]+$/, "a cephx user name"),
        secretUuid: text(`${at}.auth.secretUuid`, d.auth.secretUuid, UUID_RE, "a lowercase UUID"),
      };
    }
    return disk;
  }
  if (d.kind === "file") {
    // An attribute: XML parsers (libvirt's too) turn its tabs and line ends into spaces.
    const path = text(`${at}.path`, d.path, /^\/[^\0\t\n\r]*$/, "an absolute path without tabs or line ends");
    const readOnly = d.readOnly ?? false;
    if (typeof readOnly !== "boolean") throw invalid(`${at}.readOnly`, readOnly, "must be true or false");
    return { kind: "file", path, target, bus: bus(`${at}.bus`, d.bus), readOnly };
  }
  throw invalid(`${at}.kind`, (d as { kind?: unknown }).kind, `must be "rbd" or "file"`);
}

/** The full description buildDomainXml writes: defaults filled in, every field checked. */
export function normalizeDomainSpec(input: DomainSpecInput): DomainSpec {
  const spec: DomainSpec = {
    // The reader (like libvirt) trims <name> and reads CR LF as LF: such names would not read back.
    name: text("name", text("name", input.name, /^[^/]+$/, "a name without '/'"), NAME_RE, NAME_RULE),
    uuid: text("uuid", input.uuid, UUID_RE, "a lowercase RFC 4122 UUID"),
    type: input.type ?? "kvm",
    arch: text("arch", input.arch ?? "x86_64", /^[a-z0-9_]+$/, "a libvirt architecture such as x86_64"),
    memoryMiB: integer("memoryMiB", input.memoryMiB, 1, 2 ** 40),
    vcpus: integer("vcpus", input.vcpus, 1, 4096),
    disks: (input.disks ?? []).map((d, i) => checkDisk(d, `disks[${i}]`)),
    interfaces: (input.interfaces ?? []).map((n, i) => {
      const mac = normalizeMac(n.mac);
      if (mac === null) throw invalid(`interfaces[${i}].mac`, n.mac, "must be a MAC address");
      return {
        vni: integer(`interfaces[${i}].vni`, n.vni, 1, 16777215),
        mac,
        model: text(
          `interfaces[${i}].model`,
          n.model ?? "virtio",
          /^[a-z0-9_-]+$/,
          "a NIC model such as virtio",
        ),
      };
    }),
    serial: input.serial ?? false,
  };
  if (spec.type !== "kvm" && spec.type !== "qemu")
    throw invalid("type", spec.type, `must be "kvm" or "qemu"`);
  if (typeof spec.serial !== "boolean") throw invalid("serial", spec.serial, "must be true or false");
  if (input.description !== undefined) {
    if (typeof input.description !== "string" || NOT_XML_TEXT.test(input.description)) {
      throw invalid("description", input.description, "must be text without control characters");
    }
    // XML reads every line end as \n: stored so, the description reads back as written.
    spec.description = input.description.replace(/\r\n?/g, "\n");
  }
  if (input.machine !== undefined) {
    spec.machine = text("machine", input.machine, /^[A-Za-z0-9_.-]+$/, "a machine type such as pc-q35-7.2");
  }
  const targets = new Set<string>();
  spec.disks.forEach((d, i) => {
    if (targets.has(d.target))
      throw invalid(`disks[${i}].target`, d.target, "is already used by another disk");
    targets.add(d.target);
  });
  if (input.vnc !== undefined) {
    const listen = text("vnc.listen", input.vnc.listen);
    if (parseIp(listen) === null) throw invalid("vnc.listen", listen, "must be an IP address");
    spec.vnc = { listen };
    if (input.vnc.port !== undefined) spec.vnc.port = integer("vnc.port", input.vnc.port, 5900, 65535);
  }
  return spec;
}

// --- building ----------------------------------------------------------------------------------

const BUILDER_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
  processEntities: true,
};
const builder = new XMLBuilder(BUILDER_OPTIONS);

type Node = Record<string, unknown>;

function diskNode(d: DiskSpec): Node {
  if (d.kind === "file") {
    const node: Node = {
      "@_type": "file",
      "@_device": "disk",
      driver: { "@_name": "qemu", "@_type": "raw" },
      source: { "@_file": d.path },
      target: { "@_dev": d.target, "@_bus": d.bus },
    };
    if (d.readOnly) node.readonly = "";
    return node;
  }
  const node: Node = {
    "@_type": "network",
    "@_device": "disk",
    driver: { "@_name": "qemu", "@_discard": "unmap" },
  };
  if (d.auth)
    node.auth = { "@_username": d.auth.username, secret: { "@_type": "ceph", "@_uuid": d.auth.secretUuid } };
  node.source = {
    "@_protocol": "rbd",
    "@_name": `${d.pool}/${d.volume}`,
    host: d.monitors.map((m) => ({ "@_name": m.host, "@_port": m.port })),
  };
  node.target = { "@_dev": d.target, "@_bus": d.bus };
  return node;
}

/** libvirt domain XML for a description; throws PvcError LIBVIRT_DOMAIN_INVALID naming a bad field. */
export function buildDomainXml(input: DomainSpecInput): string {
  const spec = normalizeDomainSpec(input);
  const devices: Node = {};
  if (spec.disks.some((d) => d.bus === "scsi")) {
    devices.controller = { "@_type": "scsi", "@_index": 0, "@_model": "virtio-scsi" };
  }
  if (spec.disks.length > 0) devices.disk = spec.disks.map(diskNode);
  if (spec.interfaces.length > 0) {
    devices.interface = spec.interfaces.map((n) => ({
      "@_type": "bridge",
      mac: { "@_address": n.mac },
      source: { "@_bridge": vmBridgeName(n.vni) },
      model: { "@_type": n.model },
    }));
  }
  if (spec.serial) {
    devices.serial = { "@_type": "pty", log: { "@_file": consoleLogPath(spec.name), "@_append": "on" } };
    devices.console = { "@_type": "pty" };
  }
  if (spec.vnc) {
    devices.graphics = {
      "@_type": "vnc",
      "@_port": spec.vnc.port ?? -1,
      "@_autoport": spec.vnc.port === undefined ? "yes" : "no",
      "@_listen": spec.vnc.listen,
    };
  }
  devices.rng = { "@_model": "virtio", backend: { "@_model": "random", "#text": "/dev/urandom" } };
  const domain: Node = { "@_type": spec.type, name: spec.name, uuid: spec.uuid };
  if (spec.description !== undefined) domain.description = spec.description;
  domain.memory = { "@_unit": "MiB", "#text": spec.memoryMiB };
  domain.vcpu = spec.vcpus;
  domain.cpu = { topology: { "@_sockets": 1, "@_cores": spec.vcpus, "@_threads": 1 } };
  const osType: Node = { "@_arch": spec.arch, "#text": "hvm" };
  if (spec.machine !== undefined) osType["@_machine"] = spec.machine;
  domain.os = { type: osType, boot: { "@_dev": "hd" } };
  domain.features = { acpi: "", apic: "" };
  domain.clock = { "@_offset": "utc" };
  domain.on_poweroff = "destroy";
  domain.on_reboot = "restart";
  domain.on_crash = "restart";
  domain.devices = devices;
  return builder.build({ domain }) as string;
}

// --- reading -----------------------------------------------------------------------------------

function first(parent: XmlElement | undefined, name: string): XmlElement | undefined {
  return parent ? childElements(parent, name)[0] : undefined;
}

function readDisk(disk: XmlElement, i: number): DiskSpec | undefined {
  if ((disk.attrs.device ?? "disk") !== "disk") return undefined;
  const source = first(disk, "source");
  const target = first(disk, "target");
  const dev = target?.attrs.dev;
  if (dev === undefined) throw new XmlError(`disk ${i + 1} has no <target dev=...>`);
  const diskBus = (target?.attrs.bus ?? "scsi") as DiskBus;
  if (disk.attrs.type === "network" && source?.attrs.protocol === "rbd") {
    const name = source.attrs.name ?? "";
    const slash = name.indexOf("/");
    if (slash < 1) throw new XmlError(`disk ${i + 1}: RBD source "${name}" is not <pool>/<volume>`);
    const monitors = childElements(source, "host").map((h) => ({
      host: h.attrs.name ?? "",
      port: Number(h.attrs.port ?? 6789),
    }));
    const spec: RbdDiskSpec = {
      kind: "rbd",
      pool: name.slice(0, slash),
      volume: name.slice(slash + 1),
      target: dev,
      bus: diskBus,
      monitors,
    };
    const auth = first(disk, "auth");
    const secret = first(auth, "secret");
    if (auth?.attrs.username !== undefined && secret?.attrs.uuid !== undefined) {
      spec.auth = { username: auth.attrs.username, secretUuid: secret.attrs.uuid };
    }
    return spec;
  }
  if (disk.attrs.type === "file" && source?.attrs.file !== undefined) {
    return {
      kind: "file",
      path: source.attrs.file,
      target: dev,
      bus: diskBus,
      readOnly: first(disk, "readonly") !== undefined,
    };
  }
  return undefined;
}

/** The description of a domain XML (the inverse of buildDomainXml); throws XmlError. */
export function readDomainSpec(xml: string): DomainSpec {
  const root = parseXml(xml);
  const info = domainInfoOf(root);
  const memory = first(root, "memory");
  if (!memory) throw new XmlError("<domain> has no <memory>");
  const vcpu = first(root, "vcpu");
  const vcpus = vcpu ? Number(vcpu.attrs.current ?? vcpu.text.trim()) : 1;
  if (!Number.isInteger(vcpus) || vcpus < 1)
    throw new XmlError(`<vcpu> is not a positive integer: "${vcpu?.text.trim()}"`);
  const type = root.attrs.type ?? "kvm";
  if (type !== "kvm" && type !== "qemu") throw new XmlError(`<domain type="${type}"> is not kvm or qemu`);
  const osType = first(first(root, "os"), "type");
  const devices = first(root, "devices");
  const spec: DomainSpec = {
    name: info.name,
    uuid: info.uuid,
    type,
    arch: osType?.attrs.arch ?? "x86_64",
    memoryMiB: memoryElementMiB(memory),
    vcpus,
    disks: [],
    interfaces: [],
    serial: false,
  };
  const description = first(root, "description");
  if (description) spec.description = description.text;
  if (osType?.attrs.machine !== undefined) spec.machine = osType.attrs.machine;
  if (!devices) return spec;
  childElements(devices, "disk").forEach((disk, i) => {
    const d = readDisk(disk, i);
    if (d) spec.disks.push(d);
  });
  for (const iface of childElements(devices, "interface")) {
    const vni = vniOfBridge(first(iface, "source")?.attrs.bridge);
    const mac = normalizeMac(first(iface, "mac")?.attrs.address ?? "");
    if (iface.attrs.type !== "bridge" || vni === undefined || mac === null) continue;
    spec.interfaces.push({ vni, mac, model: first(iface, "model")?.attrs.type ?? "virtio" });
  }
  spec.serial = childElements(devices, "serial").some((s) => s.attrs.type === "pty");
  const vnc = childElements(devices, "graphics").find((g) => g.attrs.type === "vnc");
  if (vnc) {
    spec.vnc = { listen: vnc.attrs.listen ?? "127.0.0.1" };
    if (vnc.attrs.autoport !== "yes" && vnc.attrs.port !== undefined && vnc.attrs.port !== "-1") {
      spec.vnc.port = Number(vnc.attrs.port);
    }
  }
  return spec;
}

// --- giving a definition its uuid ----------------------------------------------------------------

const orderedBuilder = new XMLBuilder({ ...BUILDER_OPTIONS, preserveOrder: true });

/** An element as the ordered builder takes it. Mixed content does not occur in libvirt XML: an element has text or children. */
function orderedNode(el: XmlElement): Node {
  const attrs: Node = {};
  for (const [k, v] of Object.entries(el.attrs)) attrs[`@_${k}`] = v;
  const content =
    el.children.length > 0 ? el.children.map(orderedNode) : el.text === "" ? [] : [{ "#text": el.text }];
  return Object.keys(attrs).length > 0 ? { [el.name]: content, ":@": attrs } : { [el.name]: content };
}

/**
 * The domain XML with `<uuid>` set to `uuid` (after `<name>`), for a definition that has none (PVC
 * keys a VM by it; libvirt would invent one). The document is read with the project's reader and
 * written again by the library's builder, so it comes back re-indented (PVC v0.6's API also stored
 * its own pretty-printed copy of what it was given). Throws XmlError for a document that is not a
 * `<domain>` with one `<name>`.
 */
export function withDomainUuid(xml: string, uuid: string): string {
  if (!UUID_RE.test(uuid)) throw invalid("uuid", uuid, "must be a lowercase RFC 4122 UUID");
  const root = parseXml(xml);
  if (root.name !== "domain") throw new XmlError(`root element is <${root.name}>, expected <domain>`);
  const names = childElements(root, "name");
  if (names.length !== 1) throw new XmlError(`<domain> has ${names.length} <name> elements`);
  const children = root.children.filter((c) => c.name !== "uuid");
  const at = children.indexOf(names[0]) + 1;
  children.splice(at, 0, { name: "uuid", attrs: Object.create(null), children: [], text: uuid });
  return (orderedBuilder.build([orderedNode({ ...root, children })]) as string).trim();
}
