/**
 * Reading manifests: files, folders (recursive) or stdin, each a multi-document YAML stream.
 * Every document is validated here, with the same validateResource the server runs, so that the
 * CLI and the GitOps folder can refuse a bad input before writing anything, and say where the
 * problem is: file, document number, line, field, value.
 *
 * Shared by `pvcctl apply|diff|delete -f` and the GitOps folder (src/gitops).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { YAMLException } from "js-yaml";
import { lookupKind } from "../resources/kinds.ts";
import type { FieldError, Resource } from "../resources/types.ts";
import { checkResource, shortValue, validateResource } from "../resources/validate.ts";
import { parseUserYaml } from "../resources/yaml.ts";
import { type DocumentPositions, LineIndex, offsetOf, positionsFromEvents } from "./yaml-positions.ts";

/** One valid document: as written, and as validated (defaults filled in). */
export interface ManifestDoc {
  /** The file as given or relative to the folder read (`-` for stdin). */
  file: string;
  /** 1-based number of the document in its file (empty documents count). */
  index: number;
  /** 1-based line where the document starts. */
  line: number;
  /** The document as written. */
  raw: Record<string, unknown>;
  /** The document validated, with defaults. */
  resource: Resource;
  /** `Kind/name`. */
  key: string;
}

/** One problem of the input: a file that does not parse, or one field of one document. */
export interface ManifestProblem {
  file: string;
  index?: number;
  line?: number;
  kind?: string;
  name?: string;
  /** JSON pointer of the field in the document ("" for the document itself). */
  pointer?: string;
  value?: unknown;
  message: string;
}

export interface ManifestSet {
  /** Every file read (display names), in order. */
  files: string[];
  docs: ManifestDoc[];
  problems: ManifestProblem[];
}

export function resourceKey(r: { kind: string; metadata: { name: string } }): string {
  return `${r.kind}/${r.metadata.name}`;
}

/**
 * One line: `networks.yaml:21: document 2 (Network "lan"): /spec/ipv4/gateway: must be … (got "x")`.
 */
