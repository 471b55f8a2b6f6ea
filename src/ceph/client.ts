/**
 * Typed, promise-based access to a Ceph cluster through its CLIs. Every method validates its
 * arguments (names.ts, size.ts) before anything is spawned, then runs exactly the command PVC runs,
 * through CephRunner. Methods throw PvcError: CEPH_ENOENT / CEPH_EEXIST / CEPH_EBUSY / CEPH_EINVAL /
 * CEPH_ENOTEMPTY / CEPH_EPERM for what Ceph refused, CEPH_TIMEOUT, CEPH_COMMAND_FAILED, CEPH_BAD_OUTPUT,
 * INVALID_NAME.
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import {
  type OsdFlag,
  validateLocker,
  validateLockId,
  validateName,
  validateOsdFlag,
  validateOsdId,
  validatePoolName,
  validatePoolValue,
  validatePoolVariable,
  validateSnapshotName,
  validateVolumeName,
} from "./names.ts";
import {
  parseCrushRules,
  parseDf,
  parseHealth,
  parseLockLs,
  parseMonHosts,
  parseOsdDf,
  parseOsdDump,
  parseOsdLs,
  parseOsdTree,
  parsePoolDefaults,
  parsePoolGet,
  parsePoolLsDetail,
  parseRadosDf,
  parseRbdInfo,
  parseRbdLs,
  parseSnapLs,
  parseStatus,
} from "./parse.ts";
import { type Placement, placement, ruleFor } from "./placement.ts";
import { CephReachability } from "./reachability.ts";
import { type CallOptions, type CephBinary, CephRunner, commandLabel, type RunnerOptions } from "./run.ts";
import { rbdSizeArg } from "./size.ts";
import type {
  CephDf,
  CephHealth,
  CephStatus,
  CrushRule,
  OsdDf,
  OsdDump,
  OsdTree,
  PoolCreateOptions,
  PoolDefaults,
  PoolDetail,
  PoolGetValue,
  RadosDf,
  RbdImageInfo,
  RbdLock,
  RbdLsEntry,
  RbdSnapshot,
} from "./types.ts";

export type CephClientOptions = RunnerOptions;
export type { CallOptions } from "./run.ts";

export interface PoolSetOptions extends CallOptions {
  /**
   * Pass `--yes-i-really-mean-it`. Ceph demands it for risky values (measured: `size 1` fails with
   * EPERM without it, even when `mon allow pool size one` is set).
   */
  confirm?: boolean;
}

export interface ResizeOptions extends CallOptions {
  /** Without it rbd refuses to shrink (EINVAL), which protects data; opt in explicitly. */
  allowShrink?: boolean;
}

/** `mon max pool pg num` defaults to 65536; anything above fails with ERANGE anyway. */
const MAX_PGS = 65536;

/** Features PVC gives every volume (v0.6 `rbd create ... --image-feature layering,exclusive-lock`). */
const IMAGE_FEATURES = "layering,exclusive-lock";

/**
 * rbd's progress meter ("Resizing image: 1% complete...") goes to stderr and buries the error
 * message. Only the commands that have a meter accept the flag (info, ls, rename... reject it).
 */
const NO_PROGRESS = "--no-progress";

function image(pool: string, volume: string): string {
  return `${validatePoolName(pool)}/${validateVolumeName(volume)}`;
}

function snapshot(pool: string, volume: string, snap: string): string {
  return `${image(pool, volume)}@${validateSnapshotName(snap)}`;
}

/** A sanity bound on replica counts (CRUSH rules used to cap them at 10 too). */
const MAX_POOL_SIZE = 10;

function validateCount(value: unknown, field: string, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new PvcError(
      ErrorCodes.CEPH_EINVAL,
      `invalid ${field} ${String(value)}: expected an integer 1..${max}`,
      {
        details: { field, value },
      },
    );
  }
  return value;
}

export class CephClient {
  readonly runner: CephRunner;
  /** Whether Ceph answered this client's recent calls (fed by every call; see reachability.ts). */
  readonly reachability = new CephReachability();

  constructor(options: CephClientOptions = {}) {
    const { onCall } = options;
    this.runner = new CephRunner({
      ...options,
      onCall: (stat) => {
        this.reachability.observe(stat);
        onCall?.(stat);
      },
    });
  }

