/**
 * Where pvcctl finds the API, kubectl-style: a context file, overridden by environment variables,
 * overridden by flags.
 *
 *   1. `--server URL` / `--token TOKEN` (and `--context NAME` to pick a context)
 *   2. `PVCCTL_SERVER` / `PVCCTL_TOKEN`
 *   3. the context file: `PVCCTL_CONFIG`, else `$XDG_CONFIG_HOME/pvcctl/config.yaml`
 *      (`~/.config/pvcctl/config.yaml`)
 *   4. `http://127.0.0.1:7370`, no token
 *
 * The file holds either one server, or several contexts and the current one:
 *
 *     current-context: lab
 *     contexts:
 *       - name: lab
 *         server: https://pvc-lab.example.net:7370
 *         token: 3b1f…            # or tokenFile: ~/.secrets/pvc-lab
 *       - name: local
 *         server: http://127.0.0.1:7370
 *
 * A token is never printed: `describe()` shows where it came from, not what it is.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { ErrorCodes, PvcError } from "../errors.ts";
import { loadUserYaml } from "../resources/yaml.ts";

export const DEFAULT_SERVER = "http://127.0.0.1:7370";
export const CONFIG_ENV = "PVCCTL_CONFIG";
export const SERVER_ENV = "PVCCTL_SERVER";
export const TOKEN_ENV = "PVCCTL_TOKEN";

export interface Connection {
  server: string;
  token?: string;
  /** For messages: where the server and token were taken from. */
  serverFrom: string;
  tokenFrom?: string;
}

export interface ConnectionFlags {
  server?: string;
  token?: string;
  context?: string;
}

interface ContextEntry {
  name?: string;
  server?: string;
  token?: string;
  tokenFile?: string;
}

function invalid(message: string): PvcError {
  return new PvcError(ErrorCodes.CONFIG_INVALID, message);
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env[CONFIG_ENV]) return resolve(env[CONFIG_ENV]);
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "pvcctl", "config.yaml");
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p;
}

/** The chosen context of the file, or undefined when there is no file. */
function readContext(path: string, contextName?: string): ContextEntry | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // As kubectl with KUBECONFIG: a missing file is an empty one (unless a context is asked for).
    if (code === "ENOENT" && !contextName) return undefined;
    throw invalid(`context file ${path}: cannot be read: ${code ?? err}`);
  }
  let doc: unknown;
  try {
    doc = loadUserYaml(text);
  } catch (err) {
    throw invalid(`context file ${path}: not valid YAML: ${(err as { reason?: string }).reason ?? err}`);
  }
  if (doc === null || doc === undefined) return contextName ? missingContext(path, contextName, []) : {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw invalid(`context file ${path}: must be a mapping`);
  const d = doc as Record<string, unknown>;
  const known = new Set(["server", "token", "tokenFile", "contexts", "current-context"]);
  for (const key of Object.keys(d)) {
    if (!known.has(key))
      throw invalid(`context file ${path}: ${key}: is not a known setting (known: ${[...known].join(", ")})`);
  }
  const check = (entry: unknown, where: string): ContextEntry => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry))
      throw invalid(`context file ${path}: ${where}: must be a mapping`);
    const e = entry as Record<string, unknown>;
    for (const key of ["name", "server", "token", "tokenFile"] as const) {
      if (e[key] !== undefined && typeof e[key] !== "string")
        throw invalid(`context file ${path}: ${where}.${key}: must be a string`);
    }
    for (const key of Object.keys(e)) {
      if (!["name", "server", "token", "tokenFile"].includes(key))
        throw invalid(
          `context file ${path}: ${where}.${key}: is not a known setting (known: name, server, token, tokenFile)`,
        );
    }
    return e as ContextEntry;
  };
  const top = check({ server: d.server, token: d.token, tokenFile: d.tokenFile }, "(top level)");
  if (d.contexts === undefined) {
    if (contextName) return missingContext(path, contextName, []);
    return top;
  }
  if (!Array.isArray(d.contexts)) throw invalid(`context file ${path}: contexts: must be a list`);
  const contexts = d.contexts.map((c, i) => check(c, `contexts[${i}]`));
  const wanted = contextName ?? (typeof d["current-context"] === "string" ? d["current-context"] : undefined);
  if (wanted === undefined) return contexts.length === 1 ? contexts[0] : top;
  const found = contexts.find((c) => c.name === wanted);
  if (!found) {
    return missingContext(
      path,
      wanted,
      contexts.map((c) => c.name ?? "?"),
    );
  }
  return found;
}

function missingContext(path: string, name: string, names: string[]): never {
  throw invalid(
    `context file ${path}: no context named ${JSON.stringify(name)}${names.length ? ` (have: ${names.join(", ")})` : ""}`,
  );
}

/** Resolves server and token from flags, environment and the context file, in that order. */
export function resolveConnection(
  flags: ConnectionFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): Connection {
  const path = configPath(env);
  const needFile =
    !(flags.server || env[SERVER_ENV]) || !(flags.token || env[TOKEN_ENV]) || flags.context !== undefined;
  const ctx = needFile ? readContext(path, flags.context) : undefined;

  let server: string;
  let serverFrom: string;
  if (flags.server) [server, serverFrom] = [flags.server, "--server"];
  else if (env[SERVER_ENV]) [server, serverFrom] = [env[SERVER_ENV] as string, SERVER_ENV];
  else if (ctx?.server) [server, serverFrom] = [ctx.server, path];
  else [server, serverFrom] = [DEFAULT_SERVER, "default"];
  if (!/^https?:\/\/[^/\s]+/.test(server)) {
    throw invalid(`server ${JSON.stringify(server)} (from ${serverFrom}) must be an http:// or https:// URL`);
  }

  let token: string | undefined;
  let tokenFrom: string | undefined;
  if (flags.token) [token, tokenFrom] = [flags.token, "--token"];
  else if (env[TOKEN_ENV]) [token, tokenFrom] = [env[TOKEN_ENV], TOKEN_ENV];
  else if (ctx?.token) [token, tokenFrom] = [ctx.token, path];
  else if (ctx?.tokenFile) {
    const file = resolve(expandHome(ctx.tokenFile));
    try {
      token = readFileSync(file, "utf8").trim();
    } catch (err) {
      throw invalid(
        `context file ${path}: tokenFile ${file}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
    tokenFrom = file;
  }
  return { server, token: token || undefined, serverFrom, tokenFrom: token ? tokenFrom : undefined };
}
