/**
 * `pvcctl stack` end to end: a second, private stack (its own dir and ports, no hollow nodes) is
 * started the way developers do it, `eval "$(pvcctl stack up)"`, with a lock fd open that no daemon
 * may inherit; then checked with ZooKeeper's srvr and `ceph health`, restarted, and stopped.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parsePidfile } from "../../src/stack/state.ts";
import { fourLetterWord } from "../../src/stack/zookeeper.ts";

const PVCCTL = fileURLToPath(new URL("../../bin/pvcctl.js", import.meta.url));
// Away from the defaults (22181, 26789/23300, 26800-26999) and from scripts/test.sh's stack.
const ZK_PORT = Number(process.env.PVC_TEST2_ZK_PORT ?? 22381);
const MON_PORT = Number(process.env.PVC_TEST2_MON_PORT ?? 23589);
const MON_V2_PORT = Number(process.env.PVC_TEST2_MON_V2_PORT ?? 23500);
const MS_MIN = Number(process.env.PVC_TEST2_MS_PORT_MIN ?? 27200);
const MS_MAX = Number(process.env.PVC_TEST2_MS_PORT_MAX ?? 27399);
const COMPONENTS = ["zookeeper", "mon", "mgr", "osd"];

const base = mkdtempSync(join(tmpdir(), "pvc-stack-test-"));
const dir = join(base, "stack");
// biome-ignore format: flag/value pairs read better on few lines
const upArgs = [
  "stack", "up", "--dir", dir, "--no-hollow-nodes",
  "--zk-port", String(ZK_PORT), "--mon-port", String(MON_PORT), "--mon-v2-port", String(MON_V2_PORT),
  "--ms-port-min", String(MS_MIN), "--ms-port-max", String(MS_MAX),
];

function pvcctl(...args: string[]) {
  return execa(process.execPath, [PVCCTL, ...args], { reject: false, stdin: "ignore", timeout: 120_000 });
}

function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) env[m[1]] = m[2];
  return env;
}

function pids(): Record<string, number> {
  return Object.fromEntries(
    COMPONENTS.map((c) => [
      c,
      Number(parsePidfile(readFileSync(join(dir, "pids", `${c}.pid`), "utf8"))?.pid),
    ]),
  );
}

/** Fields of /proc/PID/stat after the command name: [0] is the state, [3] the session id. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** Alive = /proc entry exists and is not a zombie (orphans stay zombies until PID 1 reaps them). */
function alive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat[0] !== "Z";
}

