/**
 * The server survives ZooKeeper faults (issue 12, items 1 and 2): `pvcctl serve` runs as its own
 * process, talking to ZooKeeper through a TCP proxy, while Networks are applied; then ZooKeeper
 * goes silent (the proxy freezes both ways, as a server stopped with SIGSTOP) or unreachable (the
 * proxy drops and refuses connections, as a killed server) for longer than the session timeout.
 * Ten rounds, alternating the two faults. After each: the process is alive, and every Network
 * applied so far is Ready for its current generation (the server rebuilt its session, relisted,
 * re-elected and converged by itself). During a freeze, /readyz must say 503 with why before the
 * server comes back (a silent server is noticed from missing replies, not from a TCP disconnect),
 * and a write fails within a bounded time with a clear error instead of hanging.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { GROUP_PATH, removeRoot, until } from "../helpers/api-app.ts";
import { cephConf, uniqueRoot, zkConnect } from "../helpers/env.ts";
import { ServeProcess } from "../helpers/serve-process.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

const ROUNDS = 10;
const PER_ROUND = 10;
/** The stack's ZooKeeper has tickTime 2000: 4 s is the shortest session it grants. */
const SESSION_S = 4;
/** How long each fault lasts: past the session timeout, so the session is lost. */
const FAULT_MS = 6_000;

function network(i: number) {
  return {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "Network",
    metadata: { name: `fault-${i}` },
    spec: {
      vni: 31000 + i,
      type: "managed",
      description: `fault-${i}`,
      ipv4: {
        network: `10.${100 + Math.floor(i / 200)}.${i % 200}.0/24`,
        gateway: `10.${100 + Math.floor(i / 200)}.${i % 200}.1`,
      },
    },
  };
}

interface Listed {
  items: Array<{
    metadata: { name: string; generation: number };
    status?: { conditions?: Array<{ type: string; status: string; observedGeneration?: number }> };
  }>;
}

describe("the server survives ZooKeeper faults", { timeout: 300_000 }, () => {
  const root = uniqueRoot("zk-faults");
  const dir = mkdtempSync(join(tmpdir(), "pvc-zk-faults-"));
  let proxy: TcpProxy;
  let server: ServeProcess;
  let url = "";

  before(async () => {
    proxy = await startTcpProxy(zkConnect());
    server = await ServeProcess.create({
      dir,
      coordinators: [proxy.address],
      cephConf: cephConf(),
      storeRoot: `${root}/store`,
      pvcRoot: `${root}/pvc`,
      sessionTimeoutS: SESSION_S,
    });
    url = server.url;
    await server.start().ready(30_000);
  });

  after(async () => {
    await server?.kill();
    await proxy?.close();
    await removeRoot(root);
    rmSync(dir, { recursive: true, force: true });
  });

  const alive = () => server.assertAlive();

  const apply = (i: number) =>
    fetch(`${url}${GROUP_PATH}/networks/fault-${i}?apply=true`, {
      method: "PATCH",
      headers: { "content-type": "application/apply-patch+yaml" },
      body: JSON.stringify(network(i)),
    }).then(
      (r) => r.status,
      () => 0,
    );

  const notReady = async (count: number): Promise<string[]> => {
    const res = await fetch(`${url}${GROUP_PATH}/networks`).catch(() => undefined);
    if (res?.status !== 200) return ["(list failed)"];
    const listed = (await res.json()) as Listed;
    const readyNames = new Set(
      listed.items
        .filter((o) =>
          (o.status?.conditions ?? []).some(
            (c) =>
              c.type === "Ready" && c.status === "True" && c.observedGeneration === o.metadata.generation,
          ),
        )
        .map((o) => o.metadata.name),
    );
    const missing: string[] = [];
    for (let i = 0; i < count; i++) if (!readyNames.has(`fault-${i}`)) missing.push(`fault-${i}`);
    return missing;
  };

  for (let round = 0; round < ROUNDS; round++) {
    const kind = round % 2 === 0 ? "frozen (SIGSTOP-like)" : "unreachable (killed-like)";
    test(`round ${round + 1}: ZooKeeper ${kind} during an apply`, async () => {
      alive();
      const first = round * PER_ROUND;
      // Apply this round's networks; the fault starts right after the first write is sent.
      const writes: Array<Promise<number>> = [];
      for (let i = first; i < first + PER_ROUND; i++) {
        writes.push(apply(i));
        if (i === first) await new Promise((r) => setTimeout(r, 100));
      }
      const faultStarted = Date.now();
      if (round % 2 === 0) proxy.freeze();
      else proxy.cut();
      let sawNotReady = "";
      let writeDuringFault: { status: number; body: string; ms: number } | undefined;
      const probeWrite = (async () => {
        const started = Date.now();
        const res = await fetch(`${url}${GROUP_PATH}/networks/probe-${round}`, {
          method: "DELETE",
        }).catch(() => undefined);
        writeDuringFault = {
          status: res?.status ?? 0,
          body: res ? await res.text() : "",
          ms: Date.now() - started,
        };
      })();
      while (Date.now() - faultStarted < FAULT_MS) {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) }).catch(
          () => undefined,
        );
        if (res?.status === 503 && !sawNotReady) sawNotReady = await res.text();
        await new Promise((r) => setTimeout(r, 200));
      }
      if (round % 2 === 0) proxy.thaw();
      else proxy.restore();
      alive();
      assert.match(sawNotReady, /zookeeper/, "/readyz said 503 naming ZooKeeper while it was unreachable");
      await Promise.all(writes);
      await probeWrite;
      assert.ok(writeDuringFault, "the write made during the fault answered");
      assert.ok(
        writeDuringFault.status >= 500,
        `a write during the fault fails (got ${writeDuringFault.status} ${writeDuringFault.body})`,
      );
      assert.match(writeDuringFault.body, /zookeeper/i, "it says why");
      // Every network applied so far converges: rewrite the ones whose apply failed in the fault.
      await until(
        "every network Ready again",
        async () => {
          if (server.exited) return true;
          const missing = await notReady(first + PER_ROUND);
          for (const name of missing) {
            const i = Number(name.slice("fault-".length));
            if (Number.isInteger(i)) await apply(i);
          }
          return missing.length === 0;
        },
        60_000,
      );
      alive();
    });
  }
});
