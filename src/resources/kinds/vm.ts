/**
 * VirtualMachine: checks the libvirt XML the way PVC reads it (name, uuid, RBD disks), and that
 * placement fields agree with each other.
 */
import { parsedDomain } from "../domain-cache.ts";
import { XmlError } from "../domain-xml.ts";
import { cephVolumeName, isPoolName, isRbdName, MAX_RBD_NAME_LENGTH } from "../names.ts";
import {
  asArray,
  asString,
  isObject,
  type Json,
  type KindRules,
  metadataName,
  pointer,
  specOf,
} from "./util.ts";

/** Provisioned disks are `<vm>_<disk id>` (ids up to 5 characters, e.g. xvdaa): the VM name must leave room. */
export const MAX_PROVISIONED_VM_NAME = MAX_RBD_NAME_LENGTH - 6;

/** Splits an RBD disk source `pool/volume`; `null` unless both parts are valid names. */
export function splitRbdSource(source: string): { pool: string; volume: string } | null {
  const parts = source.split("/");
  if (parts.length !== 2 || !isPoolName(parts[0]) || !isRbdName(parts[1])) return null;
  return { pool: parts[0], volume: parts[1] };
}

export const virtualMachineRules: KindRules = {
  semantic(doc, problems) {
    const spec = specOf(doc);
    const name = metadataName(doc);
    const xml = asString(spec.xml);
    if (xml !== undefined && xml !== "") {
      const at = pointer("spec", "xml");
      try {
        const info = parsedDomain(xml).info;
        if (name !== undefined && info.name !== name) {
          problems.add(
            at,
            xml,
            `<name> is ${JSON.stringify(info.name)} but metadata.name is ${JSON.stringify(name)}; they must match`,
          );
        }
        for (const source of info.rbdVolumes) {
          if (splitRbdSource(source) === null) {
            problems.add(
              at,
              xml,
              `RBD disk source ${JSON.stringify(source)} is not <pool>/<volume> with valid names`,
            );
          }
        }
      } catch (err) {
        if (!(err instanceof XmlError)) throw err;
        problems.add(at, xml, `is not a usable libvirt domain: ${err.message}`);
      }
    }
    const profile = asString(spec.profile);
    if (profile !== undefined && name !== undefined && name.length > MAX_PROVISIONED_VM_NAME) {
      problems.add(
        pointer("metadata", "name"),
        name,
        `must be at most ${MAX_PROVISIONED_VM_NAME} characters for a provisioned VM: its disks are named <vm>_<disk id> and rbd names stop at ${MAX_RBD_NAME_LENGTH}`,
      );
    }
    const limit = asArray(spec.nodeLimit).filter((n): n is string => typeof n === "string");
    const node = asString(spec.node);
    if (node !== undefined && limit.length > 0 && !limit.includes(node)) {
      problems.add(pointer("spec", "node"), node, `must be one of spec.nodeLimit (${limit.join(", ")})`);
    }
    if (isObject(spec.migration)) {
      const target = asString(spec.migration.node);
      if (target !== undefined && limit.length > 0 && !limit.includes(target)) {
        problems.add(
          pointer("spec", "migration", "node"),
          target,
          `must be one of spec.nodeLimit (${limit.join(", ")})`,
        );
      }
      if (target !== undefined && target === node) {
        problems.add(
          pointer("spec", "migration", "node"),
          target,
          "is the home node (spec.node); remove spec.migration to run the VM at home",
        );
      }
    }
  },

  defaults(input: Json): Json {
    const spec: Json = structuredClone(input);
    spec.nodeLimit ??= [];
    spec.autostart ??= false;
    spec.runState ??= "start";
    spec.deleteDisks ??= false;
    return spec;
  },

  references(doc) {
    const spec = specOf(doc);
    const refs: { kind: string; name: string }[] = [];
    const profile = asString(spec.profile);
    if (profile !== undefined) refs.push({ kind: "ProvisionerProfile", name: profile });
    const xml = asString(spec.xml);
    if (xml !== undefined) {
      try {
        for (const source of parsedDomain(xml).info.rbdVolumes) {
          const split = splitRbdSource(source);
          if (split) refs.push({ kind: "CephVolume", name: cephVolumeName(split.pool, split.volume) });
        }
      } catch {
        // Invalid XML is reported by semantic(); it references nothing.
      }
    }
    return refs;
  },
};

export const nodeRules: KindRules = {
  semantic(doc, problems) {
    const spec = specOf(doc);
    const status = isObject(doc.status) ? doc.status : {};
    if (spec.coordinatorState !== undefined && status.daemonMode === "hypervisor") {
      problems.add(
        pointer("spec", "coordinatorState"),
        spec.coordinatorState,
        "is only for coordinators; this node runs in hypervisor mode",
      );
    }
  },
  defaults(input: Json): Json {
    return structuredClone(input);
  },
  references() {
    return [];
  },
};
