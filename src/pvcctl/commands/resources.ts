/**
 * `pvcctl apply | diff | get | describe | delete | wait | events | import`: kubectl-style commands
 * against the declarative HTTP API (src/pvcctl/api-client.ts and its neighbours), plus `import` of an existing PVC cluster.
 *
 * Where the API is: `--server`/`--token`/`--context`, else PVCCTL_SERVER/PVCCTL_TOKEN, else the
 * context file (see src/pvcctl/config.ts), else http://127.0.0.1:7370.
 * Exit codes: 0 ok, 1 failure, 2 usage. Output for people goes to stdout, problems to stderr.
 */
import { type Command, Option } from "commander";
import { ErrorCodes, PvcError } from "../../errors.ts";
import { formatProblem, type ManifestSet, readManifests } from "../../manifests/manifests.ts";
import { plural } from "../../plural.ts";
import { KINDS, type KindInfo, lookupKind, sortForApply, sortForDelete } from "../../resources/kinds.ts";
import type { Resource } from "../../resources/types.ts";
import { ApiClient } from "../api-client.ts";
import {
  APPLYSET_LABEL,
  applyManifests,
  checkApplySetName,
  desiredOf,
  label,
  notReadyReason,
  Progress,
  waitReady,
} from "../apply.ts";
import { resolveConnection } from "../config.ts";
import { objectDiff } from "../diff.ts";
import { describeText, eventsTable, isReadyNow, resourceTable, toYaml } from "../format.ts";
import { registerImportCommand } from "./import.ts";

interface ConnectionOpts {
  server?: string;
  token?: string;
  context?: string;
}

function withConnection(cmd: Command): Command {
  return cmd
    .option("--server <url>", "API server URL (env PVCCTL_SERVER; default http://127.0.0.1:7370)")
    .option("--token <token>", "API token, sent as X-Api-Key (env PVCCTL_TOKEN)")
    .option("--context <name>", "context of the context file (env PVCCTL_CONFIG names the file)");
}

function clientFor(opts: ConnectionOpts): ApiClient {
  const c = resolveConnection(opts);
  return new ApiClient({ server: c.server, token: c.token });
}

/** Stops with exit code 2 and one line. */
function usage(cmd: Command, message: string): never {
  cmd.error(`pvcctl: ${message}`, { exitCode: 2, code: "pvcctl.usage" });
}

function kindArg(cmd: Command, name: string): KindInfo {
  // Short names in the plural too (`nets`, `vols`, `vms`), as people type them.
  const info =
    lookupKind(name) ?? (name.length > 1 && name.endsWith("s") ? lookupKind(name.slice(0, -1)) : undefined);
  if (!info)
    usage(cmd, `unknown kind ${JSON.stringify(name)}; known kinds: ${KINDS.map((k) => k.plural).join(", ")}`);
  return info;
}

/** `KIND NAME...` or `KIND/NAME ...` → kind and names. */
function kindAndNames(cmd: Command, args: string[]): { info: KindInfo; names: string[] } {
  if (args.length === 0) usage(cmd, "a kind is required, e.g. `networks` or `network/lan`");
  if (args[0].includes("/")) {
    const pairs = args.map((a) => a.split("/"));
    const info = kindArg(cmd, pairs[0][0]);
    for (const p of pairs) {
      if (p.length !== 2 || kindArg(cmd, p[0]) !== info || p[1] === "")
        usage(cmd, `give KIND/NAME arguments of one kind (got ${args.join(" ")})`);
    }
    return { info, names: pairs.map((p) => p[1]) };
  }
  return { info: kindArg(cmd, args[0]), names: args.slice(1) };
}

