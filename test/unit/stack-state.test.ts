/**
 * Pid files, /proc parsing and the small parsers the stack uses to read other programs' output.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parseAdminSocketReply } from "../../src/stack/admin-socket.ts";
import {
  cephHealthLine,
  HEALTH_GRACE_MS,
  isCephUsable,
  judgeCephStart,
  parseCephStatus,
} from "../../src/stack/ceph.ts";
import { hollowNodeNames } from "../../src/stack/hollow-nodes.ts";
import { installedFromDpkgQuery } from "../../src/stack/install.ts";
import { isAlive, parsePidfile, parseProcStat } from "../../src/stack/state.ts";

describe("pid files", () => {
  test("one decimal PID, surrounding whitespace allowed; then its start in ticks", () => {
    assert.deepEqual(parsePidfile("1234\n"), { pid: 1234 });
    assert.deepEqual(parsePidfile("  42  "), { pid: 42 });
    assert.deepEqual(parsePidfile("1234 987654\n"), { pid: 1234, startTicks: 987654 });
  });
  test("anything else counts as no PID", () => {
    for (const text of ["", "\n", "abc", "12  34", "12 x", "-5", "1", "0", "1.5", "99999999"]) {
      assert.equal(parsePidfile(text), null, JSON.stringify(text));
    }
  });
});

describe("/proc/PID/stat", () => {
  test("state and start time, even when the command name holds ') '", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 4));
    fields[0] = "Z";
    fields[19] = "987654";
    const stat = parseProcStat(`123 (evil) name) ${fields.join(" ")}`);
    assert.deepEqual(stat, { state: "Z", startTicks: 987654 });
  });

  test("isAlive: ourselves yes; a PID that started after the pid file was written no; an exited child no", () => {
    assert.equal(isAlive(process.pid), true);
    assert.equal(isAlive(process.pid, Date.now()), true);
    assert.equal(isAlive(process.pid, 0), false, "a start time far after the pid file means a reused PID");
    const child = spawnSync("true");
    assert.equal(isAlive(child.pid as number), false);
  });

  test("isAlive with the start ticks a pid file records: exact, whatever the clocks say", () => {
    const own = parseProcStat(readFileSync(`/proc/${process.pid}/stat`, "utf8"));
    assert.ok(own);
    // A wall clock far off (a start "after" the pid file) does not matter once the ticks match.
    assert.equal(isAlive(process.pid, 0, own.startTicks), true);
    assert.equal(isAlive(process.pid, Date.now(), own.startTicks + 1), false, "another process on that PID");
  });
});

describe("parsers of other programs' output", () => {
  test("dpkg-query: only 'install ok installed' counts", () => {
    const out =
      "zookeeper install ok installed\nceph-mon deinstall ok config-files\nceph-osd install ok installed\n";
    assert.deepEqual([...installedFromDpkgQuery(out)].sort(), ["ceph-osd", "zookeeper"]);
  });

  test("ceph status: usable needs the OSD up and in and an active mgr, whatever the health", () => {
    const status = (health: string, up: number, inn: number, mgr: boolean) =>
      `\n${JSON.stringify({ health: { status: health }, osdmap: { num_osds: 1, num_up_osds: up, num_in_osds: inn }, mgrmap: { available: mgr } })}`;
    assert.equal(isCephUsable(parseCephStatus(status("HEALTH_OK", 1, 1, true))), true);
    assert.equal(isCephUsable(parseCephStatus(status("HEALTH_WARN", 1, 1, true))), true);
    assert.equal(isCephUsable(parseCephStatus(status("HEALTH_OK", 0, 1, true))), false);
    assert.equal(isCephUsable(parseCephStatus(status("HEALTH_OK", 1, 0, true))), false);
    assert.equal(isCephUsable(parseCephStatus(status("HEALTH_OK", 1, 1, false))), false);
    const nested = JSON.stringify({
      health: { status: "HEALTH_OK" },
      osdmap: { osdmap: { num_up_osds: 1, num_in_osds: 1 } },
      mgrmap: { available: true },
    });
    assert.equal(isCephUsable(parseCephStatus(nested)), true);
  });

  test("stack up: HEALTH_OK goes on at once; a usable cluster that stays not OK goes on after the grace, saying what is unhealthy", () => {
    // What `ceph status --format json` said on the one-OSD stack with a size-3 pool and noout set.
    const warn = parseCephStatus(
      JSON.stringify({
        health: {
          status: "HEALTH_WARN",
          checks: {
            OSDMAP_FLAGS: { severity: "HEALTH_WARN", summary: { message: "noout flag(s) set" } },
            PG_AVAILABILITY: {
              severity: "HEALTH_WARN",
              summary: { message: "Reduced data availability: 8 pgs inactive" },
            },
          },
        },
        osdmap: { num_up_osds: 1, num_in_osds: 1 },
        mgrmap: { available: true },
      }),
    );
    const ok = { ...warn, health: "HEALTH_OK", checks: [] };
    const noOsd = { ...warn, osdsUp: 0 };
    assert.equal(judgeCephStart(undefined, 0), "wait");
    assert.equal(judgeCephStart(ok, 0), "ok");
    assert.equal(judgeCephStart(warn, 0), "wait", "not OK yet: give it the grace");
    assert.equal(judgeCephStart(warn, HEALTH_GRACE_MS - 1), "wait");
    assert.equal(judgeCephStart(warn, HEALTH_GRACE_MS), "unhealthy", "started anyway, not a failure");
    assert.equal(judgeCephStart({ ...warn, health: "HEALTH_ERR" }, HEALTH_GRACE_MS), "unhealthy");
    assert.equal(
      judgeCephStart(noOsd, 10 * HEALTH_GRACE_MS),
      "wait",
      "no OSD up is a start error (waitFor times out)",
    );
    assert.equal(cephHealthLine(ok), "HEALTH_OK");
    assert.equal(
      cephHealthLine(warn),
      "HEALTH_WARN (started anyway; `ceph health detail` says more): OSDMAP_FLAGS: noout flag(s) set; PG_AVAILABILITY: Reduced data availability: 8 pgs inactive",
    );
  });

  test("admin socket replies: length-prefixed JSON; error text is no answer", () => {
    const frame = (text: string) => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      return Buffer.concat([head, body]);
    };
    assert.deepEqual(parseAdminSocketReply(frame('{"state":"active"}')), { state: "active" });
    assert.equal(parseAdminSocketReply(frame("ERROR: (22) Invalid argument\n")), null);
    assert.equal(parseAdminSocketReply(Buffer.alloc(2)), null);
  });

  test("hollow node names from the sim's ready file, falling back to the spec", () => {
    const spec = "hv1:coordinator,hv2:hypervisor";
    assert.deepEqual(hollowNodeNames('{"nodes":["a","b"]}', spec), ["a", "b"]);
    assert.deepEqual(hollowNodeNames('{"nodes":[{"name":"a"}]}', spec), ["a"]);
    assert.deepEqual(hollowNodeNames("a b\n", spec), ["a", "b"]);
    assert.deepEqual(hollowNodeNames("", spec), ["hv1", "hv2"]);
    assert.deepEqual(hollowNodeNames(null, null), []);
  });
});
