/**
 * The configuration of `pvcctl serve`: a YAML file in the structure of PVC v0.6's `pvc-api.yaml`
 * (section `pvc:`) plus our own settings (section `reconciler:`), named by `--config FILE` or by the
 * environment variable `PVC_CONFIG_FILE`, as PVC's API daemon does.
 *
 * Everything is checked before anything starts: a bad file fails with one PvcError(CONFIG_INVALID)
 * listing every bad key by its dotted path (`pvc.api.listen_port: must be an integer 1-65535, got
 * "abc"`). YAML is read with YAML 1.1 rules, as PyYAML reads PVC's file (`True`, `yes`, `off`).
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { YAML11_SCHEMA } from "js-yaml";
import { CONFIG_SCHEMA } from "./config-schema.ts";
import { ErrorCodes, PvcError } from "./errors.ts";
import { loadUserYaml } from "./resources/yaml.ts";

/** The environment variable naming the config file (PVC's own). */
export const CONFIG_FILE_ENV = "PVC_CONFIG_FILE";
/** ZooKeeper's client port, for coordinators given without one. */
export const ZOOKEEPER_DEFAULT_PORT = 2181;
export const DEFAULT_LISTEN_PORT = 7370;

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface ApiToken {
  description: string;
  token: string;
}

export interface Config {
  /** Where it was read from (a path, or a label such as `<dev>`), for messages. */
  source: string;
  debug: boolean;
  zookeeper: {
    /** `host:port,host:port`, from `pvc.coordinators`. */
    connectString: string;
    sessionTimeoutMs: number;
  };
  api: {
    listenAddress: string;
    listenPort: number;
    auth: {
      enabled: boolean;
      secretKey: string;
      tokens: ApiToken[];
    };
    ssl: {
      enabled: boolean;
      certFile: string;
      keyFile: string;
    };
  };
  reconciler: {
    storeRoot: string;
    pvcRoot: string;
    cephConf: string;
    facadeWaitTimeoutMs: number;
    resyncPeriodMs: number;
    cephPollIntervalMs: number;
    controllerConcurrency: number;
    logLevel: LogLevel;
    gitops: { enabled: boolean; dir: string };
  };
}

/** Defaults of the `reconciler:` section (seconds where the file says seconds). */
export const RECONCILER_DEFAULTS = {
  store_root: "/pvc-reconciler",
  pvc_root: "",
  ceph_conf: "/etc/ceph/ceph.conf",
  facade_wait_timeout: 30,
  resync_period: 600,
  ceph_poll_interval: 60,
  zookeeper_session_timeout: 10,
  controller_concurrency: 4,
  gitops: { enabled: false, dir: "manifests" },
} as const;

// verbose: errors carry their schema, where `x-expect` and the known keys are read.
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true, verbose: true });
ajv.addKeyword({ keyword: "x-expect", schemaType: "string" });
const validateSchema = ajv.compile(CONFIG_SCHEMA);

/** `/pvc/api/listen_port` → `pvc.api.listen_port`; array indexes as `[0]`. */
function dotted(pointer: string): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
  return parts.reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out ? `${out}.${p}` : p), "");
}