  private async json<T>(
    bin: CephBinary,
    args: string[],
    parse: (cmd: string, json: unknown) => T,
    opts?: CallOptions,
  ): Promise<T> {
    return parse(commandLabel(bin, args), await this.runner.json(bin, args, opts));
  }

  private async exec(bin: CephBinary, args: string[], opts?: CallOptions): Promise<void> {
    await this.runner.run(bin, args, opts);
  }

  private async text(bin: CephBinary, args: string[], opts?: CallOptions): Promise<string> {
    return (await this.runner.run(bin, args, opts)).stdout;
  }

  // --- cluster -----------------------------------------------------------------------------------

  async status(opts?: CallOptions): Promise<CephStatus> {
    return this.json("ceph", ["status"], parseStatus, opts);
  }

  /** Plain `ceph status`, as PVC stores it in ZooKeeper under `/ceph`. */
  async statusText(opts?: CallOptions): Promise<string> {
    return this.text("ceph", ["status"], opts);
  }

  async health(opts?: CallOptions): Promise<CephHealth> {
    return this.json("ceph", ["health"], parseHealth, opts);
  }

  async df(opts?: CallOptions): Promise<CephDf> {
    return this.json("ceph", ["df"], parseDf, opts);
  }

  async radosDf(opts?: CallOptions): Promise<RadosDf> {
    return this.json("rados", ["df"], parseRadosDf, opts);
  }

  /** Plain `rados df`, as PVC stores it in ZooKeeper under `/ceph/radosdf`. */
  async radosDfText(opts?: CallOptions): Promise<string> {
    return this.text("rados", ["df"], opts);
  }

  /** The monitors' v1 addresses (`host`, `port`), as qemu's rbd disks name them in a VM's XML. */
  async monHosts(opts?: CallOptions): Promise<{ host: string; port: number }[]> {
    return this.json("ceph", ["mon", "dump"], parseMonHosts, opts);
  }

  // --- OSDs --------------------------------------------------------------------------------------

  async osdLs(opts?: CallOptions): Promise<number[]> {
    return this.json("ceph", ["osd", "ls"], parseOsdLs, opts);
  }

  async osdTree(opts?: CallOptions): Promise<OsdTree> {
    return this.json("ceph", ["osd", "tree"], parseOsdTree, opts);
  }

  async osdDump(opts?: CallOptions): Promise<OsdDump> {
    return this.json("ceph", ["osd", "dump"], parseOsdDump, opts);
  }

  /** Needs an active mgr: without one the command hangs until the timeout (measured). */
  async osdDf(opts?: CallOptions): Promise<OsdDf> {
    return this.json("ceph", ["osd", "df"], parseOsdDf, opts);
  }

  /** CEPH_ENOENT for an unknown id; marking an OSD that is already in is a no-op success. */
  async osdIn(id: number, opts?: CallOptions): Promise<void> {
    return this.exec("ceph", ["osd", "in", String(validateOsdId(id))], opts);
  }

  /** Careful: on a one-OSD cluster every PG goes `unknown` and all I/O blocks until `osdIn`. */
  async osdOut(id: number, opts?: CallOptions): Promise<void> {
    return this.exec("ceph", ["osd", "out", String(validateOsdId(id))], opts);
  }

  async osdSet(flag: OsdFlag, opts?: CallOptions): Promise<void> {
    return this.exec("ceph", ["osd", "set", validateOsdFlag(flag)], opts);
  }

  async osdUnset(flag: OsdFlag, opts?: CallOptions): Promise<void> {
    return this.exec("ceph", ["osd", "unset", validateOsdFlag(flag)], opts);
  }

  /** `ceph osd crush rule dump`: every rule, with its steps. */
  async crushRules(opts?: CallOptions): Promise<CrushRule[]> {
    return this.json("ceph", ["osd", "crush", "rule", "dump"], parseCrushRules, opts);
  }

  /**
   * How many copies pools of `crushRule` (default: the rule new pools get) can place apart:
   * `ceph osd crush rule dump` + `ceph osd tree`. Undefined when the rule is unknown or too
   * complex to judge (see placement.ts).
   */
  async placement(crushRule?: number, opts?: CallOptions): Promise<Placement | undefined> {
    const [rules, tree] = await Promise.all([this.crushRules(opts), this.osdTree(opts)]);
    const rule = ruleFor(rules, crushRule);
    return rule ? placement(tree, rule) : undefined;
  }

