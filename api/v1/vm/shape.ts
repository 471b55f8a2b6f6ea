/**
 * A VM as PVC v0.6's API shapes it (client-common/common.py getInformationFromXML): the domain's
 * keys (state, node, last_node, failed_reason, node_limit, node_selector, node_autostart, profile:
 * from the VirtualMachine's spec and the status the controller mirrors from `/domains/<uuid>`) and
 * what v0.6 read out of the libvirt XML (description, memory in MiB, vcpu, vcpu_topology
 * `sockets/cores/threads`, os type, arch, machine, console type, emulator, feature names, disks,
 * interfaces as `networks`, controllers), plus the XML itself. Where v0.6 crashed on an element
 * the XML lacks, the field is null.
 *
 * GET /vm at a thousand VMs is served from here: each VM's JSON text is kept until its object
 * changes (the informer hands out a new, frozen object then), and the XML is parsed once per text
 * (src/resources/domain-cache.ts). A list is the join of those texts; the whole list, the common
 * request, is kept as the bytes sent until the informer changes (its highest resourceVersion and
 * its size: every create, update and delete moves one of them). Measured at 1,000 VMs (3.5 MB of
 * JSON): joining the kept texts costs ~10 ms a request, sending the kept bytes well under 1 ms;
 * clients that accept gzip get the kept bytes' gzip (../kept-body.ts).
 */
import { definedXml } from "../../../src/pvc/domain-tree.ts";
import { tryParsedDomain } from "../../../src/resources/domain-cache.ts";
import { childElements, type XmlElement } from "../../../src/resources/domain-xml.ts";
import { memoryElementMiB } from "../../../src/resources/libvirt-xml.ts";
import type { VirtualMachine } from "../../../src/resources/specs.ts";
import type { Informer } from "../../../src/store/informer.ts";
import { KeptBody } from "../kept-body.ts";

type Json = Record<string, unknown>;

const first = (parent: XmlElement | undefined, name: string) =>
  parent ? childElements(parent, name)[0] : undefined;

function memoryMiB(root: XmlElement): number | null {
  const el = first(root, "memory");
  try {
    return el ? memoryElementMiB(el) : null;
  } catch {
    return null;
  }
}

function intOrNull(text: string | undefined): number | null {
  const t = text?.trim() ?? "";
  return /^[0-9]+$/.test(t) ? Number(t) : null;
}

function topology(root: XmlElement): string {
  const t = first(first(root, "cpu"), "topology");
  if (!t) return "N/A";
  return `${t.attrs.sockets ?? "None"}/${t.attrs.cores ?? "None"}/${t.attrs.threads ?? "None"}`;
}

function disks(devices: XmlElement | undefined): Json[] {
  return childElements(devices ?? { name: "", attrs: {}, children: [], text: "" }, "disk").map((d) => {
    const source = first(d, "source")?.attrs ?? {};
    const target = first(d, "target")?.attrs ?? {};
    const at = { dev: target.dev ?? null, bus: target.bus ?? null };
    if (d.attrs.type === "network")
      return { type: source.protocol ?? null, name: source.name ?? null, ...at };
    if (d.attrs.type === "file") return { type: "file", name: source.file ?? null, ...at };
    return {};
  });
}

function networks(devices: XmlElement | undefined): Json[] {
  return (devices ? childElements(devices, "interface") : []).map((i) => {
    const type = i.attrs.type ?? null;
    return {
      type,
      mac: first(i, "mac")?.attrs.address ?? null,
      source: type === null ? null : (first(i, "source")?.attrs[type] ?? null),
      model: first(i, "model")?.attrs.type ?? null,
    };
  });
}

function controllers(devices: XmlElement | undefined): Json[] {
  return (devices ? childElements(devices, "controller") : []).map((c) => ({
    type: c.attrs.type ?? null,
    model: c.attrs.model ?? null,
  }));
}

/** What v0.6 read out of the XML. */
function xmlDetails(root: XmlElement): Json {
  const osType = first(first(root, "os"), "type");
  const devices = first(root, "devices");
  return {
    description: first(root, "description")?.text ?? null,
    memory: memoryMiB(root),
    vcpu: intOrNull(first(root, "vcpu")?.text),
    vcpu_topology: topology(root),
    type: osType?.text.trim() ?? null,
    arch: osType?.attrs.arch ?? null,
    machine: osType?.attrs.machine ?? null,
    console: first(devices, "console")?.attrs.type ?? null,
    emulator: first(devices, "emulator")?.text.trim() ?? null,
    features: (first(root, "features")?.children ?? []).map((f) => f.name),
    disks: disks(devices),
    networks: networks(devices),
    controllers: controllers(devices),
  };
}

/** The VM's uuid: the one it defined, else its XML's. */
export function uuidOf(vm: VirtualMachine): string {
  return vm.status?.uuid ?? tryParsedDomain(definedXml(vm))?.info.uuid ?? "";
}

/** The RBD volumes (`pool/volume`) of the VM's disks. */
export function volumesOf(vm: VirtualMachine): string[] {
  return [...(tryParsedDomain(definedXml(vm))?.info.rbdVolumes ?? [])];
}

/** A VM as v0.6's getInformationFromXML returns it. */
export function toPvc(vm: VirtualMachine): Json {
  const s = vm.status ?? {};
  const xml = definedXml(vm);
  const parsed = tryParsedDomain(xml);
  const lastNode = s.lastNode ?? "";
  const head: Json = {
    name: vm.metadata.name,
    uuid: uuidOf(vm),
    state: s.state ?? "",
    node: s.node ?? "",
    last_node: lastNode,
    migrated: lastNode !== "" ? `from ${lastNode}` : "no",
    failed_reason: s.failedReason ?? "",
    node_limit: vm.spec.nodeLimit.length > 0 ? vm.spec.nodeLimit : null,
    node_selector: vm.spec.nodeSelector ?? "",
    node_autostart: s.autostart ?? vm.spec.autostart,
    profile: vm.spec.profile ?? "",
  };
  return { ...head, ...(parsed ? xmlDetails(parsed.root) : {}), xml: xml ?? "" };
}

const texts = new WeakMap<VirtualMachine, string>();

/** toPvc as JSON text, kept while the object is the same (objects are replaced on every change). */
export function pvcJson(vm: VirtualMachine): string {
  let text = texts.get(vm);
  if (text === undefined) {
    text = JSON.stringify(toPvc(vm));
    texts.set(vm, text);
  }
  return text;
}

/** A list of VMs as v0.6's JSON text. */
export function listJson(list: readonly VirtualMachine[]): string {
  return `[${list.map(pvcJson).join(",")}]`;
}

const lists = new WeakMap<object, { rv: string; size: number; body: KeptBody }>();

/** Every VM of the informer as v0.6's JSON, kept as bytes (and their gzip) until the informer changes. */
export function allVmsJson(informer: Informer<VirtualMachine>): KeptBody {
  const kept = lists.get(informer);
  if (kept && kept.rv === informer.resourceVersion && kept.size === informer.size) return kept.body;
  const fresh = {
    rv: informer.resourceVersion,
    size: informer.size,
    body: new KeptBody(Buffer.from(listJson(informer.list()))),
  };
  lists.set(informer, fresh);
  return fresh.body;
}
