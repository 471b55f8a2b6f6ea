/**
 * A ZooKeeper ensemble (issue 16): `pvcctl stack up --zk-ensemble 3` starts three servers on
 * loopback (a private stack: own dir and ports, no hollow nodes), `stack env` prints all of them
 * and `stack status` each one's role. `pvcctl serve`, given the three as PVC's `coordinators:`,
 * keeps working when the leader is killed: the clients move to the other servers (same session),
 * the remaining two elect a leader, a Network applied after the kill becomes Ready; `stack up`
 * then brings the killed server back as a follower.
 *
 * Also here, against the shared stack: a server that accepts TCP but never answers the session
 * request (a member stopped with SIGSTOP looks so) no longer holds a client that could use
 * another server of its connect string.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parsePidfile } from "../../src/stack/state.ts";
import { fourLetterWord, zkRole } from "../../src/stack/zookeeper.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { GROUP_PATH, until } from "../helpers/api-app.ts";
import { zkConnect } from "../helpers/env.ts";
import { ServeProcess } from "../helpers/serve-process.ts";

const PVCCTL = fileURLToPath(new URL("../../bin/pvcctl.js", import.meta.url));
// Away from the defaults, scripts/test.sh's stack and stack.test.ts's: 9 ports from ZK_PORT.
const ZK_PORT = Number(process.env.PVC_TEST3_ZK_PORT ?? 22481);
const MON_PORT = Number(process.env.PVC_TEST3_MON_PORT ?? 23689);
const MON_V2_PORT = Number(process.env.PVC_TEST3_MON_V2_PORT ?? 23600);
const MS_MIN = Number(process.env.PVC_TEST3_MS_PORT_MIN ?? 27400);
const MS_MAX = Number(process.env.PVC_TEST3_MS_PORT_MAX ?? 27599);
const CLIENT_PORTS = [ZK_PORT, ZK_PORT + 1, ZK_PORT + 2];
const CONNECT = CLIENT_PORTS.map((p) => `127.0.0.1:${p}`).join(",");

function pvcctl(...args: string[]) {
  return execa(process.execPath, [PVCCTL, ...args], { reject: false, stdin: "ignore", timeout: 120_000 });
}

/** Each server's role by its number (1-3); null: not serving. */
async function roles(): Promise<Array<string | null>> {
  return Promise.all(CLIENT_PORTS.map(async (p) => zkRole(await fourLetterWord(p, "srvr"))));
}

function network(name: string, vni: number) {
  return {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "Network",
    metadata: { name },
    spec: {
      vni,
      type: "managed",
      description: name,
      ipv4: { network: `10.${vni % 200}.7.0/24`, gateway: `10.${vni % 200}.7.1` },
    },
  };
}