/** `500ms`, `30s`, `5m`, `1h` or a number of seconds → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"]);
}

function timeoutOf(cmd: Command, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    usage(cmd, `--timeout ${JSON.stringify(text)}: give a duration such as 30s, 5m or 500ms`);
  return ms;
}

function humanDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Reads and validates every manifest; prints every problem and fails (writing nothing) if any. */
async function readAllValid(files: string[], verb: string): Promise<ManifestSet> {
  const set = await readManifests(files, {
    refuseKinds: {
      GitOpsSync: "GitOpsSync objects are written by the GitOps watcher; they cannot be applied",
    },
  });
  if (set.problems.length > 0) {
    for (const p of set.problems) err(formatProblem(p));
    const docs = new Set(set.problems.map((p) => `${p.file}#${p.index ?? 0}`)).size;
    throw new PvcError(
      ErrorCodes.VALIDATION_FAILED,
      `${plural(set.problems.length, "problem")} in ${plural(docs, "document")}; nothing was ${verb}`,
    );
  }
  return set;
}

function printObjects(items: Resource[], output: string, kind?: string): void {
  if (output === "json") {
    out(
      JSON.stringify(
        items.length === 1 && kind === undefined ? items[0] : { apiVersion: "v1", kind: "List", items },
        null,
        2,
      ),
    );
  } else if (output === "yaml") {
    out(items.map((r) => toYaml(r).trimEnd()).join("\n---\n"));
  } else if (output === "name") {
    for (const r of items) out(label(r));
  }
}

