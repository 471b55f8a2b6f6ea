import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type CallStat,
  CephRunner,
  classifyFailure,
  commandLabel,
  connectBoundArgs,
  isConnectFailure,
  parseJson,
  stderrSummary,
  zeroExitError,
} from "../../src/ceph/run.ts";
import { isPvcError } from "../../src/errors.ts";

/**
 * A stand-in for ceph/rbd/rados: its behaviour is picked by the first argument after
 * `--conf X --client_mount_timeout N`, so the runner's real spawning, argv, timeout and
 * error mapping are exercised without a cluster.
 */
const FAKE = `#!/bin/bash
args=("$@")
i=4
case "\${args[$i]}" in
  echo-args) printf '%s\\0' "$@" ;;
  exit) printf '%s\\n' "\${args[$((i + 2))]}" >&2; exit "\${args[$((i + 1))]}" ;;
  stderr-ok) printf '%s\\n' "\${args[$((i + 1))]}" >&2 ;;
  print) printf '%s' "\${args[$((i + 1))]}" ;;
  sleep) exec sleep 20 ;;
esac
`;

let dir: string;
let fake: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "ceph-run-test-"));
  fake = join(dir, "fake-ceph");
  writeFileSync(fake, FAKE);
  chmodSync(fake, 0o755);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function runner(calls: CallStat[] = [], timeoutMs?: number): CephRunner {
  return new CephRunner({
    conf: "/x/ceph.conf",
    binaries: { ceph: fake, rbd: fake, rados: fake },
    onCall: (s) => calls.push(s),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

describe("CephRunner", () => {
  it("passes arguments verbatim (no shell), --conf first, --format json last", async () => {
    const calls: CallStat[] = [];
    const r = runner(calls);
    const tricky = "a;b $(touch /tmp/pwned) `x` 'q' \"d\" | > <";
    const { stdout } = await r.run("ceph", ["echo-args", tricky], { json: true });
    assert.deepEqual(stdout.split("\0").slice(0, -1), [
      "--conf",
      "/x/ceph.conf",
      "--client_mount_timeout",
      "10",
      "echo-args",
      tricky,
      "--format",
      "json",
    ]);
    const rbd = await r.run("rbd", ["echo-args", "p/v"]);
    assert.deepEqual(rbd.stdout.split("\0").slice(0, -1), [
      "--conf",
      "/x/ceph.conf",
      "--client_mount_timeout",
      "10",
      "echo-args",
      "p/v",
    ]);
    assert.equal(calls.length, 2);
    assert.equal(calls[0].cmd, `ceph echo-args ${tricky}`);
    assert.equal(calls[0].ok, true);
    assert.ok(calls[0].ms > 0);
  });

  it("maps exit codes and stderr to typed errors that name the command", async () => {
    const calls: CallStat[] = [];
    const r = runner(calls);
    await assert.rejects(
      r.run("rbd", ["exit", "2", "rbd: error opening image v: (2) No such file or directory"]),
      {
        code: "CEPH_ENOENT",
        message: /: exit 2: rbd: error opening image v: \(2\) No such file or directory$/,
      },
    );
    await assert.rejects(r.run("ceph", ["exit", "17", "x"]), { code: "CEPH_EEXIST" });
    await assert.rejects(r.run("ceph", ["exit", "16", "x"]), { code: "CEPH_EBUSY" });
    await assert.rejects(r.run("ceph", ["exit", "22", "x"]), { code: "CEPH_EINVAL" });
    await assert.rejects(r.run("ceph", ["exit", "1", "something odd"]), { code: "CEPH_COMMAND_FAILED" });
    assert.deepEqual(
      calls.map((c) => [c.ok, c.code]),
      [
        [false, "CEPH_ENOENT"],
        [false, "CEPH_EEXIST"],
        [false, "CEPH_EBUSY"],
        [false, "CEPH_EINVAL"],
        [false, "CEPH_COMMAND_FAILED"],
      ],
    );
  });

  it("turns ceph's exit-0 'already exists' / 'does not exist' into errors, for ceph only", async () => {
    const r = runner();
    await assert.rejects(r.run("ceph", ["stderr-ok", "pool 'p' already exists"]), { code: "CEPH_EEXIST" });
    await assert.rejects(r.run("ceph", ["stderr-ok", "pool 'p' does not exist"]), { code: "CEPH_ENOENT" });
    await r.run("ceph", ["stderr-ok", "osd.0 is already in. "]);
    await r.run("rbd", ["stderr-ok", "pool 'p' already exists"]);
  });

  it("kills a call that exceeds its timeout and throws CEPH_TIMEOUT", async () => {
    const calls: CallStat[] = [];
    const r = runner(calls, 60_000);
    const started = Date.now();
    await assert.rejects(r.run("ceph", ["sleep"], { timeoutMs: 200 }), (err: unknown) => {
      assert.ok(isPvcError(err, "CEPH_TIMEOUT"));
      assert.equal(err.message, "ceph sleep timed out after 0.2 s (killed)");
      assert.equal(err.details?.unavailable, true);
      return true;
    });
    assert.ok(Date.now() - started < 5000, "the process was killed, not waited for");
    assert.equal(calls[0].code, "CEPH_TIMEOUT");
    assert.equal(calls[0].unavailable, true, "no answer: a statement about reachability");
    assert.equal(calls[0].message, "ceph sleep timed out after 0.2 s (killed)");
  });

  it("bounds the CLI's own wait for the mons: half the call's time, 1 to 10 s, before the command", async () => {
    assert.deepEqual(connectBoundArgs(30_000), ["--client_mount_timeout", "10"]);
    assert.deepEqual(connectBoundArgs(3_600_000), ["--client_mount_timeout", "10"]);
    assert.deepEqual(connectBoundArgs(5_000), ["--client_mount_timeout", "2"]);
    assert.deepEqual(connectBoundArgs(200), ["--client_mount_timeout", "1"]);
    const r = runner([], 4000);
    const { stdout } = await r.run("rados", ["echo-args"]);
    assert.deepEqual(stdout.split("\0").slice(0, 5), [
      "--conf",
      "/x/ceph.conf",
      "--client_mount_timeout",
      "2",
      "echo-args",
    ]);
  });

  it("a CLI that could not reach the mons is unavailable; a refusal is an answer", async () => {
    const calls: CallStat[] = [];
    const r = runner(calls);
    // What each CLI printed against a closed mon port with the connect bound (measured).
    await assert.rejects(r.run("rbd", ["exit", "110", "rbd: couldn't connect to the cluster!"]), {
      code: "CEPH_TIMEOUT",
    });
    await assert.rejects(
      r.run("rados", ["exit", "1", "failed to fetch mon config (--no-mon-config to skip)"]),
    );
    await assert.rejects(
      r.run("ceph", ["exit", "1", "[errno 110] RADOS timed out (error connecting to the cluster)"]),
      { code: "CEPH_TIMEOUT" },
    );
    await assert.rejects(
      r.run("rbd", ["exit", "2", "rbd: error opening image v: (2) No such file or directory"]),
    );
    assert.deepEqual(
      calls.map((c) => c.unavailable),
      [true, true, true, false],
    );
    assert.equal(isConnectFailure("osd.0 is already in."), false);
  });

  it("parses JSON and reports bad output", async () => {
    const r = runner();
    assert.deepEqual(await r.json("ceph", ["print", '\n{"a":1}']), { a: 1 });
    await assert.rejects(r.json("ceph", ["print", "not json"]), { code: "CEPH_BAD_OUTPUT" });
    await assert.rejects(r.json("ceph", ["print", ""]), { code: "CEPH_BAD_OUTPUT" });
  });

  it("reports a missing binary as CEPH_COMMAND_FAILED, never as CEPH_ENOENT", async () => {
    const calls: CallStat[] = [];
    const r = new CephRunner({
      conf: "/x",
      binaries: { ceph: join(dir, "nope") },
      onCall: (s) => calls.push(s),
    });
    await assert.rejects(r.run("ceph", ["status"]), { code: "CEPH_COMMAND_FAILED" });
    assert.equal(calls.length, 1);
  });

  it("survives a throwing onCall hook", async () => {
    const r = new CephRunner({
      conf: "/x",
      binaries: { ceph: fake },
      onCall: () => {
        throw new Error("metrics broke");
      },
    });
    await r.run("ceph", ["print", "ok"]);
  });

  it("requires a conf: never falls back to /etc/ceph", () => {
    const saved = process.env.CEPH_CONF;
    delete process.env.CEPH_CONF;
    try {
      assert.throws(() => new CephRunner(), { code: "CONFIG_INVALID" });
    } finally {
      if (saved !== undefined) process.env.CEPH_CONF = saved;
    }
  });
});

describe("error classification (stderr measured on Ceph 16)", () => {
  const cases: [number, string, string][] = [
    [2, "rbd: error opening image nope: (2) No such file or directory", "CEPH_ENOENT"],
    [2, "Error ENOENT: unrecognized pool 'nopool'", "CEPH_ENOENT"],
    [
      2,
      "Removing snap: 0% complete...failed.\nrbd: failed to remove snapshot: (2) No such file or directory",
      "CEPH_ENOENT",
    ],
    [
      17,
      "rbd: create error: (17) File exists\n2026-11-26T17:35:02.757+0000 7fb7 -1 librbd: rbd image v1 already exists",
      "CEPH_EEXIST",
    ],
    [
      39,
      "rbd: image has snapshots - these must be deleted with 'rbd snap purge' before the image can be removed.",
      "CEPH_ENOTEMPTY",
    ],
    [22, "rbd: shrinking an image is only allowed with the --allow-shrink flag", "CEPH_EINVAL"],
    [22, "Error EINVAL: pool min_size must be between 1 and size, which is set to 2", "CEPH_EINVAL"],
    [34, "Error ERANGE: 'pg_num' must be greater than 0 and less than or equal to 65536", "CEPH_EINVAL"],
    [1, "Error EPERM: WARNING: setting pool size 1 could lead to data loss without recovery.", "CEPH_EPERM"],
    [
      1,
      "unrecognized command --no-progress; -h or --help for usage\nerror 22: (22) Invalid argument",
      "CEPH_EINVAL",
    ],
    [1, "rbd: unrecognised option '--format'", "CEPH_COMMAND_FAILED"],
    [16, "rbd: error: image still has watchers", "CEPH_EBUSY"],
    [30, "rbd: failed to create snapshot: (30) Read-only file system", "CEPH_COMMAND_FAILED"],
    [1, "[errno 110] RADOS timed out (error connecting to the cluster)", "CEPH_TIMEOUT"],
  ];
  for (const [rc, stderr, code] of cases) {
    it(`${rc} ${stderr.split("\n")[0].slice(0, 60)} -> ${code}`, () => {
      assert.equal(classifyFailure(rc, stderr), code);
    });
  }

  it("summarises stderr by the CLI's own message, not log or progress lines", () => {
    assert.equal(
      stderrSummary(
        "2026-11-26T17:35:03.217+0000 7f111f344380 -1 librbd::Operations: rbd image v2 already exists\n\nrbd: rename error: (17) File exists\n",
      ),
      "rbd: rename error: (17) File exists",
    );
    assert.equal(
      stderrSummary("Removing image: 0% complete...failed.\nrbd: image has snapshots"),
      "rbd: image has snapshots",
    );
    assert.equal(
      stderrSummary("2026-11-26T17:35:03.217+0000 7f111f344380 -1 librbd: header creation failed\n"),
      "librbd: header creation failed",
    );
    assert.equal(stderrSummary(""), "(no stderr)");
  });

  it("labels commands by their words before the first option", () => {
    assert.equal(commandLabel("rbd", ["resize", "vms/web1_sda", "--size", "2G"]), "rbd resize vms/web1_sda");
    assert.equal(
      commandLabel("ceph", ["osd", "pool", "rm", "p", "p", "--yes-i-really-really-mean-it"]),
      "ceph osd pool rm p p",
    );
  });

  it("zero-exit detection and JSON parsing", () => {
    assert.equal(zeroExitError("ceph osd pool create p", "pool 'p' created")?.code, undefined);
    assert.equal(zeroExitError("ceph osd in 7", "osd.7 does not exist. ")?.code, "CEPH_ENOENT");
    assert.deepEqual(parseJson("x", "\n[0]\n"), [0]);
  });
});