describe("pvcctl stack up --zk-ensemble 3: the leader killed", { timeout: 300_000 }, () => {
  const base = mkdtempSync(join(tmpdir(), "pvc-ensemble-test-"));
  const dir = join(base, "stack");
  const env: Record<string, string> = {};
  let serve: ServeProcess;
  let url = "";

  before(async () => {
    // biome-ignore format: flag/value pairs read better on few lines
    const up = await pvcctl(
      "stack", "up", "--dir", dir, "--no-hollow-nodes", "--no-install", "--zk-ensemble", "3",
      "--zk-port", String(ZK_PORT), "--mon-port", String(MON_PORT), "--mon-v2-port", String(MON_V2_PORT),
      "--ms-port-min", String(MS_MIN), "--ms-port-max", String(MS_MAX),
    );
    assert.equal(up.exitCode, 0, up.stderr);
    for (const m of up.stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) env[m[1]] = m[2];

    serve = await ServeProcess.create({
      dir: base,
      // PVC's list of coordinators, without ports here: each one's own port.
      coordinators: CLIENT_PORTS.map((p) => `127.0.0.1:${p}`),
      cephConf: env.CEPH_CONF,
    });
    url = serve.url;
    await serve.start().ready();
  });

  after(async () => {
    await serve?.kill();
    await pvcctl("stack", "down", "--purge", "--dir", dir);
    rmSync(base, { recursive: true, force: true });
  });

  const apply = (name: string, vni: number) =>
    fetch(`${url}${GROUP_PATH}/networks/${name}?apply=true`, {
      method: "PATCH",
      headers: { "content-type": "application/apply-patch+yaml" },
      body: JSON.stringify(network(name, vni)),
    }).then(
      (r) => r.status,
      () => 0,
    );

  const isReady = async (name: string): Promise<boolean> => {
    const res = await fetch(`${url}${GROUP_PATH}/networks/${name}`).catch(() => undefined);
    if (res?.status !== 200) return false;
    const o = (await res.json()) as {
      metadata: { generation: number };
      status?: { conditions?: Array<{ type: string; status: string; observedGeneration?: number }> };
    };
    return (o.status?.conditions ?? []).some(
      (c) => c.type === "Ready" && c.status === "True" && c.observedGeneration === o.metadata.generation,
    );
  };

  test("stack env prints every server; stack status shows one leader and two followers", async () => {
    assert.equal(env.PVC_ZK_CONNECT, CONNECT);
    const printed = await pvcctl("stack", "env", "--dir", dir);
    assert.match(printed.stdout, new RegExp(`^export PVC_ZK_CONNECT=${CONNECT}$`, "m"));
    const status = await pvcctl("stack", "status", "--dir", dir);
    assert.equal(status.exitCode, 0, status.stdout + status.stderr);
    const lines = status.stdout.split("\n").filter((l) => /^zookeeper\d/.test(l));
    assert.equal(lines.length, 3, status.stdout);
    for (const [i, line] of lines.entries()) {
      assert.match(
        line,
        new RegExp(`^zookeeper${i + 1}\\s+running\\s+pid \\d+\\s+port ${CLIENT_PORTS[i]} (leader|follower)$`),
      );
    }
    assert.equal(lines.filter((l) => l.endsWith(" leader")).length, 1, status.stdout);
    assert.deepEqual((await roles()).sort(), ["follower", "follower", "leader"]);
  });

  test("the leader is killed: clients move on in the same session, a Network applied after is Ready", async () => {
    assert.ok([200, 201].includes(await apply("ens-before", 3401)));
    await until("ens-before Ready", () => isReady("ens-before"), 30_000);

    const zk = await ZkClient.connect({ connectString: CONNECT, sessionTimeoutMs: 10_000 });
    try {
      await zk.create("/ensemble-test-ephemeral", "", { mode: "ephemeral" });
      const session = zk.sessionId;
      const leader = (await roles()).indexOf("leader") + 1;
      assert.ok(leader > 0);
      const pid = Number(
        parsePidfile(readFileSync(join(dir, "pids", `zookeeper${leader}.pid`), "utf8"))?.pid,
      );
      process.kill(pid, "SIGKILL");

      // The write may meet the election; the API answers it once a leader is back.
      await until(
        "ens-after accepted",
        async () => [200, 201].includes(await apply("ens-after", 3402)),
        30_000,
      );
      await until("ens-after Ready", () => isReady("ens-after"), 30_000);
      assert.equal(await isReady("ens-before"), true);
      serve.assertAlive();
      assert.equal((await fetch(`${url}/readyz`)).status, 200);

      // Our client carried on in its session: the ephemeral node is still there.
      await zk.set("/ensemble-test-ephemeral", "after");
      assert.equal(zk.sessionId, session);
      assert.equal(zk.sessionCount, 1);
      const stat = await zk.exists("/ensemble-test-ephemeral");
      assert.equal(stat?.ephemeralOwner, session);

      const after = await roles();
      assert.equal(after[leader - 1], null);
      assert.deepEqual(after.filter((r) => r !== null).sort(), ["follower", "leader"]);
      const status = await pvcctl("stack", "status", "--dir", dir);
      assert.equal(status.exitCode, 1, "a stopped server makes status fail");
      assert.match(
        status.stdout,
        new RegExp(`^zookeeper${leader}\\s+stopped\\s+port ${CLIENT_PORTS[leader - 1]}$`, "m"),
      );
    } finally {
      zk.close();
    }
  });

  test("stack up brings the killed server back; it follows", async () => {
    const up = await pvcctl("stack", "up", "--dir", dir, "--no-install");
    assert.equal(up.exitCode, 0, up.stderr);
    assert.match(up.stderr, /restarting zookeeper\d in /);
    const now = await roles();
    assert.deepEqual([...now].sort(), ["follower", "follower", "leader"]);
    assert.equal((await pvcctl("stack", "status", "--dir", dir)).exitCode, 0);
  });
});

describe("a server that accepts TCP but never answers", () => {
  test("does not hold the client: it moves on to a server that answers", { timeout: 60_000 }, async () => {
    // Three such servers and the real one: the client tries them in a random order.
    const holes = await Promise.all(
      [0, 1, 2].map(async () => {
        const sockets: net.Socket[] = [];
        const server = net.createServer((s) => sockets.push(s));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return { server, sockets, port: (server.address() as net.AddressInfo).port };
      }),
    );
    const connect = [...holes.map((h) => `127.0.0.1:${h.port}`), zkConnect()].join(",");
    try {
      // Four connects: the chance that all four try the real server first is 1/256.
      for (let i = 0; i < 4; i++) {
        // The fix needs at most ~1.5 s per silent server (4 s / 4 servers, checked every 0.5 s).
        const zk = await ZkClient.connect({
          connectString: connect,
          sessionTimeoutMs: 4000,
          connectTimeoutMs: 15_000,
        });
        await zk.exists("/");
        zk.close();
      }
      assert.ok(
        holes.some((h) => h.sockets.length > 0),
        "the silent servers were tried",
      );
    } finally {
      for (const h of holes) {
        for (const s of h.sockets) s.destroy();
        h.server.close();
      }
    }
  });
});
