/**
 * CephPool, CephVolume, CephSnapshot: name consistency (see ../names.ts for the naming scheme),
 * replication and size rules, and the defaults that make a diff after defaulting stable.
 */
import {
  cephSnapshotName,
  cephVolumeName,
  isPoolName,
  isRbdName,
  MAX_RBD_NAME_LENGTH,
  splitCephSnapshotName,
  splitCephVolumeName,
} from "../names.ts";
import { parseSize, SizeError } from "../size.ts";
import type { ObjectMeta } from "../types.ts";
import { asString, isObject, type Json, type KindRules, metadataName, pointer, specOf } from "./util.ts";

/** Guests address whole 512-byte sectors; rbd itself takes any byte count. */
export const SECTOR_BYTES = 512;

/** Ceph's default min_size for a replicated pool of `copies`: size - floor(size/2). */
export function defaultMinCopies(copies: number): number {
  return copies - Math.floor(copies / 2);
}

export const cephPoolRules: KindRules = {
  semantic(doc, problems) {
    const spec = specOf(doc);
    const replication = isObject(spec.replication) ? spec.replication : {};
    const copies = typeof replication.copies === "number" ? replication.copies : 3;
    const minCopies = replication.minCopies;
    if (typeof minCopies === "number" && minCopies > copies) {
      problems.add(
        pointer("spec", "replication", "minCopies"),
        minCopies,
        `must not exceed copies (${copies})`,
      );
    }
    const confirm = spec.confirmDeleteWithVolumes;
    const name = metadataName(doc);
    if (typeof confirm === "string" && name !== undefined && confirm !== name) {
      problems.add(
        pointer("spec", "confirmDeleteWithVolumes"),
        confirm,
        `must be the pool's own name (${JSON.stringify(name)}) to confirm deleting it with its volumes`,
      );
    }
  },

  defaults(input: Json): Json {
    const spec: Json = structuredClone(input);
    const replication = isObject(spec.replication) ? spec.replication : {};
    const copies = typeof replication.copies === "number" ? replication.copies : 3;
    spec.replication = {
      copies,
      minCopies: typeof replication.minCopies === "number" ? replication.minCopies : defaultMinCopies(copies),
    };
    spec.application ??= "rbd";
    spec.deletionPolicy ??= "Delete";
    return spec;
  },

  references() {
    return [];
  },
};