  // --- pools -------------------------------------------------------------------------------------

  /**
   * The replica counts the mon gives a pool when none are asked for (`osd pool default size` and
   * `min size` as the running mon has them, from its ceph.conf or the config database):
   * `ceph status` for a mon in quorum, then `ceph config show mon.<name>`. Ceph's own defaults
   * (3, and min 0 = 2) are PVC's copies=3,mincopies=2.
   */
  async poolDefaults(opts?: CallOptions): Promise<PoolDefaults> {
    const mon = (await this.status(opts)).quorumNames[0];
    if (!mon) throw new PvcError(ErrorCodes.CEPH_BAD_OUTPUT, "ceph status: no mon in quorum");
    const args = ["config", "show", `mon.${validateName("mon", mon)}`];
    return this.json("ceph", args, parsePoolDefaults, opts);
  }

  /**
   * `ceph osd pool create P <pgs> <pgs> replicated [--size N]`, then `min_size` if asked.
   * CEPH_EEXIST if the pool exists (Ceph itself exits 0 then). Not atomic: if setting min_size
   * fails, that error is thrown but the pool exists, with Ceph's default min_size.
   */
  async poolCreate(
    pool: string,
    pgs: number,
    options: PoolCreateOptions = {},
    opts?: CallOptions,
  ): Promise<void> {
    validatePoolName(pool);
    validateCount(pgs, "pg count", MAX_PGS);
    const args = ["osd", "pool", "create", pool, String(pgs), String(pgs), "replicated"];
    if (options.size !== undefined)
      args.push("--size", String(validateCount(options.size, "pool size", MAX_POOL_SIZE)));
    if (options.minSize !== undefined) validateCount(options.minSize, "pool min_size", MAX_POOL_SIZE);
    await this.exec("ceph", args, opts);
    if (options.minSize !== undefined) await this.poolSet(pool, "min_size", options.minSize, opts);
  }

  /** `ceph osd pool get P <var>`: the value as Ceph typed it in JSON (number, boolean or string). */
  async poolGet(pool: string, variable: string, opts?: CallOptions): Promise<PoolGetValue> {
    validatePoolName(pool);
    const v = validatePoolVariable(variable);
    if (v === "all") {
      // `all` returns every variable at once; it has no single value to return.
      throw new PvcError(ErrorCodes.CEPH_EINVAL, "poolGet: `all` is not a single variable; use poolLsDetail");
    }
    return this.json(
      "ceph",
      ["osd", "pool", "get", pool, v],
      (cmd, json) => parsePoolGet(cmd, json, v),
      opts,
    );
  }

  async poolSet(
    pool: string,
    variable: string,
    value: string | number | boolean,
    opts: PoolSetOptions = {},
  ): Promise<void> {
    const args = [
      "osd",
      "pool",
      "set",
      validatePoolName(pool),
      validatePoolVariable(variable),
      validatePoolValue(value),
    ];
    if (opts.confirm) args.push("--yes-i-really-mean-it");
    return this.exec("ceph", args, opts);
  }

  async poolLsDetail(opts?: CallOptions): Promise<PoolDetail[]> {
    return this.json("ceph", ["osd", "pool", "ls", "detail"], parsePoolLsDetail, opts);
  }

  /** CEPH_EPERM if the pool already has a different application (Ceph asks for confirmation). */
  async poolApplicationEnable(pool: string, app: string, opts?: CallOptions): Promise<void> {
    const args = [
      "osd",
      "pool",
      "application",
      "enable",
      validatePoolName(pool),
      validateName("application", app),
    ];
    return this.exec("ceph", args, opts);
  }

  /** `rbd pool init P`: creates the rbd directory objects and enables the `rbd` application. */
  async rbdPoolInit(pool: string, opts?: CallOptions): Promise<void> {
    return this.exec("rbd", ["pool", "init", validatePoolName(pool)], opts);
  }

  /** Deletes the pool and all its data. CEPH_ENOENT if it does not exist (Ceph exits 0 then). */
  async poolRm(pool: string, opts?: CallOptions): Promise<void> {
    const p = validatePoolName(pool);
    return this.exec("ceph", ["osd", "pool", "rm", p, p, "--yes-i-really-really-mean-it"], opts);
  }

