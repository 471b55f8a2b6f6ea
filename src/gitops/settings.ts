/**
 * The settings of a GitOps folder: defaults, then what the server passes to startGitOps, then the
 * folder's own `.pvc-gitops.yaml` (so that opting a kind in to prune is a reviewed change in the
 * same repository as the manifests):
 *
 *     protection: reject        # or revert
 *     prune:
 *       maxFraction: 0.5        # a sync that would prune more than this share prunes nothing
 *       kinds: [CephVolume]     # guarded kinds (VirtualMachine, CephVolume, CephPool) to prune
 *       force: false            # prune past the guard (remove it again afterwards)
 *     ignore: [examples]        # paths (files or folders, relative to the folder) that are not manifests of this folder
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCodes, PvcError } from "../errors.ts";
import { lookupKind } from "../resources/kinds.ts";
import { loadUserYaml } from "../resources/yaml.ts";

export const SETTINGS_FILE = ".pvc-gitops.yaml";

/** Kinds whose objects hold data or run workloads: never pruned unless the folder opts in. */
export const GUARDED_KINDS: readonly string[] = ["VirtualMachine", "CephVolume", "CephPool"];

export type Protection = "reject" | "revert";

export interface GitOpsSettings {
  protection: Protection;
  prune: { maxFraction: number; kinds: string[]; force: boolean };
  /** Relative paths (files or folders) the folder does not own: e.g. `examples` beside live manifests. */
  ignore: string[];
}

export const DEFAULT_SETTINGS: GitOpsSettings = {
  protection: "reject",
  prune: { maxFraction: 0.5, kinds: [], force: false },
  ignore: [],
};

export interface SettingsInput {
  protection?: Protection;
  prune?: { maxFraction?: number; kinds?: string[]; force?: boolean };
  ignore?: string[];
}

function bad(where: string, message: string): PvcError {
  return new PvcError(ErrorCodes.CONFIG_INVALID, `${where}: ${message}`, {
    details: { file: SETTINGS_FILE },
  });
}

/** Checks a settings document (from the folder file or the server's options). */
export function checkSettings(doc: unknown, where: string): SettingsInput {
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw bad(where, "must be a mapping");
  const d = doc as Record<string, unknown>;
  const out: SettingsInput = {};
  for (const key of Object.keys(d)) {
    if (key !== "protection" && key !== "prune" && key !== "ignore")
      throw bad(where, `${key}: is not a known setting (known: protection, prune, ignore)`);
  }
  if (d.ignore !== undefined && d.ignore !== null) {
    if (!Array.isArray(d.ignore)) throw bad(where, "ignore: must be a list of paths relative to the folder");
    out.ignore = d.ignore.map((p, i) => {
      if (typeof p !== "string" || p === "" || p.startsWith("/") || p.split("/").includes("..")) {
        throw bad(where, `ignore[${i}]: must be a path inside the folder (got ${JSON.stringify(p)})`);
      }
      return p.replace(/\/+$/, "");
    });
  }
  if (d.protection !== undefined) {
    if (d.protection !== "reject" && d.protection !== "revert")
      throw bad(where, `protection: must be reject or revert (got ${JSON.stringify(d.protection)})`);
    out.protection = d.protection;
  }
  if (d.prune !== undefined && d.prune !== null) {
    if (typeof d.prune !== "object" || Array.isArray(d.prune)) throw bad(where, "prune: must be a mapping");
    const p = d.prune as Record<string, unknown>;
    out.prune = {};
    for (const key of Object.keys(p)) {
      if (!["maxFraction", "kinds", "force"].includes(key))
        throw bad(where, `prune.${key}: is not a known setting (known: maxFraction, kinds, force)`);
    }
    if (p.maxFraction !== undefined) {
      if (typeof p.maxFraction !== "number" || !(p.maxFraction >= 0 && p.maxFraction <= 1))
        throw bad(
          where,
          `prune.maxFraction: must be a number from 0 to 1 (got ${JSON.stringify(p.maxFraction)})`,
        );
      out.prune.maxFraction = p.maxFraction;
    }
    if (p.force !== undefined) {
      if (typeof p.force !== "boolean")
        throw bad(where, `prune.force: must be true or false (got ${JSON.stringify(p.force)})`);
      out.prune.force = p.force;
    }
    if (p.kinds !== undefined) {
      if (!Array.isArray(p.kinds)) throw bad(where, "prune.kinds: must be a list of kinds");
      out.prune.kinds = p.kinds.map((k, i) => {
        const info = typeof k === "string" ? lookupKind(k) : undefined;
        if (!info) throw bad(where, `prune.kinds[${i}]: ${JSON.stringify(k)} is not a known kind`);
        return info.kind;
      });
    }
  }
  return out;
}

export function mergeSettings(base: GitOpsSettings, ...layers: SettingsInput[]): GitOpsSettings {
  let s: GitOpsSettings = {
    protection: base.protection,
    prune: { ...base.prune, kinds: [...base.prune.kinds] },
    ignore: [...base.ignore],
  };
  for (const l of layers) {
    s = {
      protection: l.protection ?? s.protection,
      prune: {
        maxFraction: l.prune?.maxFraction ?? s.prune.maxFraction,
        kinds: l.prune?.kinds ? [...l.prune.kinds] : s.prune.kinds,
        force: l.prune?.force ?? s.prune.force,
      },
      ignore: l.ignore ? [...l.ignore] : s.ignore,
    };
  }
  return s;
}

/** The folder's settings file, or {} when it has none. Throws CONFIG_INVALID naming the problem. */
export async function readFolderSettings(dir: string): Promise<{ settings: SettingsInput; text?: string }> {
  let text: string;
  try {
    text = await readFile(join(dir, SETTINGS_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { settings: {} };
    throw bad(SETTINGS_FILE, `cannot be read: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  let doc: unknown;
  try {
    doc = loadUserYaml(text);
  } catch (err) {
    const mark = (err as { mark?: { line: number } }).mark;
    throw bad(
      `${SETTINGS_FILE}${mark ? `:${mark.line + 1}` : ""}`,
      `not valid YAML: ${(err as { reason?: string }).reason ?? err}`,
    );
  }
  return { settings: checkSettings(doc, SETTINGS_FILE), text };
}
