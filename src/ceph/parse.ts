/**
 * Turns the CLIs' parsed JSON into the typed results of types.ts. Shapes are checked field by
 * field: a Ceph upgrade that renames a field must fail loudly here (CEPH_BAD_OUTPUT naming the
 * command and field), not surface later as `undefined` deep inside a reconcile loop.
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import type {
  CephDf,
  CephHealth,
  CephStatus,
  CrushRule,
  HealthCheck,
  HealthStatus,
  OsdDf,
  OsdDump,
  OsdTree,
  PoolDefaults,
  PoolDetail,
  PoolGetValue,
  RadosDf,
  Raw,
  RbdImageInfo,
  RbdLock,
  RbdLsEntry,
  RbdSnapshot,
} from "./types.ts";

function bad(cmd: string, what: string): PvcError {
  return new PvcError(ErrorCodes.CEPH_BAD_OUTPUT, `${cmd}: unexpected JSON: ${what}`, { details: { cmd } });
}

function isObject(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(cmd: string, v: unknown, where: string): Raw {
  if (!isObject(v)) throw bad(cmd, `${where} is not an object`);
  return v;
}

function arr(cmd: string, v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw bad(cmd, `${where} is not an array`);
  return v;
}

function num(cmd: string, o: Raw, key: string): number {
  const v = o[key];
  if (typeof v !== "number") throw bad(cmd, `field ${key} is not a number`);
  return v;
}

function str(cmd: string, o: Raw, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw bad(cmd, `field ${key} is not a string`);
  return v;
}

function optNum(o: Raw, key: string): number | undefined {
  return typeof o[key] === "number" ? (o[key] as number) : undefined;
}

function optStr(o: Raw, key: string): string | undefined {
  return typeof o[key] === "string" ? (o[key] as string) : undefined;
}

/** rbd prints booleans as the strings "true"/"false" in some places (snapshot `protected`). */
function flag(v: unknown): boolean {
  return v === true || v === "true" || v === 1;
}

export function parseHealth(cmd: string, json: unknown): CephHealth {
  const o = obj(cmd, json, "health");
  const status = str(cmd, o, "status");
  if (status !== "HEALTH_OK" && status !== "HEALTH_WARN" && status !== "HEALTH_ERR") {
    throw bad(cmd, `unknown health status ${status}`);
  }
  const checks: Record<string, HealthCheck> = {};
  for (const [name, c] of Object.entries(obj(cmd, o.checks ?? {}, "checks"))) {
    const check = obj(cmd, c, `checks.${name}`);
    const summary = isObject(check.summary) ? optStr(check.summary, "message") : undefined;
    checks[name] = {
      severity: str(cmd, check, "severity"),
      summary: summary ?? "",
      muted: check.muted === true,
    };
  }
  return { status: status as HealthStatus, checks, raw: o };
}

export function parseStatus(cmd: string, json: unknown): CephStatus {
  const o = obj(cmd, json, "status");
  const osdmap = obj(cmd, o.osdmap, "osdmap");
  const pgmap = obj(cmd, o.pgmap, "pgmap");
  const mgrmap = isObject(o.mgrmap) ? o.mgrmap : {};
  return {
    fsid: str(cmd, o, "fsid"),
    health: parseHealth(cmd, o.health),
    quorumNames: arr(cmd, o.quorum_names ?? [], "quorum_names").map(String),
    numOsds: num(cmd, osdmap, "num_osds"),
    numUpOsds: num(cmd, osdmap, "num_up_osds"),
    numInOsds: num(cmd, osdmap, "num_in_osds"),
    numPools: num(cmd, pgmap, "num_pools"),
    numPgs: num(cmd, pgmap, "num_pgs"),
    pgsByState: arr(cmd, pgmap.pgs_by_state ?? [], "pgmap.pgs_by_state").map((s) => {
      const e = obj(cmd, s, "pgs_by_state[]");
      return { state: str(cmd, e, "state_name"), count: num(cmd, e, "count") };
    }),
    numObjects: optNum(pgmap, "num_objects") ?? 0,
    bytesUsed: optNum(pgmap, "bytes_used") ?? 0,
    bytesAvail: optNum(pgmap, "bytes_avail") ?? 0,
    bytesTotal: optNum(pgmap, "bytes_total") ?? 0,
    mgrAvailable: mgrmap.available === true,
    raw: o,
  };
}