  // --- RBD volumes -------------------------------------------------------------------------------

  /** Creates `pool/volume` of exactly `sizeBytes` bytes with PVC's features. CEPH_EEXIST if taken. */
  async rbdCreate(
    pool: string,
    volume: string,
    sizeBytes: number | bigint,
    opts?: CallOptions,
  ): Promise<void> {
    const spec = image(pool, volume);
    const args = [
      "create",
      spec,
      "--size",
      rbdSizeArg(sizeBytes),
      "--image-feature",
      IMAGE_FEATURES,
      NO_PROGRESS,
    ];
    return this.exec("rbd", args, opts);
  }

  async rbdInfo(pool: string, volume: string, opts?: CallOptions): Promise<RbdImageInfo> {
    return this.json("rbd", ["info", image(pool, volume)], parseRbdInfo, opts);
  }

  /** `rbd ls -l P`: every image, plus one entry per snapshot (with `snapshot` set). */
  async rbdLs(pool: string, opts?: CallOptions): Promise<RbdLsEntry[]> {
    // The pool goes before `-l` so the command label in errors and stats names it.
    return this.json("rbd", ["ls", validatePoolName(pool), "-l"], parseRbdLs, opts);
  }

  async rbdResize(
    pool: string,
    volume: string,
    sizeBytes: number | bigint,
    opts: ResizeOptions = {},
  ): Promise<void> {
    const args = ["resize", image(pool, volume), "--size", rbdSizeArg(sizeBytes), NO_PROGRESS];
    if (opts.allowShrink) args.push("--allow-shrink");
    return this.exec("rbd", args, opts);
  }

  /** Renames within one pool (rbd cannot move an image between pools by renaming). */
  async rbdRename(pool: string, from: string, to: string, opts?: CallOptions): Promise<void> {
    return this.exec("rbd", ["rename", image(pool, from), image(pool, to)], opts);
  }

  /** Full copy of the image data (not a clone); may take long for big images: raise timeoutMs. */
  async rbdCopy(
    pool: string,
    volume: string,
    destPool: string,
    destVolume: string,
    opts?: CallOptions,
  ): Promise<void> {
    return this.exec("rbd", ["copy", image(pool, volume), image(destPool, destVolume), NO_PROGRESS], opts);
  }

  /**
   * CEPH_ENOTEMPTY if the image has snapshots, CEPH_EBUSY if it has watchers. A stale lock of a
   * dead client makes `rbd rm` hang (measured): remove it with lockRm first; the timeout bounds it.
   */
  async rbdRm(pool: string, volume: string, opts?: CallOptions): Promise<void> {
    return this.exec("rbd", ["rm", image(pool, volume), NO_PROGRESS], opts);
  }

  // --- snapshots and locks -----------------------------------------------------------------------

  async snapCreate(pool: string, volume: string, snap: string, opts?: CallOptions): Promise<void> {
    return this.exec("rbd", ["snap", "create", snapshot(pool, volume, snap), NO_PROGRESS], opts);
  }

  async snapLs(pool: string, volume: string, opts?: CallOptions): Promise<RbdSnapshot[]> {
    return this.json("rbd", ["snap", "ls", image(pool, volume)], parseSnapLs, opts);
  }

  async snapRm(pool: string, volume: string, snap: string, opts?: CallOptions): Promise<void> {
    return this.exec("rbd", ["snap", "rm", snapshot(pool, volume, snap), NO_PROGRESS], opts);
  }

  async lockLs(pool: string, volume: string, opts?: CallOptions): Promise<RbdLock[]> {
    return this.json("rbd", ["lock", "ls", image(pool, volume)], parseLockLs, opts);
  }

  /** Breaks a lock, e.g. one left by a crashed hypervisor. Id and locker come from lockLs. */
  async lockRm(
    pool: string,
    volume: string,
    lockId: string,
    locker: string,
    opts?: CallOptions,
  ): Promise<void> {
    return this.exec(
      "rbd",
      ["lock", "rm", image(pool, volume), validateLockId(lockId), validateLocker(locker)],
      opts,
    );
  }
}
