/**
 * How pvcctl shows objects: compact tables (NAME, READY, REASON, AGE and a few columns of the
 * kind), `describe` pages, and event lists. A kind without columns of its own still prints (its
 * first scalar spec fields in `-o wide`), so a new kind needs nothing here to be usable.
 */
import { dump } from "js-yaml";
import { formatSizeHuman } from "../resources/size.ts";
import type { Condition, Resource } from "../resources/types.ts";
import type { EventRecord } from "../store/events.ts";

export interface Column {
  header: string;
  value(r: Resource): string;
  /** Only with `-o wide`. */
  wide?: boolean;
  /** Only when some listed object has something to show in it (else the table stays as it was). */
  shownFor?(items: readonly Resource[]): boolean;
}

function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const MAX_CELL = 48;

function text(v: unknown): string {
  if (v === undefined || v === null || v === "") return "-";
  if (Array.isArray(v)) return v.length === 0 ? "-" : cell(v.map((x) => text(x)).join(","));
  if (typeof v === "object") return cell(JSON.stringify(v));
  return cell(String(v));
}

/** One table cell: one line, bounded. */
function cell(s: string): string {
  const first = s.split("\n")[0];
  const cut = first.length > MAX_CELL ? first.slice(0, MAX_CELL - 1) : first;
  return cut === s ? s : `${cut}…`;
}

const field =
  (path: string) =>
  (r: Resource): string =>
    text(at(r, path));

const size =
  (path: string) =>
  (r: Resource): string => {
    const v = at(r, path);
    return typeof v === "number" ? formatSizeHuman(v) : text(v);
  };

/** Kind-specific columns, after NAME READY REASON AGE. */
export const KIND_COLUMNS: Record<string, Column[]> = {
  Network: [
    { header: "VNI", value: field("spec.vni") },
    { header: "TYPE", value: field("spec.type") },
    { header: "DESCRIPTION", value: field("spec.description"), wide: true },
    { header: "IPV4", value: field("spec.ipv4.network"), wide: true },
    { header: "DOMAIN", value: field("spec.domain"), wide: true },
    {
      header: "LEASES",
      value: (r) => String((at(r, "status.dhcpLeases") as unknown[] | undefined)?.length ?? 0),
      wide: true,
    },
  ],
  CephPool: [
    { header: "PGS", value: field("spec.pgs") },
    { header: "COPIES", value: field("spec.replication.copies") },
    { header: "VOLUMES", value: field("status.volumes"), wide: true },
  ],
  CephVolume: [
    { header: "POOL", value: field("spec.pool") },
    { header: "SIZE", value: size("spec.size") },
    {
      header: "SOURCE",
      value: (r) => {
        const s = at(r, "spec.source") as { pool?: string; volume?: string } | undefined;
        return s ? `${s.pool}/${s.volume}` : "-";
      },
      wide: true,
    },
    { header: "POLICY", value: field("spec.deletionPolicy"), wide: true },
  ],
  CephSnapshot: [
    { header: "POOL", value: field("spec.pool") },
    { header: "VOLUME", value: field("spec.volume") },
  ],
  VirtualMachine: [
    { header: "RUNSTATE", value: field("spec.runState") },
    { header: "STATE", value: field("status.state") },
    { header: "NODE", value: field("status.node") },
    // Provisioning from a profile (status.provisioning): which phase, how far, while it runs.
    { header: "PHASE", value: provisioningPhase, shownFor: anyProvisioning },
    { header: "PROGRESS", value: provisioningProgress, shownFor: anyProvisioning },
    { header: "PROFILE", value: field("spec.profile"), wide: true },
    { header: "NODELIMIT", value: field("spec.nodeLimit"), wide: true },
  ],
  Node: [
    { header: "DAEMON", value: field("status.daemonState") },
    { header: "COORDINATOR", value: field("status.coordinatorState") },
    { header: "DOMAINS", value: field("status.domainState") },
    // The keepalive as of the status's last report (at most 5 min old for a live node; Ready is live).
    { header: "REPORTED", value: (r) => keepaliveAge(at(r, "status.keepalive")) },
    { header: "VMS", value: field("status.domainsCount"), wide: true },
    { header: "LOAD", value: field("status.cpuLoad"), wide: true },
    {
      header: "MEM(MIB) ALLOC/TOTAL",
      value: (r) => `${text(at(r, "status.memory.allocatedMiB"))}/${text(at(r, "status.memory.totalMiB"))}`,
      wide: true,
    },
  ],
  SystemTemplate: [
    { header: "VCPUS", value: field("spec.vcpus") },
    { header: "RAM(MIB)", value: field("spec.vramMiB") },
  ],
  NetworkTemplate: [
    {
      header: "VNIS",
      value: (r) => text((at(r, "spec.networks") as { vni: number }[] | undefined)?.map((n) => n.vni)),
    },
  ],
  StorageTemplate: [
    {
      header: "DISKS",
      value: (r) => text((at(r, "spec.disks") as { id: string }[] | undefined)?.map((d) => d.id)),
    },
    {
      header: "IMAGES",
      value: (r) => text((at(r, "spec.images") as { id: string }[] | undefined)?.map((d) => d.id)),
      wide: true,
    },
  ],
  ProvisionerProfile: [
    { header: "SYSTEM", value: field("spec.systemTemplate") },
    { header: "SCRIPT", value: field("spec.script") },
    { header: "NETWORK", value: field("spec.networkTemplate"), wide: true },
    { header: "STORAGE", value: field("spec.storageTemplate"), wide: true },
  ],
  GitOpsSync: [
    { header: "FILES", value: field("status.files") },
    { header: "OBJECTS", value: field("status.objects") },
    { header: "LAST SYNC", value: (r) => age(at(r, "status.lastSyncTime") as string | undefined) },
    {
      header: "ERRORS",
      value: (r) => String((at(r, "status.errors") as unknown[] | undefined)?.length ?? 0),
    },
    { header: "DIR", value: field("spec.dir"), wide: true },
    { header: "REVISION", value: field("status.revision"), wide: true },
  ],
};