export function registerResourceCommands(program: Command): void {
  // apply
  withConnection(
    program
      .command("apply")
      .description(
        "create or update objects from manifests (files, folders, or - for stdin), in dependency order",
      )
      .requiredOption(
        "-f, --filename <path>",
        "a manifest file, a folder (read recursively) or -; repeatable",
        collect,
      )
      .option("--dry-run", "validate and show what would happen; write nothing")
      .option("--prune", "delete objects of the apply set (--applyset) that are not in the input")
      .option("--applyset <name>", "label the objects as members of this apply set (needed by --prune)")
      .option("--force", "with --prune: allow an input with no objects (prunes the whole set)")
      .option("--wait", "wait until every object applied is Ready")
      .option("--timeout <duration>", "how long --wait waits", "5m"),
  ).action(async (opts, cmd: Command) => {
    if (opts.prune && !opts.applyset)
      usage(cmd, "--prune needs --applyset NAME: only that set's objects are ever pruned");
    if (opts.applyset) {
      const bad = checkApplySetName(opts.applyset);
      if (bad) usage(cmd, bad);
    }
    const timeoutMs = timeoutOf(cmd, opts.timeout);
    const set = await readAllValid(opts.filename, "applied");
    if (set.docs.length === 0 && opts.prune && !opts.force) {
      throw new PvcError(
        ErrorCodes.VALIDATION_FAILED,
        `the input has no objects: --prune would delete every object of apply set ${opts.applyset}; pass --force to do that`,
      );
    }
    const client = clientFor(opts);
    const docs = sortForApply(
      set.docs.map((d) => ({ ...d, kind: d.resource.kind, metadata: d.resource.metadata })),
    ).map(({ kind: _k, metadata: _m, ...d }) => d);
    const progress = new Progress(docs.length);
    const outcome = await applyManifests(client, docs, {
      dryRun: opts.dryRun,
      applySet: opts.applyset,
      prune: opts.prune,
      out,
      err,
      progress,
    });
    if (opts.wait && !opts.dryRun) {
      // Kinds no controller reports on (templates, scripts, profiles) never turn Ready: not waited for.
      const items = outcome.results
        .filter((r) => !r.error)
        .map((r) => {
          const [kind, ...rest] = r.key.split("/");
          return { kind, name: rest.join("/"), generation: r.generation };
        })
        .filter((i) => lookupKind(i.kind)?.reportsReady !== false);
      const left = await waitReady(client, items, Date.now() + timeoutMs, (i) =>
        out(`${label({ kind: i.kind, metadata: { name: i.name } })} ready`),
      );
      if (left.length > 0) {
        for (const l of left)
          err(`${label({ kind: l.item.kind, metadata: { name: l.item.name } })} not ready: ${l.why}`);
        throw new PvcError(
          ErrorCodes.INTERNAL,
          `timed out after ${humanDuration(timeoutMs)}: ${left.length} of ${plural(items.length, "object")} not Ready`,
        );
      }
    }
    if (outcome.failures > 0) {
      throw new PvcError(
        ErrorCodes.INTERNAL,
        `${outcome.failures} of ${plural(docs.length + outcome.pruned.length, "object")} failed`,
      );
    }
  });

  // diff
  withConnection(
    program
      .command("diff")
      .description("show what apply would change: a unified diff of spec, labels and annotations, per object")
      .requiredOption("-f, --filename <path>", "a manifest file, a folder or -; repeatable", collect)
      .option("--applyset <name>", "as apply --applyset (its label is part of what apply writes)")
      .addOption(new Option("--color", "colour the diff (default: on a terminal)"))
      .addOption(new Option("--no-color", "never colour"))
      .option("--exit-code", "exit with 1 when there are differences (as git diff --exit-code)"),
  ).action(async (opts, cmd: Command) => {
    if (opts.applyset) {
      const bad = checkApplySetName(opts.applyset);
      if (bad) usage(cmd, bad);
    }
    const set = await readAllValid(opts.filename, "compared");
    const client = clientFor(opts);
    const color = opts.color === undefined ? Boolean(process.stdout.isTTY) : opts.color;
    let changed = 0;
    const refused: string[] = [];
    for (const d of set.docs) {
      const live = await client.tryGet(d.resource.kind, d.resource.metadata.name);
      if (!live && lookupKind(d.resource.kind)?.userCreatable === false) {
        // A creation diff would be a promise apply cannot keep: the server refuses to create it.
        refused.push(label(d.resource));
        err(
          `${label(d.resource)}: does not exist, and ${d.resource.kind} objects are created by the cluster: apply would be refused (${d.file} document ${d.index}, line ${d.line})`,
        );
        continue;
      }
      const text = objectDiff(label(d.resource), live, desiredOf(d, opts.applyset), { color });
      if (text) {
        changed++;
        process.stdout.write(text);
      }
    }
    if (refused.length > 0) {
      throw new PvcError(
        ErrorCodes.FORBIDDEN,
        `apply would be refused for ${plural(refused.length, "object")} (${refused.join(", ")}): the cluster creates them`,
      );
    }
    if (changed > 0 && opts.exitCode) process.exitCode = 1;
  });

  // get
  withConnection(
    program
      .command("get")
      .description("list objects of a kind (or `all`) as a table, or print them")
      .argument("<kind>", "kind, plural or short name (networks, net, vol, syncs…), or KIND/NAME, or all")
      .argument("[names...]", "only these objects")
      .option("-l, --selector <selector>", "label selector, e.g. app=web,tier!=db")
      .addOption(
        new Option("-o, --output <format>", "output format").choices(["wide", "yaml", "json", "name"]),
      ),
  ).action(async (kindText: string, names: string[], opts, cmd: Command) => {
    const client = clientFor(opts);
    const output: string = opts.output ?? "";
    if (kindText === "all") {
      if (names.length > 0) usage(cmd, "`get all` takes no names");
      const all: Resource[] = [];
      const blocks: string[] = [];
      for (const info of KINDS) {
        const items = await client.list(info.kind, { labelSelector: opts.selector });
        if (items.length === 0) continue;
        all.push(...items);
        blocks.push(resourceTable(info.kind, items, { wide: output === "wide", withKind: info.singular }));
      }
      if (output === "" || output === "wide") out(blocks.length ? blocks.join("\n\n") : "No objects found.");
      else printObjects(all, output, "all");
      return;
    }
    const { info, names: wanted } = kindAndNames(cmd, [kindText, ...names]);
    let items: Resource[];
    if (wanted.length > 0) {
      items = [];
      for (const n of wanted) items.push(await client.get(info.kind, n));
    } else {
      items = await client.list(info.kind, { labelSelector: opts.selector });
    }
    if (output === "" || output === "wide") {
      if (items.length === 0) err(`No ${info.plural} found.`);
      else out(resourceTable(info.kind, items, { wide: output === "wide" }));
    } else printObjects(items, output, wanted.length === 1 ? undefined : info.kind);
  });

  // describe
  withConnection(
    program
      .command("describe")
      .description("show one object: spec summary, status, conditions and recent events")
      .argument("<kind>", "kind, or KIND/NAME")
      .argument("[name]", "the object"),
  ).action(async (kindText: string, name: string | undefined, opts, cmd: Command) => {
    const { info, names } = kindAndNames(cmd, name === undefined ? [kindText] : [kindText, name]);
    if (names.length !== 1) usage(cmd, "describe takes one object: KIND NAME");
    const client = clientFor(opts);
    const r = await client.get(info.kind, names[0]);
    const events = await client.events(info.kind, names[0]).catch(() => []);
    process.stdout.write(describeText(r, events));
  });

  // events
  withConnection(
    program
      .command("events")
      .description("recent events of one object, newest first")
      .argument("<kind>", "kind, or KIND/NAME")
      .argument("[name]", "the object"),
  ).action(async (kindText: string, name: string | undefined, opts, cmd: Command) => {
    const { info, names } = kindAndNames(cmd, name === undefined ? [kindText] : [kindText, name]);
    if (names.length !== 1) usage(cmd, "events takes one object: KIND NAME");
    const client = clientFor(opts);
    out(eventsTable(await client.events(info.kind, names[0])));
  });

  // delete
  withConnection(
    program
      .command("delete")
      .description("delete objects by KIND NAME... or by the manifests that declare them (-f)")
      .argument("[kind]", "kind, or KIND/NAME")
      .argument("[names...]", "objects to delete")
      .option(
        "-f, --filename <path>",
        "delete the objects these manifests declare (dependents first); repeatable",
        collect,
      )
      .option("--dry-run", "show what would be deleted; delete nothing")
      .option("--ignore-not-found", "an object that does not exist is not an error")
      .option("--wait", "wait until the objects are gone (finalizers done)")
      .option("--timeout <duration>", "how long --wait waits", "5m"),
  ).action(async (kindText: string | undefined, names: string[], opts, cmd: Command) => {
    const timeoutMs = timeoutOf(cmd, opts.timeout);
    let targets: { kind: string; metadata: { name: string } }[];
    if (opts.filename) {
      if (kindText) usage(cmd, "give either -f FILE or KIND NAME..., not both");
      const set = await readAllValid(opts.filename, "deleted");
      targets = sortForDelete(
        set.docs.map((d) => ({ kind: d.resource.kind, metadata: { name: d.resource.metadata.name } })),
      );
    } else {
      if (!kindText) usage(cmd, "give KIND NAME... or -f FILE");
      const { info, names: wanted } = kindAndNames(cmd, [kindText, ...names]);
      if (wanted.length === 0) usage(cmd, `name the ${info.plural} to delete (there is no delete-all)`);
      targets = wanted.map((n) => ({ kind: info.kind, metadata: { name: n } }));
    }
    const client = clientFor(opts);
    const suffix = opts.dryRun ? " (dry run)" : "";
    let failures = 0;
    const deleted: typeof targets = [];
    for (const t of targets) {
      try {
        await client.delete(t.kind, t.metadata.name, { dryRun: opts.dryRun });
        out(`${label(t)} deleted${suffix}`);
        deleted.push(t);
      } catch (e) {
        if (
          e instanceof PvcError &&
          e.code === ErrorCodes.NOT_FOUND &&
          (opts.ignoreNotFound || opts.filename)
        ) {
          if (!opts.ignoreNotFound) err(`${label(t)} not found`);
          continue;
        }
        failures++;
        err(`${label(t)}: ${(e as Error).message}`);
      }
    }
    if (opts.wait && !opts.dryRun) {
      const deadline = Date.now() + timeoutMs;
      for (const t of deleted) {
        const r = await waitFor(client, t.kind, t.metadata.name, { type: "delete" }, deadline);
        if (!r.ok) {
          throw new PvcError(
            ErrorCodes.INTERNAL,
            `timed out after ${humanDuration(timeoutMs)} waiting for ${label(t)} to be gone: ${r.why}`,
          );
        }
      }
    }
    if (failures > 0)
      throw new PvcError(ErrorCodes.INTERNAL, `${failures} of ${plural(targets.length, "delete")} failed`);
  });

  // wait
  withConnection(
    program
      .command("wait")
      .description("wait for a condition of one object: --for=condition=Ready, --for=delete or --for=create")
      .argument("<kind>", "kind, or KIND/NAME")
      .argument("[name]", "the object")
      .requiredOption(
        "--for <what>",
        "condition=TYPE[=STATUS] (Ready means Ready for the current generation), delete, or create",
      )
      .option("--timeout <duration>", "give up after this long", "30s"),
  ).action(async (kindText: string, name: string | undefined, opts, cmd: Command) => {
    const { info, names } = kindAndNames(cmd, name === undefined ? [kindText] : [kindText, name]);
    if (names.length !== 1) usage(cmd, "wait takes one object: KIND NAME");
    const target = parseFor(cmd, opts.for);
    const timeoutMs = timeoutOf(cmd, opts.timeout);
    const client = clientFor(opts);
    const r = await waitFor(client, info.kind, names[0], target, Date.now() + timeoutMs);
    const what = label({ kind: info.kind, metadata: { name: names[0] } });
    if (!r.ok)
      throw new PvcError(
        ErrorCodes.INTERNAL,
        `timed out after ${humanDuration(timeoutMs)} waiting for ${what} (${opts.for}): ${r.why}`,
      );
    out(
      `${what} ${target.type === "condition" ? `condition met: ${target.condition}=${target.status}` : target.type === "delete" ? "deleted" : "exists"}`,
    );
  });

  registerImportCommand(program);
}

