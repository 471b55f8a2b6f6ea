/**
 * Pure parts of the local stack: settings validation and the config files it renders.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isPvcError } from "../../src/errors.ts";
import { renderCephConf } from "../../src/stack/ceph.ts";
import { zkServers } from "../../src/stack/ensemble.ts";
import type { StackSettings } from "../../src/stack/settings.ts";
import {
  checkStateDir,
  DEFAULT_SETTINGS,
  parseEnsembleSize,
  parseNodeSpec,
  parseOsdSize,
  parsePort,
  validateSettings,
} from "../../src/stack/settings.ts";
import {
  connectionEnv,
  expectedComponents,
  renderEnv,
  shellQuote,
  stackPaths,
} from "../../src/stack/state.ts";
import { isServing, renderZooCfg, zkRole, zookeeperCommand } from "../../src/stack/zookeeper.ts";

const paths = stackPaths("/tmp/stack-x");

/** `key = value` lines of one ceph.conf section. */
function section(conf: string, name: string): Map<string, string> {
  const out = new Map<string, string>();
  let current = "";
  for (const line of conf.split("\n")) {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1];
    else if (current === name && line.includes(" = ")) {
      const [k, v] = line.split(" = ");
      out.set(k, v);
    }
  }
  return out;
}

function settings(over: Partial<StackSettings> = {}): StackSettings {
  return { ...DEFAULT_SETTINGS, ...over };
}

describe("ceph.conf", () => {
  const conf = renderCephConf({ fsid: "f-s-i-d", settings: settings(), paths });
  const global = section(conf, "global");

  test("points the cluster at the configured ports on loopback only", () => {
    assert.equal(global.get("mon host"), "[v2:127.0.0.1:23300,v1:127.0.0.1:26789]");
    assert.equal(global.get("ms bind port min"), "26800");
    assert.equal(global.get("ms bind port max"), "26999");
    assert.equal(global.get("public addr"), "127.0.0.1");
    assert.equal(global.get("fsid"), "f-s-i-d");
  });

  test("keeps every runtime file inside the state dir", () => {
    for (const line of conf.split("\n")) {
      const value = line.split(" = ")[1] ?? "";
      if (value.startsWith("/")) assert.ok(value.startsWith("/tmp/stack-x/"), line);
    }
    assert.equal(section(conf, "osd").get("log file"), "/tmp/stack-x/logs/osd.log");
    assert.equal(global.get("run dir"), "/tmp/stack-x/run");
  });

  test("admin sockets for the daemons only: CLI runs bind none, so concurrent ones never collide", () => {
    assert.equal(global.has("admin socket"), false);
    for (const daemon of ["mon", "mgr", "osd"])
      assert.equal(section(conf, daemon).get("admin socket"), "/tmp/stack-x/run/$cluster-$name.asok", daemon);
  });

  test("carries the settings that keep a one-OSD cluster HEALTH_OK and fast", () => {
    const expected: Record<string, string> = {
      "osd pool default size": "1",
      "osd pool default min size": "1",
      "osd crush chooseleaf type": "0",
      "osd pool default pg autoscale mode": "off",
      "mon max pg per osd": "1000",
      "mon warn on insecure global id reclaim": "false",
      "mon warn on insecure global id reclaim allowed": "false",
      "auth allow insecure global id reclaim": "false",
      "paxos propose interval": "0.05",
      "mgr stats period": "1",
      "mon osd down out interval": "0",
      // The mon reads this one, so it must be in [global], where it is not silently ignored.
      "mgr initial modules": "status",
    };
    for (const [k, v] of Object.entries(expected)) assert.equal(global.get(k), v, k);
    const disabled = (global.get("mgr disabled modules") ?? "").split(" ");
    for (const alwaysOn of ["balancer", "crash", "devicehealth", "status", "volumes", "pg_autoscaler"]) {
      assert.ok(!disabled.includes(alwaysOn), `${alwaysOn} is always-on and must not be disabled`);
    }
    const osd = section(conf, "osd");
    assert.equal(osd.get("osd objectstore"), "bluestore");
    assert.equal(osd.get("bluestore block size"), "10G");
    assert.equal(osd.get("bluestore fsck on mkfs"), "false");
  });

  test("auth none by default; cephx adds keyrings", () => {
    assert.equal(global.get("auth cluster required"), "none");
    assert.equal(global.has("keyring"), false);
    const cephx = renderCephConf({ fsid: "f", settings: settings({ cephAuth: "cephx" }), paths });
    assert.equal(section(cephx, "global").get("auth client required"), "cephx");
    assert.equal(section(cephx, "global").get("keyring"), "/tmp/stack-x/ceph/keyring");
    assert.equal(section(cephx, "osd").get("keyring"), "$osd_data/keyring");
  });
});

