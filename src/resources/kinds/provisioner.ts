/**
 * Provisioner kinds: the templates, the script and the profile. Rules come from PVC's
 * provisioner (client-api/api_lib/pvcapi_provisioner.py at de8c7975): a mountpoint needs a
 * filesystem, MAC templates fill {prefix} {vmid} {netid}, script arguments are stored as
 * `name=value` joined by `|` and passed as keyword arguments next to the built-in ones.
 */
import { cephVolumeName } from "../names.ts";
import { isValidMac } from "../net.ts";
import {
  asArray,
  asString,
  checkUnique,
  isObject,
  type Json,
  type KindRules,
  pointer,
  specOf,
} from "./util.ts";

/** Keyword arguments PVC's provisioner always passes to install(); a profile may not reuse them. */
export const RESERVED_SCRIPT_ARGUMENTS = [
  "vm_name",
  "vm_id",
  "temporary_directory",
  "disks",
  "networks",
] as const;

/** PVC's MAC prefix for generated addresses (QEMU/KVM's OUI). */
export const MAC_PREFIX = "52:54:00";

/** Fills a network template's MAC template as PVC does (vmid and netid: one hex digit each). */
export function fillMacTemplate(template: string, vmId: number, netId: number): string {
  return template
    .replaceAll("{prefix}", MAC_PREFIX)
    .replaceAll("{vmid}", (vmId % 16).toString(16))
    .replaceAll("{netid}", (netId % 16).toString(16));
}

const noRefs = () => [];
const copy = (input: Json): Json => structuredClone(input);

export const systemTemplateRules: KindRules = {
  semantic(doc, problems) {
    const spec = specOf(doc);
    if (spec.vncBind !== undefined && spec.vnc !== true) {
      problems.add(pointer("spec", "vncBind"), spec.vncBind, "needs spec.vnc: true");
    }
  },
  defaults(input) {
    const spec = copy(input);
    spec.serial ??= false;
    spec.vnc ??= false;
    spec.nodeLimit ??= [];
    spec.startWithNode ??= false;
    return spec;
  },
  references: noRefs,
};

export const networkTemplateRules: KindRules = {
  semantic(doc, problems) {
    const spec = specOf(doc);
    const template = asString(spec.macTemplate);
    if (template !== undefined) {
      const at = pointer("spec", "macTemplate");
      const unknown = template.match(/\{(?!prefix\}|vmid\}|netid\})[^}]*\}/);
      if (unknown) {
        problems.add(
          at,
          template,
          `has an unknown placeholder ${unknown[0]} (known: {prefix} {vmid} {netid})`,
        );
      } else if (
        !isValidMac(fillMacTemplate(template, 0, 0)) ||
        fillMacTemplate(template, 0, 0).includes("-")
      ) {
        problems.add(
          at,
          template,
          `must give a MAC address, e.g. {prefix}:ff:f6:{vmid}{netid} (gives ${fillMacTemplate(template, 0, 0)})`,
        );
      }
    }
    checkUnique(
      problems,
      asArray(spec.networks),
      (n) => (typeof n.vni === "number" ? String(n.vni) : undefined),
      (i) => pointer("spec", "networks", i, "vni"),
      "the VNI",
      (n) => n.vni,
    );
  },
  defaults(input) {
    const spec = copy(input);
    spec.networks ??= [];
    return spec;
  },
  references: noRefs,
};

export const storageTemplateRules: KindRules = {
  semantic(doc, problems) {
    const spec = specOf(doc);
    const disks = asArray(spec.disks);
    const images = asArray(spec.images);
    const seen = new Map<string, string>();
    const entries: [string, unknown[]][] = [
      ["disks", disks],
      ["images", images],
    ];
    for (const [list, items] of entries) {
      items.forEach((item, i) => {
        if (!isObject(item)) return;
        const id = asString(item.id);
        if (id === undefined) return;
        const at = pointer("spec", list, i, "id");
        const first = seen.get(id);
        if (first !== undefined) problems.add(at, id, `duplicates the device id of ${first}`);
        else seen.set(id, at);
      });
    }
    disks.forEach((disk, i) => {
      if (!isObject(disk) || disk.filesystem !== undefined) return;
      if (disk.mountpoint !== undefined) {
        problems.add(
          pointer("spec", "disks", i, "mountpoint"),
          disk.mountpoint,
          "needs a filesystem on the disk",
        );
      }
      if (asArray(disk.filesystemArgs).length > 0) {
        problems.add(
          pointer("spec", "disks", i, "filesystemArgs"),
          disk.filesystemArgs,
          "needs a filesystem on the disk",
        );
      }
    });
    checkUnique(
      problems,
      disks,
      (d) => asString(d.mountpoint),
      (i) => pointer("spec", "disks", i, "mountpoint"),
      "the mountpoint",
    );
  },
  defaults(input) {
    const spec = copy(input);
    spec.disks = asArray(spec.disks).map((d) =>
      isObject(d) ? { ...d, filesystemArgs: d.filesystemArgs ?? [] } : d,
    );
    spec.images ??= [];
    return spec;
  },
  references(doc) {
    const spec = specOf(doc);
    const refs: { kind: string; name: string }[] = [];
    for (const d of asArray(spec.disks)) {
      if (isObject(d) && typeof d.pool === "string") refs.push({ kind: "CephPool", name: d.pool });
    }
    for (const img of asArray(spec.images)) {
      if (isObject(img) && typeof img.pool === "string" && typeof img.volume === "string") {
        refs.push({ kind: "CephPool", name: img.pool });
        refs.push({ kind: "CephVolume", name: cephVolumeName(img.pool, img.volume) });
      }
    }
    return refs;
  },
};

export const userdataTemplateRules: KindRules = { semantic() {}, defaults: copy, references: noRefs };

export const provisionerScriptRules: KindRules = {
  semantic(doc, problems) {
    const data = asString(specOf(doc).data);
    if (data !== undefined && data !== "" && !/^def[ \t]+install[ \t]*\(/m.test(data)) {
      problems.add(pointer("spec", "data"), data, "must define a top-level function install(**kwargs)");
    }
  },
  defaults: copy,
  references: noRefs,
};

export const provisionerProfileRules: KindRules = {
  semantic(doc, problems) {
    const args = specOf(doc).arguments;
    if (!isObject(args)) return;
    for (const [name, value] of Object.entries(args)) {
      const at = pointer("spec", "arguments", name);
      if ((RESERVED_SCRIPT_ARGUMENTS as readonly string[]).includes(name)) {
        problems.add(
          at,
          value,
          `is a built-in argument of install() (${RESERVED_SCRIPT_ARGUMENTS.join(", ")}); choose another name`,
        );
      } else if (typeof value === "string" && /[|=]/.test(value)) {
        problems.add(at, value, "must not contain | or = (PVC stores arguments as name=value joined by |)");
      }
    }
  },
  defaults(input) {
    const spec = copy(input);
    const args = isObject(spec.arguments) ? spec.arguments : {};
    spec.arguments = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, String(v)]));
    return spec;
  },
  references(doc) {
    const spec = specOf(doc);
    const pairs: [string, string][] = [
      ["SystemTemplate", "systemTemplate"],
      ["NetworkTemplate", "networkTemplate"],
      ["StorageTemplate", "storageTemplate"],
      ["UserdataTemplate", "userdataTemplate"],
      ["ProvisionerScript", "script"],
    ];
    return pairs.flatMap(([kind, field]) =>
      typeof spec[field] === "string" ? [{ kind, name: spec[field] as string }] : [],
    );
  },
};