describe("pvcctl stack", { timeout: 300_000 }, () => {
  let exports: Record<string, string>;
  let firstPids: Record<string, number>;

  before(async () => {
    // The shell holds fd 9 on a lock file and captures stdout: if any daemon inherited either, the
    // capture would never end (execa's timeout would fire) or the lock check below would fail.
    const t0 = performance.now();
    const r = await execa(
      "bash",
      [
        "-c",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's positional parameters, not a template
        'exec 9>"$1/test.lock"; out=$(node "$2" "${@:3}") || exit $?; printf "%s" "$out"',
        "bash",
        base,
        PVCCTL,
        ...upArgs,
      ],
      { reject: false, stdin: "ignore", timeout: 120_000 },
    );
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    assert.equal(
      r.exitCode,
      0,
      `stack up failed (${r.timedOut ? "timed out: a daemon kept the $(...) pipe?" : r.stderr})`,
    );
    exports = parseExports(r.stdout);
    firstPids = pids();
    const record = JSON.parse(readFileSync(join(dir, "stack.json"), "utf8"));
    process.stderr.write(
      `stack up: ${seconds} s wall (incl. CLI start), ready after ${record.readySeconds} s\n`,
    );
  });

  after(async () => {
    await pvcctl("stack", "down", "--purge", "--dir", dir);
    rmSync(base, { recursive: true, force: true });
  });

  test("prints only the connection settings on stdout, and writes them to DIR/env", () => {
    assert.deepEqual(exports, {
      PVC_ZK_CONNECT: `127.0.0.1:${ZK_PORT}`,
      CEPH_CONF: join(dir, "ceph", "ceph.conf"),
    });
    assert.deepEqual(parseExports(readFileSync(join(dir, "env"), "utf8")), exports);
  });

  test("ZooKeeper serves: srvr reports standalone", async () => {
    const reply = await fourLetterWord(ZK_PORT, "srvr");
    assert.match(reply ?? "", /^Mode: standalone$/m);
  });

  test("ceph health is HEALTH_OK through the printed CEPH_CONF", async () => {
    const r = await execa("ceph", ["health"], {
      env: { CEPH_CONF: exports.CEPH_CONF },
      timeout: 30_000,
      stdin: "ignore",
    });
    assert.equal(r.stdout.trim(), "HEALTH_OK");
  });

  test("no daemon holds the caller's lock fd, and each leads its own session", () => {
    for (const [name, pid] of Object.entries(firstPids)) {
      const targets = readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return "";
        }
      });
      assert.ok(!targets.some((t) => t.endsWith("test.lock")), `${name} inherited the lock fd`);
      assert.equal(Number(procStat(pid)?.[3]), pid, `${name} is not a session leader`);
    }
  });

  test("up again is a no-op: same PIDs, same output", async () => {
    const r = await pvcctl(...upArgs);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(parseExports(r.stdout), exports);
    assert.deepEqual(pids(), firstPids);
  });

  test("status lists every component as running, exit 0; env prints the exports", async () => {
    const r = await pvcctl("stack", "status", "--dir", dir);
    assert.equal(r.exitCode, 0, r.stdout);
    for (const c of COMPONENTS) {
      // ZooKeeper's line also says its client port and the role `srvr` reports.
      const role = c === "zookeeper" ? `\\s+port ${ZK_PORT} standalone` : "";
      assert.match(r.stdout, new RegExp(`^${c}\\s+running\\s+pid ${firstPids[c]}${role}$`, "m"));
    }
    assert.match(r.stdout, /^sim\s+disabled$/m);
    const env = await pvcctl("stack", "env", "--dir", dir);
    assert.equal(env.exitCode, 0);
    assert.deepEqual(parseExports(env.stdout), exports);
  });

  test("down stops every process and keeps the logs; status and env then fail", async () => {
    const r = await pvcctl("stack", "down", "--dir", dir);
    assert.equal(r.exitCode, 0, r.stderr);
    for (const [name, pid] of Object.entries(firstPids))
      assert.equal(alive(pid), false, `${name} (pid ${pid}) still runs`);
    assert.deepEqual(readdirSync(join(dir, "pids")), []);
    for (const log of ["zookeeper", "mon", "mgr", "osd"]) {
      assert.ok(readFileSync(join(dir, "logs", `${log}.log`), "utf8").length > 0, `${log}.log is empty`);
    }
    const status = await pvcctl("stack", "status", "--dir", dir);
    assert.equal(status.exitCode, 1);
    assert.match(status.stdout, /^mon\s+stopped$/m);
    const env = await pvcctl("stack", "env", "--dir", dir);
    assert.equal(env.exitCode, 1);
    assert.match(env.stderr, /no running stack/);
  });

  test("up after down restarts from the kept data, HEALTH_OK again", async () => {
    const r = await pvcctl(...upArgs);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /restarting/);
    const health = await execa("ceph", ["health"], {
      env: { CEPH_CONF: exports.CEPH_CONF },
      timeout: 30_000,
      stdin: "ignore",
    });
    assert.equal(health.stdout.trim(), "HEALTH_OK");
    const restarted = pids();
    const down = await pvcctl("stack", "down", "--purge", "--dir", dir);
    assert.equal(down.exitCode, 0, down.stderr);
    for (const [name, pid] of Object.entries(restarted))
      assert.equal(alive(pid), false, `${name} (pid ${pid}) still runs`);
  });
});

describe("pvcctl stack with cephx", { timeout: 300_000 }, () => {
  // The same ports as above: the describe before this one has stopped its stack.
  const cephxDir = join(base, "cephx");
  after(async () => {
    await pvcctl("stack", "down", "--purge", "--dir", cephxDir);
    rmSync(base, { recursive: true, force: true });
  });

  test("--ceph-auth cephx starts a HEALTH_OK cluster whose client key is in CEPH_CONF's keyring", async () => {
    const up = await pvcctl(...upArgs.map((a) => (a === dir ? cephxDir : a)), "--ceph-auth", "cephx");
    assert.equal(up.exitCode, 0, up.stderr);
    const conf = parseExports(up.stdout).CEPH_CONF;
    assert.match(readFileSync(conf, "utf8"), /auth cluster required = cephx/);
    const health = await execa("ceph", ["health"], {
      env: { CEPH_CONF: conf },
      timeout: 30_000,
      stdin: "ignore",
    });
    assert.equal(health.stdout.trim(), "HEALTH_OK");
    const down = await pvcctl("stack", "down", "--purge", "--dir", cephxDir);
    assert.equal(down.exitCode, 0, down.stderr);
  });
});