describe("zoo.cfg", () => {
  const cfg = renderZooCfg({ dataDir: "/d/zk", port: 22281 });
  test("standalone on loopback, admin server off, srvr whitelisted", () => {
    assert.match(cfg, /^dataDir=\/d\/zk$/m);
    assert.match(cfg, /^clientPort=22281$/m);
    assert.match(cfg, /^clientPortAddress=127\.0\.0\.1$/m);
    assert.match(cfg, /^admin\.enableServer=false$/m);
    assert.match(cfg, /^4lw\.commands\.whitelist=.*\bsrvr\b/m);
  });
  test("ready only when srvr reports the mode", () => {
    assert.equal(
      isServing("Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nMode: standalone\nNode count: 5\n"),
      true,
    );
    assert.equal(isServing("This ZooKeeper instance is not currently serving requests\n"), false);
    assert.equal(isServing(null), false);
  });
});

describe("settings", () => {
  const invalid = (fn: () => unknown) => assert.throws(fn, (err) => isPvcError(err, "CONFIG_INVALID"));

  test("ports", () => {
    assert.equal(parsePort("--zk-port", "22181"), 22181);
    invalid(() => parsePort("--zk-port", "0"));
    invalid(() => parsePort("--zk-port", "70000"));
    invalid(() => parsePort("--zk-port", "12ab"));
  });

  test("osd size", () => {
    assert.equal(parseOsdSize("10g"), "10G");
    assert.equal(parseOsdSize("2048M"), "2048M");
    invalid(() => parseOsdSize("512M"));
    invalid(() => parseOsdSize("10 GB"));
  });

  test("node spec", () => {
    assert.deepEqual(parseNodeSpec("hv1:coordinator, hv2:hypervisor"), [
      { name: "hv1", mode: "coordinator" },
      { name: "hv2", mode: "hypervisor" },
    ]);
    invalid(() => parseNodeSpec("hv1"));
    invalid(() => parseNodeSpec("hv1:leader"));
    invalid(() => parseNodeSpec("hv1:coordinator,hv1:hypervisor"));
    invalid(() => parseNodeSpec("../x:coordinator"));
  });

  test("cross-field checks", () => {
    assert.doesNotThrow(() => validateSettings(settings()));
    invalid(() => validateSettings(settings({ monPort: 22181 })));
    invalid(() => validateSettings(settings({ monPort: 26850 })));
    invalid(() => validateSettings(settings({ msPortMin: 27000, msPortMax: 26999 })));
    invalid(() => validateSettings(settings({ msPortMin: 27000, msPortMax: 27005 })));
  });

  test("state dir must be safe to embed in config files", () => {
    assert.equal(checkStateDir("/tmp/pvc-test.Ab12/stack"), "/tmp/pvc-test.Ab12/stack");
    invalid(() => checkStateDir("/tmp/with space"));
    invalid(() => checkStateDir("/tmp/$HOME"));
  });
});