function valueAt(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function expectOf(err: ErrorObject): string | undefined {
  const parent = err.parentSchema as Record<string, unknown> | undefined;
  const expect = parent?.["x-expect"];
  return typeof expect === "string" ? expect : undefined;
}

function knownKeys(err: ErrorObject): string {
  const props = (err.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? ` (known: ${Object.keys(props).join(", ")})` : "";
}

/** One line per bad key; an anyOf stands for its branches, so they are not reported twice. */
function schemaProblems(errors: readonly ErrorObject[], doc: unknown): string[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  const seen = new Set<string>();
  const out: string[] = [];
  const push = (path: string, message: string) => {
    if (seen.has(path)) return; // the first problem of a key is enough
    seen.add(path);
    out.push(`${path || "(file)"}: ${message}`);
  };
  for (const e of errors) {
    if (e.keyword !== "anyOf" && anyOfPaths.has(e.instancePath)) continue;
    const params = e.params as Record<string, unknown>;
    const path = dotted(e.instancePath);
    switch (e.keyword) {
      case "required":
        push(dotted(`${e.instancePath}/${String(params.missingProperty)}`), "is required");
        break;
      case "additionalProperties": {
        const key = String(params.additionalProperty);
        push(dotted(`${e.instancePath}/${key}`), `is not a known setting${knownKeys(e)}`);
        break;
      }
      default: {
        const expect = expectOf(e) ?? e.message ?? `fails ${e.keyword}`;
        push(path, `must be ${expect}, got ${JSON.stringify(valueAt(doc, e.instancePath)) ?? "nothing"}`);
      }
    }
  }
  return out;
}

function invalid(source: string, problems: string[]): PvcError {
  const head = `config ${source}: ${problems.length === 1 ? "1 problem" : `${problems.length} problems`}`;
  return new PvcError(ErrorCodes.CONFIG_INVALID, `${head}:\n${problems.map((p) => `  ${p}`).join("\n")}`, {
    details: { source, problems },
  });
}

/** `host` → `host:2181`; `host:port` and `[v6]:port` stay; joined by commas for ZooKeeper. */
export function coordinatorsToConnectString(coordinators: readonly string[]): string {
  return coordinators
    .map((c) => {
      const hasPort = c.startsWith("[") ? /\]:\d+$/.test(c) : c.includes(":");
      return hasPort ? c : `${c}:${ZOOKEEPER_DEFAULT_PORT}`;
    })
    .join(",");
}

function checkReadable(path: string, key: string, problems: string[]): void {
  if (!path) {
    problems.push(`${key}: is required when pvc.api.ssl.enabled is true`);
    return;
  }
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    problems.push(`${key}: cannot read ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code}`);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the schema has checked the shape; this reads it.
type Raw = Record<string, any>;

/**
 * Validates a parsed config document and returns the typed config with defaults filled in.
 * Relative file paths are resolved against `baseDir` (the config file's folder).
 */
export function validateConfig(doc: unknown, source: string, baseDir = process.cwd()): Config {
  if (!validateSchema(doc)) throw invalid(source, schemaProblems(validateSchema.errors ?? [], doc));
  const raw = doc as Raw;
  const pvc = raw.pvc as Raw;
  const api = pvc.api as Raw;
  const r: Raw = { ...RECONCILER_DEFAULTS, ...(raw.reconciler ?? {}) };
  const gitops: Raw = { ...RECONCILER_DEFAULTS.gitops, ...(r.gitops ?? {}) };
  const problems: string[] = [];

  const auth = api.authentication as Raw;
  const tokens: ApiToken[] = ((auth.tokens ?? []) as Raw[]).map((t) => ({
    description: t.description ?? "",
    token: t.token ?? "",
  }));
  if (auth.enabled && !auth.secret_key) {
    problems.push(
      "pvc.api.authentication.secret_key: is required when pvc.api.authentication.enabled is true (it signs the session cookies)",
    );
  }
  const ssl = api.ssl as Raw;
  const abs = (p: string | null | undefined) => (p ? resolve(baseDir, p) : "");
  const certFile = abs(ssl.cert_file);
  const keyFile = abs(ssl.key_file);
  if (ssl.enabled) {
    checkReadable(certFile, "pvc.api.ssl.cert_file", problems);
    checkReadable(keyFile, "pvc.api.ssl.key_file", problems);
  }
  if (problems.length > 0) throw invalid(source, problems);

  return {
    source,
    debug: pvc.debug,
    zookeeper: {
      connectString: coordinatorsToConnectString(pvc.coordinators),
      sessionTimeoutMs: Math.round(r.zookeeper_session_timeout * 1000),
    },
    api: {
      listenAddress: api.listen_address,
      listenPort: api.listen_port === undefined ? DEFAULT_LISTEN_PORT : Number(api.listen_port),
      auth: { enabled: auth.enabled, secretKey: auth.secret_key ?? "", tokens },
      ssl: { enabled: ssl.enabled, certFile, keyFile },
    },
    reconciler: {
      storeRoot: r.store_root,
      pvcRoot: r.pvc_root === "/" ? "" : r.pvc_root,
      cephConf: abs(r.ceph_conf),
      facadeWaitTimeoutMs: Math.round(r.facade_wait_timeout * 1000),
      resyncPeriodMs: Math.round(r.resync_period * 1000),
      cephPollIntervalMs: Math.round(r.ceph_poll_interval * 1000),
      controllerConcurrency: r.controller_concurrency,
      logLevel: r.log_level ?? (pvc.debug ? "debug" : "info"),
      gitops: { enabled: gitops.enabled, dir: abs(gitops.dir) },
    },
  };
}

/** Parses YAML text (YAML 1.1, as PyYAML) and validates it. */
export function parseConfig(text: string, source: string, baseDir?: string): Config {
  let doc: unknown;
  try {
    doc = loadUserYaml(text, { schema: YAML11_SCHEMA });
  } catch (err) {
    throw new PvcError(
      ErrorCodes.CONFIG_INVALID,
      `config ${source}: not valid YAML: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return validateConfig(doc, source, baseDir);
}

/**
 * Loads the config from `file`, or else from the file named by PVC_CONFIG_FILE. Neither given, or
 * the file unreadable, is a CONFIG_INVALID error saying so.
 */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const path = file ?? env[CONFIG_FILE_ENV];
  if (!path) {
    throw new PvcError(
      ErrorCodes.CONFIG_INVALID,
      `no configuration file: pass --config FILE or set ${CONFIG_FILE_ENV} (see pvc-api.yaml in the PVC manual)`,
    );
  }
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (err) {
    throw new PvcError(
      ErrorCodes.CONFIG_INVALID,
      `config ${abs}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    );
  }
  return parseConfig(text, abs, resolve(abs, ".."));
}

export interface DevConfigOptions {
  connectString: string;
  cephConf: string;
  listenAddress?: string;
  listenPort?: number;
  storeRoot?: string;
  pvcRoot?: string;
}

/**
 * The config `pvcctl up` runs with: the local stack's ZooKeeper and Ceph, auth and SSL off. Built as
 * a document and validated like a file, so it cannot drift from what a file may say.
 */
export function devConfig(options: DevConfigOptions): Config {
  const doc = {
    pvc: {
      debug: false,
      coordinators: options.connectString.split(","),
      api: {
        listen_address: options.listenAddress ?? "127.0.0.1",
        listen_port: options.listenPort ?? DEFAULT_LISTEN_PORT,
        authentication: { enabled: false, secret_key: "", tokens: [] },
        ssl: { enabled: false, cert_file: "", key_file: "" },
      },
    },
    reconciler: {
      ceph_conf: options.cephConf,
      ...(options.storeRoot === undefined ? {} : { store_root: options.storeRoot }),
      ...(options.pvcRoot === undefined ? {} : { pvc_root: options.pvcRoot }),
    },
  };
  return validateConfig(doc, "<pvcctl up>");
}