type WaitTarget =
  | { type: "delete" }
  | { type: "create" }
  | { type: "condition"; condition: string; status: string };

function parseFor(cmd: Command, text: string): WaitTarget {
  if (text === "delete") return { type: "delete" };
  if (text === "create") return { type: "create" };
  const m = /^condition=([A-Za-z][A-Za-z0-9]*)(?:=(True|False|Unknown|true|false|unknown))?$/.exec(text);
  if (!m) usage(cmd, `--for=${text}: use condition=TYPE[=True|False|Unknown], delete or create`);
  const status = (m[2] ?? "True").replace(/^./, (c) => c.toUpperCase());
  return { type: "condition", condition: m[1], status };
}

/** Polls one object until the target holds or the deadline passes. */
async function waitFor(
  client: ApiClient,
  kind: string,
  name: string,
  target: WaitTarget,
  deadline: number,
): Promise<{ ok: boolean; why: string }> {
  let delay = 25;
  for (;;) {
    const r = await client.tryGet(kind, name);
    let ok: boolean;
    let why: string;
    if (target.type === "delete") {
      ok = r === null;
      why = r?.metadata.deletionTimestamp
        ? `still there, deleting since ${r.metadata.deletionTimestamp} (finalizers: ${(r.metadata.finalizers ?? []).join(", ") || "none"})`
        : "still there";
    } else if (target.type === "create") {
      ok = r !== null;
      why = "does not exist";
    } else if (!r) {
      ok = false;
      why = "does not exist";
    } else if (target.condition === "Ready" && target.status === "True") {
      ok = isReadyNow(r);
      why = notReadyReason(r);
    } else {
      const c = r.status?.conditions?.find((x) => x.type === target.condition);
      ok = c?.status === target.status;
      why = c ? `${c.type}=${c.status} ${c.reason}: ${c.message}` : `no ${target.condition} condition`;
    }
    if (ok) return { ok, why: "" };
    if (Date.now() >= deadline) return { ok, why };
    await new Promise((res) => setTimeout(res, Math.min(delay, Math.max(1, deadline - Date.now()))));
    delay = Math.min(500, delay * 2);
  }
}

export { APPLYSET_LABEL };
