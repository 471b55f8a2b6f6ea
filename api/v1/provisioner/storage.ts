/**
 * /provisioner/template/storage: StorageTemplate objects and their `disk` elements (disk_id,
 * pool, disk_size in GB, filesystem, repeated filesystem_arg, mountpoint). The store's rules
 * refuse a mountpoint or filesystem_arg without a filesystem, naming the field and value.
 */
import type { FastifyReply } from "fastify";
import type { StorageDisk } from "../../../src/resources/specs.ts";
import type { FacadeDeps, FacadeHandler } from "../facade.ts";
import { notFound } from "../facade.ts";
import { getValue, getValues, readValues, type Values } from "../values.ts";
import { editSpec, nameOf, objectOf, q, refusal, refuse, wholeNumber, writeAnswer } from "./common.ts";
import { type ByTemplate, deleteHandler, getHandler, type KindWords, listHandler } from "./listing.ts";
import { disksOf, idsOf, storageTemplateOf } from "./shape.ts";

export const STORAGE: KindWords<"StorageTemplate"> = {
  kind: "StorageTemplate",
  one: "storage template",
  none: "No storage templates found",
  show: storageTemplateOf,
};

type ByDisk = ByTemplate & { disk: string };

/**
 * The manual's third disk example posts `-d "disk_size=4\&…filesystem_arg='-L=log'"`: inside
 * double quotes the shell keeps the `\` and the `'`, so values arrive as `4\` and `'-L=log'`.
 * Neither can be meant (no size ends in `\`, no mkfs option starts with `'`): both are dropped.
 */
export function manualText(text: string): string {
  const t = text.endsWith("\\") ? text.slice(0, -1) : text;
  return /^'.*'$/s.test(t) ? t.slice(1, -1) : t;
}

function cleaned(v: Values): Values {
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [
      k.replace(/^\\/, ""),
      typeof x === "string" ? manualText(x) : x.map(manualText),
    ]),
  );
}

export const createStorageTemplate: FacadeHandler<Partial<ByTemplate>> = async (deps, request, reply) => {
  const name = request.params.template ?? nameOf(readValues(request));
  if (!name) return refuse(reply, "ERROR: A name must be specified.");
  if (deps.informer("StorageTemplate").get(name))
    return refuse(reply, `ERROR: The storage template ${q(name)} already exists.`);
  return writeAnswer(
    reply,
    () => deps.store.create(objectOf("StorageTemplate", name, {})),
    `Added new storage template ${q(name)}`,
  );
};

function missing(reply: FastifyReply, name: string): FastifyReply {
  return refuse(reply, `ERROR: The storage template ${q(name)} does not exist.`);
}

function disks(deps: FacadeDeps, name: string, disk?: string) {
  const all = deps.informer("StorageTemplate").list();
  const t = all.find((o) => o.metadata.name === name);
  if (!t) return [];
  return disksOf(t, idsOf(all).get(name) ?? 0).filter((d) => disk === undefined || d.disk_id === disk);
}

export const listDisks: FacadeHandler<ByTemplate> = async (deps, request, reply) => {
  const out = disks(deps, request.params.template);
  return out.length === 0 ? notFound(reply, "No storage template disks found") : out;
};

export const getDisk: FacadeHandler<ByDisk> = async (deps, request, reply) => {
  const out = disks(deps, request.params.template, request.params.disk);
  return out.length === 0 ? notFound(reply, "No storage template disks found") : out;
};

/** A disk from the values (disk_size, or v0.6's column name disk_size_gb), or the first problem. */
function diskOf(v: Values, id: string | undefined): StorageDisk | string {
  if (!id) return "ERROR: A disk_id value must be specified.";
  const pool = getValue(v, "pool");
  if (!pool) return "ERROR: A pool value must be specified.";
  const key = getValue(v, "disk_size") !== undefined ? "disk_size" : "disk_size_gb";
  const size = wholeNumber(v, key, "The disk size in GB");
  if (size === undefined) return "ERROR: A disk_size value must be specified.";
  if (typeof size === "string") return size;
  const disk: StorageDisk = { id, pool, sizeGiB: size, filesystemArgs: getValues(v, "filesystem_arg") };
  const filesystem = getValue(v, "filesystem");
  if (filesystem) disk.filesystem = filesystem;
  const mountpoint = getValue(v, "mountpoint");
  if (mountpoint) disk.mountpoint = mountpoint;
  return disk;
}

export const addDisk: FacadeHandler<ByTemplate & Partial<ByDisk>> = async (deps, request, reply) => {
  const name = request.params.template;
  const v = cleaned(readValues(request));
  const disk = diskOf(v, request.params.disk ?? getValue(v, "disk_id"));
  if (typeof disk === "string") return refuse(reply, disk);
  if (!(await deps.store.tryGet("StorageTemplate", name))) return missing(reply, name);
  return writeAnswer(
    reply,
    () =>
      editSpec(deps, "StorageTemplate", name, (spec) => {
        if (spec.disks.some((d) => d.id === disk.id))
          throw refusal(`The disk ${q(disk.id)} in storage template ${q(name)} already exists.`);
        return { ...spec, disks: [...spec.disks, disk] };
      }),
    `Added new disk ${q(disk.id)} to storage template ${q(name)}`,
  );
};

export const removeDisk: FacadeHandler<ByDisk> = async (deps, request, reply) => {
  const { template: name, disk } = request.params;
  if (!(await deps.store.tryGet("StorageTemplate", name))) return missing(reply, name);
  return writeAnswer(
    reply,
    () =>
      editSpec(deps, "StorageTemplate", name, (spec) => {
        if (!spec.disks.some((d) => d.id === disk))
          throw refusal(`The disk ${q(disk)} in storage template ${q(name)} does not exist.`);
        return { ...spec, disks: spec.disks.filter((d) => d.id !== disk) };
      }),
    `Removed disk ${q(disk)} from storage template ${q(name)}`,
  );
};

const byTemplate = (p: Record<string, string>) => p.template;
export const listStorageTemplates = listHandler(STORAGE);
export const getStorageTemplate = getHandler(STORAGE, byTemplate);
export const deleteStorageTemplate = deleteHandler(STORAGE, byTemplate);