export function parseDf(cmd: string, json: unknown): CephDf {
  const o = obj(cmd, json, "df");
  const stats = obj(cmd, o.stats, "stats");
  return {
    totalBytes: num(cmd, stats, "total_bytes"),
    totalAvailBytes: num(cmd, stats, "total_avail_bytes"),
    totalUsedBytes: num(cmd, stats, "total_used_bytes"),
    totalUsedRawBytes: num(cmd, stats, "total_used_raw_bytes"),
    pools: arr(cmd, o.pools ?? [], "pools").map((p) => {
      const e = obj(cmd, p, "pools[]");
      const s = obj(cmd, e.stats, "pools[].stats");
      return {
        name: str(cmd, e, "name"),
        id: num(cmd, e, "id"),
        stored: num(cmd, s, "stored"),
        objects: num(cmd, s, "objects"),
        bytesUsed: num(cmd, s, "bytes_used"),
        percentUsed: num(cmd, s, "percent_used"),
        maxAvail: num(cmd, s, "max_avail"),
      };
    }),
    raw: o,
  };
}

export function parseRadosDf(cmd: string, json: unknown): RadosDf {
  const o = obj(cmd, json, "rados df");
  return {
    pools: arr(cmd, o.pools, "pools").map((p) => {
      const e = obj(cmd, p, "pools[]");
      return {
        name: str(cmd, e, "name"),
        id: num(cmd, e, "id"),
        sizeBytes: num(cmd, e, "size_bytes"),
        numObjects: num(cmd, e, "num_objects"),
        numObjectClones: num(cmd, e, "num_object_clones"),
        numObjectCopies: num(cmd, e, "num_object_copies"),
        numObjectsDegraded: num(cmd, e, "num_objects_degraded"),
        readOps: num(cmd, e, "read_ops"),
        readBytes: num(cmd, e, "read_bytes"),
        writeOps: num(cmd, e, "write_ops"),
        writeBytes: num(cmd, e, "write_bytes"),
      };
    }),
    totalObjects: num(cmd, o, "total_objects"),
    totalUsedKb: num(cmd, o, "total_used"),
    totalAvailKb: num(cmd, o, "total_avail"),
    totalSpaceKb: num(cmd, o, "total_space"),
    raw: o,
  };
}

export function parseOsdLs(cmd: string, json: unknown): number[] {
  return arr(cmd, json, "osd ls").map((id) => {
    if (typeof id !== "number") throw bad(cmd, "osd id is not a number");
    return id;
  });
}

export function parseOsdTree(cmd: string, json: unknown): OsdTree {
  const o = obj(cmd, json, "osd tree");
  return {
    nodes: arr(cmd, o.nodes, "nodes").map((n) => {
      const e = obj(cmd, n, "nodes[]");
      return {
        id: num(cmd, e, "id"),
        name: str(cmd, e, "name"),
        type: str(cmd, e, "type"),
        children: Array.isArray(e.children)
          ? e.children.filter((c): c is number => typeof c === "number")
          : [],
        status: optStr(e, "status"),
        reweight: optNum(e, "reweight"),
        crushWeight: optNum(e, "crush_weight"),
        deviceClass: optStr(e, "device_class"),
      };
    }),
    raw: o,
  };
}