describe("env output", () => {
  test("shell exports, quoted only when needed", () => {
    assert.equal(
      renderEnv({ PVC_ZK_CONNECT: "127.0.0.1:22181", CEPH_CONF: "/a/b/ceph.conf" }),
      "export PVC_ZK_CONNECT=127.0.0.1:22181\nexport CEPH_CONF=/a/b/ceph.conf\n",
    );
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});

describe("a ZooKeeper ensemble", () => {
  const three = settings({ zkEnsemble: 3, zkPort: 40000 });
  const servers = zkServers(paths, three);

  test("three servers from one block of 9 ports: clients, then quorum, then election", () => {
    assert.deepEqual(
      servers.map((s) => [s.id, s.component, s.clientPort, s.quorumPort, s.electionPort]),
      [
        [1, "zookeeper1", 40000, 40003, 40006],
        [2, "zookeeper2", 40001, 40004, 40007],
        [3, "zookeeper3", 40002, 40005, 40008],
      ],
    );
    assert.equal(servers[1].zooCfg, "/tmp/stack-x/zookeeper/server2/zoo.cfg");
    assert.equal(servers[1].dataDir, "/tmp/stack-x/zookeeper/server2/data");
    assert.equal(
      connectionEnv(paths, three).PVC_ZK_CONNECT,
      "127.0.0.1:40000,127.0.0.1:40001,127.0.0.1:40002",
    );
    assert.deepEqual(expectedComponents(three).slice(0, 4), [
      "zookeeper1",
      "zookeeper2",
      "zookeeper3",
      "mon",
    ]);
  });

  test("a standalone server keeps its layout", () => {
    const [one] = zkServers(paths, settings());
    assert.deepEqual([one.component, one.clientPort, one.zooCfg], ["zookeeper", 22181, paths.zooCfg]);
    assert.equal(connectionEnv(paths, settings()).PVC_ZK_CONNECT, "127.0.0.1:22181");
  });

  test("each member's zoo.cfg names every member on loopback", () => {
    const cfg = renderZooCfg({ dataDir: "/d/zk2", port: 40001, peers: servers });
    assert.match(cfg, /^clientPort=40001$/m);
    assert.match(cfg, /^server\.1=127\.0\.0\.1:40003:40006$/m);
    assert.match(cfg, /^server\.3=127\.0\.0\.1:40005:40008$/m);
    assert.match(cfg, /^initLimit=\d+$/m);
    assert.doesNotMatch(renderZooCfg({ dataDir: "/d", port: 1 }), /^server\./m);
  });

  test("roles from srvr", () => {
    assert.equal(zkRole("Zookeeper version: 3.8.0\nMode: leader\nNode count: 5\n"), "leader");
    assert.equal(zkRole("Mode: follower\n"), "follower");
    assert.equal(isServing("Mode: follower\n"), true);
    assert.equal(zkRole("This ZooKeeper instance is not currently serving requests\n"), null);
  });

  test("sizes and ports are checked", () => {
    const invalid = (fn: () => unknown) => assert.throws(fn, (err) => isPvcError(err, "CONFIG_INVALID"));
    assert.equal(parseEnsembleSize("3"), 3);
    for (const bad of ["2", "0", "9", "x"]) invalid(() => parseEnsembleSize(bad));
    assert.doesNotThrow(() => validateSettings(three));
    // The election ports would run into --mon-port 26789.
    invalid(() => validateSettings(settings({ zkEnsemble: 3, zkPort: 26783 })));
    invalid(() => validateSettings(settings({ zkEnsemble: 3, zkPort: 65530 })));
    // A block reaching into the messenger range.
    invalid(() => validateSettings(settings({ zkEnsemble: 3, zkPort: 26795 })));
  });
});

test("PVC_STACK_ZK_HEAP raises ZooKeeper's heap; a value that is no JVM size is refused naming it", () => {
  const saved = process.env.PVC_STACK_ZK_HEAP;
  try {
    delete process.env.PVC_STACK_ZK_HEAP;
    assert.ok(zookeeperCommand("/z.cfg").args.includes("-Xmx256m"));
    process.env.PVC_STACK_ZK_HEAP = "1g";
    assert.ok(zookeeperCommand("/z.cfg").args.includes("-Xmx1g"));
    process.env.PVC_STACK_ZK_HEAP = "lots";
    assert.throws(
      () => zookeeperCommand("/z.cfg"),
      (err) => isPvcError(err, "CONFIG_INVALID") && /PVC_STACK_ZK_HEAP: .* got "lots"/.test(String(err)),
    );
  } finally {
    if (saved === undefined) delete process.env.PVC_STACK_ZK_HEAP;
    else process.env.PVC_STACK_ZK_HEAP = saved;
  }
});