export const cephVolumeRules: KindRules = {
  semantic(doc, problems) {
    const spec = specOf(doc);
    const name = metadataName(doc);
    const pool = asString(spec.pool);
    const volume = asString(spec.name);
    if (name !== undefined && isPoolName(pool)) {
      if (volume !== undefined) {
        if (isRbdName(volume) && name !== cephVolumeName(pool, volume)) {
          problems.add(
            pointer("metadata", "name"),
            name,
            `must be ${JSON.stringify(cephVolumeName(pool, volume))} (<spec.pool>.<spec.name>)`,
          );
        }
      } else if (!name.startsWith(`${pool}.`)) {
        problems.add(
          pointer("metadata", "name"),
          name,
          `must be ${pool}.<volume> (it must start with spec.pool)`,
        );
      } else if (splitCephVolumeName(name) === null) {
        problems.add(
          pointer("metadata", "name"),
          name,
          `must end in an RBD-safe volume name of at most ${MAX_RBD_NAME_LENGTH} characters after "${pool}."`,
        );
      }
    }
    if (spec.size !== undefined && (typeof spec.size === "number" || typeof spec.size === "string")) {
      try {
        const bytes = parseSize(spec.size);
        if (bytes <= 0) problems.add(pointer("spec", "size"), spec.size, "must be larger than 0");
        else if (bytes % SECTOR_BYTES !== 0) {
          problems.add(
            pointer("spec", "size"),
            spec.size,
            `must be a multiple of ${SECTOR_BYTES} bytes (${bytes} is not)`,
          );
        }
      } catch (err) {
        if (!(err instanceof SizeError)) throw err;
        problems.add(pointer("spec", "size"), spec.size, err.message);
      }
    }
    if (isObject(spec.source) && pool !== undefined) {
      const srcPool = asString(spec.source.pool) ?? pool;
      const srcVolume = asString(spec.source.volume);
      const self = volume ?? (name !== undefined ? splitCephVolumeName(name)?.volume : undefined);
      if (srcVolume !== undefined && srcPool === pool && srcVolume === self) {
        problems.add(
          pointer("spec", "source", "volume"),
          srcVolume,
          "must name another volume, not this one",
        );
      }
    }
  },

  defaults(input: Json, metadata: ObjectMeta): Json {
    const spec: Json = structuredClone(input);
    if (spec.name === undefined) {
      const split = splitCephVolumeName(metadata.name);
      if (split) spec.name = split.volume;
    }
    if (typeof spec.size === "number" || typeof spec.size === "string") spec.size = parseSize(spec.size);
    if (isObject(spec.source))
      spec.source = { pool: spec.source.pool ?? spec.pool, volume: spec.source.volume };
    spec.allowShrink ??= false;
    spec.onExternalDelete ??= "report";
    spec.deletionPolicy ??= "Delete";
    return spec;
  },

  references(doc) {
    const spec = specOf(doc);
    const pool = asString(spec.pool);
    const refs: { kind: string; name: string }[] = [];
    if (pool !== undefined) refs.push({ kind: "CephPool", name: pool });
    if (isObject(spec.source)) {
      const srcPool = asString(spec.source.pool) ?? pool;
      const srcVolume = asString(spec.source.volume);
      if (srcPool !== undefined && srcVolume !== undefined) {
        if (srcPool !== pool) refs.push({ kind: "CephPool", name: srcPool });
        refs.push({ kind: "CephVolume", name: cephVolumeName(srcPool, srcVolume) });
      }
    }
    return refs;
  },
};

export const cephSnapshotRules: KindRules = {
  semantic(doc, problems) {
    const spec = specOf(doc);
    const name = metadataName(doc);
    const pool = asString(spec.pool);
    const volume = asString(spec.volume);
    const snap = asString(spec.name);
    if (name === undefined || !isPoolName(pool) || !isRbdName(volume)) return;
    if (snap !== undefined) {
      if (isRbdName(snap) && name !== cephSnapshotName(pool, volume, snap)) {
        problems.add(
          pointer("metadata", "name"),
          name,
          `must be ${JSON.stringify(cephSnapshotName(pool, volume, snap))} (<spec.pool>.<spec.volume>@<spec.name>)`,
        );
      }
    } else {
      const prefix = `${cephVolumeName(pool, volume)}@`;
      if (!name.startsWith(prefix)) {
        problems.add(
          pointer("metadata", "name"),
          name,
          `must be ${prefix}<snapshot> (from spec.pool and spec.volume)`,
        );
      } else if (!isRbdName(name.slice(prefix.length))) {
        problems.add(
          pointer("metadata", "name"),
          name,
          `must end in an RBD-safe snapshot name of at most ${MAX_RBD_NAME_LENGTH} characters after "${prefix}"`,
        );
      }
    }
  },

  defaults(input: Json, metadata: ObjectMeta): Json {
    const spec: Json = structuredClone(input);
    if (spec.name === undefined) {
      const split = splitCephSnapshotName(metadata.name);
      if (split) spec.name = split.snapshot;
    }
    spec.deletionPolicy ??= "Delete";
    return spec;
  },

  references(doc) {
    const spec = specOf(doc);
    const pool = asString(spec.pool);
    const volume = asString(spec.volume);
    if (pool === undefined || volume === undefined) return [];
    return [
      { kind: "CephPool", name: pool },
      { kind: "CephVolume", name: cephVolumeName(pool, volume) },
    ];
  },
};