export function formatProblem(p: ManifestProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  const what = [
    p.index === undefined ? undefined : `document ${p.index}`,
    p.kind && p.name !== undefined
      ? `(${p.kind} ${JSON.stringify(p.name)})`
      : p.kind
        ? `(${p.kind})`
        : undefined,
  ]
    .filter(Boolean)
    .join(" ");
  const field = p.pointer === undefined ? "" : `${p.pointer || "(document)"}: `;
  const got = p.value === undefined ? "" : ` (got ${shortValue(p.value)})`;
  return `${where}: ${what ? `${what}: ` : ""}${field}${p.message}${got}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export interface ParseOptions {
  /** Kinds refused in this input, with the reason (e.g. GitOpsSync: written by the watcher). */
  refuseKinds?: Record<string, string>;
}

/** Parses and validates one file's text. Problems never throw. */
export function parseManifests(
  file: string,
  text: string,
  options: ParseOptions = {},
): { docs: ManifestDoc[]; problems: ManifestProblem[] } {
  let raws: unknown[];
  let positions: DocumentPositions[];
  try {
    // An alias bomb or a self-containing alias is refused here, as bad syntax is, with its line.
    const parsed = parseUserYaml(text, { filename: file });
    raws = parsed.documents;
    positions = positionsFromEvents(text, parsed.events);
  } catch (err) {
    if (err instanceof YAMLException) {
      return {
        docs: [],
        problems: [
          {
            file,
            line: err.mark ? err.mark.line + 1 : undefined,
            message: `not valid YAML: ${err.reason}`,
          },
        ],
      };
    }
    return { docs: [], problems: [{ file, message: `cannot be read as YAML: ${(err as Error).message}` }] };
  }
  const lines = new LineIndex(text);
  const docs: ManifestDoc[] = [];
  const problems: ManifestProblem[] = [];
  raws.forEach((raw, i) => {
    if (raw === null || raw === undefined) return; // an empty document (e.g. a trailing ---)
    const pos = positions[i];
    const lineOf = (pointer: string) => {
      const offset = pos ? offsetOf(pos, pointer) : undefined;
      return offset === undefined ? undefined : lines.lineOf(offset);
    };
    const index = i + 1;
    const docLine = lineOf("") ?? 1;
    const kind = isObject(raw) && typeof raw.kind === "string" ? raw.kind : undefined;
    const name =
      isObject(raw) && isObject(raw.metadata) && typeof raw.metadata.name === "string"
        ? raw.metadata.name
        : undefined;
    const push = (f: FieldError) =>
      problems.push({
        file,
        index,
        line: lineOf(f.pointer) ?? docLine,
        kind: lookupKind(kind ?? "")?.kind ?? kind,
        name,
        pointer: f.pointer,
        value: f.value,
        message: f.message,
      });
    const refused = kind ? options.refuseKinds?.[lookupKind(kind)?.kind ?? kind] : undefined;
    if (refused) {
      push({ pointer: "/kind", value: kind, message: refused });
      return;
    }
    const { fields } = checkResource(raw);
    if (fields.length > 0) {
      for (const f of fields) push(f);
      return;
    }
    let resource: Resource;
    try {
      resource = validateResource(raw);
    } catch (err) {
      const list = (err as { details?: { fields?: FieldError[] } }).details?.fields;
      if (list) for (const f of list) push(f);
      else push({ pointer: "", value: undefined, message: (err as Error).message });
      return;
    }
    const info = lookupKind(resource.kind);
    resource.kind = info?.kind ?? resource.kind;
    docs.push({
      file,
      index,
      line: docLine,
      raw: raw as Record<string, unknown>,
      resource,
      key: resourceKey(resource),
    });
  });
  return { docs, problems };
}

/** A later document naming an object already declared is a problem of the later one. */
export function duplicateProblems(docs: readonly ManifestDoc[]): ManifestProblem[] {
  const first = new Map<string, ManifestDoc>();
  const out: ManifestProblem[] = [];
  for (const d of docs) {
    const seen = first.get(d.key);
    if (!seen) {
      first.set(d.key, d);
      continue;
    }
    out.push({
      file: d.file,
      index: d.index,
      line: d.line,
      kind: d.resource.kind,
      name: d.resource.metadata.name,
      pointer: "/metadata/name",
      value: d.resource.metadata.name,
      message: `is declared twice: also in ${seen.file} document ${seen.index} (line ${seen.line})`,
    });
  }
  return out;
}

export const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/** Manifest files under `dir`, recursively, sorted; hidden files and folders are skipped. */
export async function listManifestFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith(".")) continue;
      const path = join(d, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile() && MANIFEST_EXTENSIONS.test(e.name)) out.push(path);
    }
  };
  await walk(dir);
  return out;
}

/** Display name of a file found in a folder: relative to the folder, with `/` separators. */
export function displayName(root: string, path: string): string {
  return relative(root, path).split(sep).join("/");
}

/**
 * Reads every manifest named by `paths` (files, folders read recursively, `-` for stdin), in the
 * order given, and validates every document. Nothing is written anywhere.
 */
export async function readManifests(
  paths: readonly string[],
  options: ParseOptions & { stdin?: () => Promise<string> } = {},
): Promise<ManifestSet> {
  const set: ManifestSet = { files: [], docs: [], problems: [] };
  const take = (file: string, text: string) => {
    set.files.push(file);
    const { docs, problems } = parseManifests(file, text, options);
    set.docs.push(...docs);
    set.problems.push(...problems);
  };
  for (const path of paths) {
    if (path === "-") {
      take("-", await (options.stdin ?? readStdin)());
      continue;
    }
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (err) {
      set.problems.push({
        file: path,
        message: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? err}`,
      });
      continue;
    }
    if (info.isDirectory()) {
      const files = await listManifestFiles(path);
      if (files.length === 0)
        set.problems.push({ file: path, message: "holds no .yaml, .yml or .json files" });
      for (const f of files) take(join(path, displayName(path, f)), await readFile(f, "utf8"));
    } else {
      take(path, await readFile(path, "utf8"));
    }
  }
  set.problems.push(...duplicateProblems(set.docs));
  return set;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