export function parseOsdDump(cmd: string, json: unknown): OsdDump {
  const o = obj(cmd, json, "osd dump");
  // `flags_set` is the list form (Luminous+); `flags` is the same as a comma-separated string.
  const flags = Array.isArray(o.flags_set)
    ? o.flags_set.map(String)
    : str(cmd, o, "flags")
        .split(",")
        .filter((f) => f !== "");
  return {
    epoch: num(cmd, o, "epoch"),
    flags,
    osds: arr(cmd, o.osds, "osds").map((d) => {
      const e = obj(cmd, d, "osds[]");
      return {
        osd: num(cmd, e, "osd"),
        uuid: str(cmd, e, "uuid"),
        up: num(cmd, e, "up") === 1,
        in: num(cmd, e, "in") === 1,
        weight: num(cmd, e, "weight"),
        publicAddr: optStr(e, "public_addr") ?? "",
        state: Array.isArray(e.state) ? e.state.map(String) : [],
      };
    }),
    raw: o,
  };
}

export function parseOsdDf(cmd: string, json: unknown): OsdDf {
  const o = obj(cmd, json, "osd df");
  const summary = obj(cmd, o.summary, "summary");
  return {
    nodes: arr(cmd, o.nodes, "nodes").map((n) => {
      const e = obj(cmd, n, "nodes[]");
      return {
        id: num(cmd, e, "id"),
        name: str(cmd, e, "name"),
        kb: num(cmd, e, "kb"),
        kbUsed: num(cmd, e, "kb_used"),
        kbAvail: num(cmd, e, "kb_avail"),
        utilization: num(cmd, e, "utilization"),
        pgs: num(cmd, e, "pgs"),
        status: optStr(e, "status") ?? "",
      };
    }),
    totalKb: num(cmd, summary, "total_kb"),
    totalKbUsed: num(cmd, summary, "total_kb_used"),
    totalKbAvail: num(cmd, summary, "total_kb_avail"),
    raw: o,
  };
}

export function parsePoolLsDetail(cmd: string, json: unknown): PoolDetail[] {
  return arr(cmd, json, "pool ls detail").map((p) => {
    const e = obj(cmd, p, "pools[]");
    const apps: Record<string, Record<string, string>> = {};
    for (const [app, meta] of Object.entries(
      obj(cmd, e.application_metadata ?? {}, "application_metadata"),
    )) {
      apps[app] = Object.fromEntries(
        Object.entries(isObject(meta) ? meta : {}).map(([k, v]) => [k, String(v)]),
      );
    }
    const pgNum = num(cmd, e, "pg_num");
    const pgpNum = num(cmd, e, "pg_placement_num");
    return {
      id: num(cmd, e, "pool_id"),
      name: str(cmd, e, "pool_name"),
      size: num(cmd, e, "size"),
      minSize: num(cmd, e, "min_size"),
      pgNum,
      // Both targets appeared in Nautilus; fall back to the current values on older output.
      pgNumTarget: optNum(e, "pg_num_target") ?? pgNum,
      pgpNum,
      pgpNumTarget: optNum(e, "pg_placement_num_target") ?? pgpNum,
      pgAutoscaleMode: optStr(e, "pg_autoscale_mode") ?? "",
      applicationMetadata: apps,
      raw: e,
    };
  });
}

export function parsePoolGet(cmd: string, json: unknown, variable: string): PoolGetValue {
  const o = obj(cmd, json, "pool get");
  const v = o[variable];
  if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
    throw bad(cmd, `field ${variable} missing or not a scalar`);
  }
  return v;
}

export function parseRbdInfo(cmd: string, json: unknown): RbdImageInfo {
  const o = obj(cmd, json, "rbd info");
  return {
    name: str(cmd, o, "name"),
    id: optStr(o, "id") ?? "",
    size: num(cmd, o, "size"),
    objects: num(cmd, o, "objects"),
    order: num(cmd, o, "order"),
    objectSize: num(cmd, o, "object_size"),
    snapshotCount: optNum(o, "snapshot_count") ?? 0,
    format: num(cmd, o, "format"),
    features: Array.isArray(o.features) ? o.features.map(String) : [],
    raw: o,
  };
}