interface ProvisioningCells {
  state?: string;
  phase?: string;
  current?: number;
  total?: number;
}

const provisioningOf = (r: Resource) => at(r, "status.provisioning") as ProvisioningCells | undefined;

function anyProvisioning(items: readonly Resource[]): boolean {
  return items.some((r) => provisioningOf(r) !== undefined);
}

/** The phase, `failed in <phase>` once it failed. */
function provisioningPhase(r: Resource): string {
  const p = provisioningOf(r);
  if (!p?.phase) return "-";
  return p.state === "FAILURE" ? text(`failed in ${p.phase}`) : text(p.phase);
}

/** `current/total` steps. */
function provisioningProgress(r: Resource): string {
  const p = provisioningOf(r);
  return typeof p?.current === "number" && typeof p.total === "number" ? `${p.current}/${p.total}` : "-";
}

/** A Node's keepalive (epoch seconds) as an age, `4s`: older than 30 s, PVC counts the node dead. */
function keepaliveAge(epochSeconds: unknown): string {
  return typeof epochSeconds === "number" ? age(new Date(epochSeconds * 1000).toISOString()) : "-";
}

/** Wide columns for a kind without its own: its first few scalar spec fields. */
function genericColumns(items: readonly Resource[]): Column[] {
  const keys: string[] = [];
  for (const r of items) {
    for (const [k, v] of Object.entries(r.spec ?? {})) {
      if (keys.length >= 3) break;
      if (!keys.includes(k) && (typeof v === "string" || typeof v === "number" || typeof v === "boolean")) {
        if (typeof v === "string" && v.includes("\n")) continue;
        keys.push(k);
      }
    }
  }
  return keys.map((k) => ({ header: k.toUpperCase(), value: field(`spec.${k}`), wide: true }));
}

/** `5s`, `3m12s`, `4h`, `12d` since `iso` (kubectl's style); `-` for none. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "-";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "-";
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ""}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function readyCondition(r: Resource): Condition | undefined {
  return r.status?.conditions?.find((c) => c.type === "Ready");
}

/** The generation a condition speaks for. */
function observed(r: Resource, c: Condition): number | undefined {
  return c.observedGeneration ?? r.status?.observedGeneration;
}

/** Ready=True for the object's current generation. */
export function isReadyNow(r: Resource): boolean {
  const c = readyCondition(r);
  if (c?.status !== "True") return false;
  const seen = observed(r, c);
  return seen === undefined || r.metadata.generation === undefined || seen >= r.metadata.generation;
}

/** READY and REASON cells: `True`/`False`/`Unknown`, `-` without a Ready condition. */
export function readyCells(r: Resource): [string, string] {
  if (r.metadata.deletionTimestamp) return ["False", "Deleting"];
  const c = readyCondition(r);
  if (!c) return ["-", "-"];
  const seen = observed(r, c);
  if (
    c.status === "True" &&
    seen !== undefined &&
    r.metadata.generation !== undefined &&
    seen < r.metadata.generation
  ) {
    return ["False", "Reconciling"];
  }
  return [c.status, c.reason || "-"];
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
}