export function parseRbdLs(cmd: string, json: unknown): RbdLsEntry[] {
  return arr(cmd, json, "rbd ls").map((i) => {
    const e = obj(cmd, i, "images[]");
    return {
      image: str(cmd, e, "image"),
      snapshot: optStr(e, "snapshot"),
      size: num(cmd, e, "size"),
      format: num(cmd, e, "format"),
      lockType: optStr(e, "lock_type"),
      raw: e,
    };
  });
}

export function parseSnapLs(cmd: string, json: unknown): RbdSnapshot[] {
  return arr(cmd, json, "snap ls").map((s) => {
    const e = obj(cmd, s, "snapshots[]");
    return {
      id: num(cmd, e, "id"),
      name: str(cmd, e, "name"),
      size: num(cmd, e, "size"),
      protected: flag(e.protected),
      timestamp: optStr(e, "timestamp") ?? "",
      raw: e,
    };
  });
}

export function parseLockLs(cmd: string, json: unknown): RbdLock[] {
  return arr(cmd, json, "lock ls").map((l) => {
    const e = obj(cmd, l, "locks[]");
    return {
      id: str(cmd, e, "id"),
      locker: str(cmd, e, "locker"),
      address: optStr(e, "address") ?? "",
      raw: e,
    };
  });
}

export function parseCrushRules(cmd: string, json: unknown): CrushRule[] {
  return arr(cmd, json, "crush rule dump").map((r) => {
    const e = obj(cmd, r, "rules[]");
    return {
      id: num(cmd, e, "rule_id"),
      name: str(cmd, e, "rule_name"),
      type: num(cmd, e, "type"),
      steps: arr(cmd, e.steps ?? [], "steps").map((st) => {
        const step = obj(cmd, st, "steps[]");
        return { op: str(cmd, step, "op"), itemName: optStr(step, "item_name"), type: optStr(step, "type") };
      }),
      raw: e,
    };
  });
}

/**
 * `ceph config show mon.X --format json`: the settings a running mon has that differ from the
 * defaults, as `[{name, value, source}]`. A setting not listed has Ceph's default (size 3, min
 * size 0, which means size - floor(size/2)).
 */
export function parsePoolDefaults(cmd: string, json: unknown): PoolDefaults {
  const values = new Map(
    arr(cmd, json, "config show").map((x) => {
      const e = obj(cmd, x, "options[]");
      return [str(cmd, e, "name"), String(e.value)] as const;
    }),
  );
  const count = (name: string, fallback: number) => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw bad(cmd, `${name} is not a count: ${text}`);
    return n;
  };
  const size = count("osd_pool_default_size", 3);
  if (size < 1) throw bad(cmd, `osd_pool_default_size is ${size}`);
  const min = count("osd_pool_default_min_size", 0);
  return { size, minSize: min === 0 ? size - Math.floor(size / 2) : Math.min(min, size) };
}

/**
 * `ceph mon dump --format json`: each monitor's legacy (v1) address, which qemu's librbd reaches
 * without msgr2 settings (its v2 address when it has no v1 one). IPv6 hosts come without brackets.
 */
export function parseMonHosts(cmd: string, json: unknown): { host: string; port: number }[] {
  const o = obj(cmd, json, "mon dump");
  if (!Array.isArray(o.mons)) throw bad(cmd, "mons is not a list");
  return o.mons.map((m, i) => {
    const mon = obj(cmd, m, `mons[${i}]`);
    const vec =
      isObject(mon.public_addrs) && Array.isArray(mon.public_addrs.addrvec) ? mon.public_addrs.addrvec : [];
    const addrs = vec.filter(isObject);
    const chosen = addrs.find((a) => a.type === "v1") ?? addrs[0];
    const addr = typeof chosen?.addr === "string" ? chosen.addr : "";
    const at = addr.lastIndexOf(":");
    const port = Number(addr.slice(at + 1));
    if (at < 1 || !Number.isInteger(port)) throw bad(cmd, `mons[${i}] has no usable address`);
    return { host: addr.slice(0, at).replace(/^\[|\]$/g, ""), port };
  });
}