/** The compact table of `pvcctl get`; `withKind` prefixes names (several kinds at once). */
export function resourceTable(
  kind: string,
  items: readonly Resource[],
  options: { wide?: boolean; withKind?: string } = {},
): string {
  const columns = (KIND_COLUMNS[kind] ?? genericColumns(items)).filter(
    (c) => (options.wide || !c.wide) && (c.shownFor?.(items) ?? true),
  );
  const header = ["NAME", "READY", "REASON", "AGE", ...columns.map((c) => c.header)];
  const rows = items.map((r) => [
    options.withKind ? `${options.withKind}/${r.metadata.name}` : r.metadata.name,
    ...readyCells(r),
    age(r.metadata.creationTimestamp),
    ...columns.map((c) => c.value(r)),
  ]);
  return table([header, ...rows]);
}

export function toYaml(doc: unknown): string {
  return dump(doc, { noRefs: true, lineWidth: 120 });
}

function indent(textBlock: string, by = "  "): string {
  return textBlock
    .split("\n")
    .map((l) => (l ? by + l : l))
    .join("\n");
}

/** Long multi-line strings (VM XML, scripts) summarised in describe: first lines and a count. */
function summarise(value: unknown): unknown {
  if (typeof value === "string") {
    const lines = value.split("\n");
    return lines.length > 6
      ? `${lines.slice(0, 3).join("\n")}\n… (${lines.length} lines; -o yaml shows all)`
      : value;
  }
  if (Array.isArray(value)) return value.map(summarise);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, summarise(v)]));
  }
  return value;
}

export function eventsTable(events: readonly EventRecord[], now = Date.now()): string {
  if (events.length === 0) return "<none>";
  const rows = [...events]
    .reverse()
    .map((e) => [age(e.timestamp, now), e.type, e.reason, String(e.count), e.message]);
  return table([["LAST SEEN", "TYPE", "REASON", "COUNT", "MESSAGE"], ...rows]);
}

function kv(label: string, value: string): string {
  return `${`${label}:`.padEnd(14)}${value}`;
}

function mapText(m: Record<string, string> | undefined): string {
  const entries = Object.entries(m ?? {});
  return entries.length === 0 ? "<none>" : entries.map(([k, v]) => `${k}=${v}`).join("\n              ");
}

/** The `pvcctl describe` page. */
export function describeText(r: Resource, events: readonly EventRecord[], now = Date.now()): string {
  const m = r.metadata;
  const out: string[] = [];
  out.push(kv("Name", m.name));
  out.push(kv("Kind", r.kind));
  out.push(kv("Labels", mapText(m.labels)));
  out.push(kv("Annotations", mapText(m.annotations)));
  out.push(
    kv(
      "Created",
      m.creationTimestamp ? `${m.creationTimestamp} (${age(m.creationTimestamp, now)} ago)` : "-",
    ),
  );
  const og = r.status?.observedGeneration;
  out.push(kv("Generation", `${m.generation ?? "-"}${og !== undefined ? ` (observed ${og})` : ""}`));
  if (m.finalizers?.length) out.push(kv("Finalizers", m.finalizers.join(", ")));
  if (m.deletionTimestamp) out.push(kv("Deleting", `since ${m.deletionTimestamp}`));
  if (m.ownerReferences?.length)
    out.push(kv("Owners", m.ownerReferences.map((o) => `${o.kind}/${o.name}`).join(", ")));
  out.push("Spec:");
  out.push(indent(toYaml(summarise(r.spec ?? {})).trimEnd()));
  const { conditions, observedGeneration: _og, ...rest } = r.status ?? {};
  if (Object.keys(rest).length > 0) {
    out.push("Status:");
    out.push(indent(toYaml(summarise(rest)).trimEnd()));
  }
  out.push("Conditions:");
  if (!conditions?.length) out.push("  <none>");
  else {
    const rows = conditions.map((c) => [
      c.type,
      c.status,
      c.reason,
      c.observedGeneration === undefined ? "-" : String(c.observedGeneration),
      age(c.lastTransitionTime, now),
      c.message,
    ]);
    out.push(indent(table([["TYPE", "STATUS", "REASON", "GEN", "SINCE", "MESSAGE"], ...rows])));
  }
  out.push("Events:");
  out.push(indent(eventsTable(events.slice(-10), now)));
  return `${out.join("\n")}\n`;
}
