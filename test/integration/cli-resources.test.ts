/**
 * pvcctl through the real binary against the real app (HTTP API, store, Network controller) and
 * the real ZooKeeper: apply/diff/get/describe/wait/delete on every kind without a controller and
 * on Network (which has one); an invalid multi-document apply writes nothing; a second apply of
 * the same manifests makes zero ZooKeeper writes; prune removes only its apply set's objects;
 * exit codes, context file and token handling.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { networkController } from "../../controllers/network/controller.ts";
import { KINDS } from "../../src/resources/kinds.ts";
import { testConfig, useTestApp } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";
import { freePort } from "../helpers/serve-process.ts";
import { assertAllUnchanged, pvcctl, show } from "./cli-helpers.ts";

const API = "apiVersion: pvc.parallelvirtualcluster.org/v1";

/** One object of every user kind (Ceph kinds have no controller in this app: only Network runs). */
const EVERYTHING = `${API}
kind: CephPool
metadata: { name: clipool }
spec: { pgs: 32 }
---
${API}
kind: CephVolume
metadata: { name: clipool.disk0 }
spec: { pool: clipool, size: 2G }
---
${API}
kind: CephSnapshot
metadata: { name: clipool.disk0@snap1 }
spec: { pool: clipool, volume: disk0 }
---
${API}
kind: Network
metadata: { name: clinet, labels: { tier: edge } }
spec:
  vni: 4242
  type: managed
  ipv4: { network: 10.42.0.0/24, gateway: 10.42.0.1 }
  dhcpReservations: [{ mac: "52:54:00:42:00:01", ip: 10.42.0.10, hostname: h1 }]
  acls: { in: [{ description: ssh, rule: tcp dport 22 accept }], out: [] }
---
${API}
kind: SystemTemplate
metadata: { name: clisys }
spec: { vcpus: 2, vramMiB: 2048 }
---
${API}
kind: NetworkTemplate
metadata: { name: clinettpl }
spec: { networks: [{ vni: 4242 }] }
---
${API}
kind: StorageTemplate
metadata: { name: clistor }
spec: { disks: [{ id: sda, pool: clipool, sizeGiB: 4, filesystem: ext4, mountpoint: / }] }
---
${API}
kind: UserdataTemplate
metadata: { name: cliud }
spec: { data: "#cloud-config" }
---
${API}
kind: ProvisionerScript
metadata: { name: cliscript }
spec: { data: "def install(**kwargs):\\n    pass\\n" }
---
${API}
kind: ProvisionerProfile
metadata: { name: cliprofile }
spec: { systemTemplate: clisys, networkTemplate: clinettpl, storageTemplate: clistor, userdataTemplate: cliud, script: cliscript }
---
${API}
kind: VirtualMachine
metadata: { name: clivm }
spec: { profile: cliprofile, runState: stop }
`;

const ESC = String.fromCharCode(27);
const USER_KINDS = KINDS.filter((k) => k.userCreatable);

describe("pvcctl against a running server", () => {
  const root = uniqueRoot("cli");
  const t = useTestApp(
    root,
    () =>
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = `${root}/pvc`;
        c.reconciler.logLevel = "warn";
      }),
    { kindControllers: [networkController] },
  );
  let dir: string;
  let env: Record<string, string>;
  const run = (...args: string[]) => pvcctl(args, env);

  /** Every znode version under the store's objects, and the PVC keys: any write changes one. */
  async function storeVersions(): Promise<Map<string, string>> {
    const zk = t.app.zk;
    const out = new Map<string, string>();
    for (const base of [t.app.store.layout.objectsDir(), `${root}/pvc`]) {
      for (const path of await zk.listTree(base)) {
        const stat = await zk.exists(path);
        if (stat) out.set(path, `${stat.mzxid}/${stat.pzxid}/${stat.version}/${stat.cversion}`);
      }
    }
    return out;
  }

  before(async () => {
    await t.app.zk.mkdirp(`${root}/pvc/networks`);
    dir = await mkdtemp(join(tmpdir(), "pvcctl-"));
    env = { PVCCTL_SERVER: t.app.url };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("an invalid document anywhere in the input: nothing is written, every problem is named", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(
      file,
      `${API}\nkind: UserdataTemplate\nmetadata:\n  name: ok-one\nspec:\n  data: x\n---\n${API}\nkind: Network\nmetadata:\n  name: badnet\nspec:\n  vni: 77\n  type: managed\n  ipv4:\n    network: 10.7.0.0/24\n    gateway: 10.8.0.1\n---\n${API}\nkind: UserdataTemplate\nmetadata:\n  name: ok-two\nspec:\n  dta: x\n`,
    );
    const before = await storeVersions();
    const r = await run("apply", "-f", file);
    assert.equal(r.code, 1, show(r));
    assert.match(
      r.stderr,
      /bad\.yaml:17: document 2 \(Network "badnet"\): \/spec\/ipv4\/gateway: must be a host address inside 10\.7\.0\.0\/24 \(got "10\.8\.0\.1"\)/,
    );
    assert.match(
      r.stderr,
      /bad\.yaml:24: document 3 \(UserdataTemplate "ok-two"\): \/spec\/dta: is not a known field; did you mean "data"\?/,
    );
    assert.match(r.stderr, /nothing was applied/);
    assert.equal(r.stdout, "");
    assert.deepEqual(await storeVersions(), before, "no znode written");
    assert.equal((await run("get", "usertpl", "ok-one")).code, 1);
  });

  test("apply creates every kind in dependency order; get, describe and wait show them", async () => {
    const file = join(dir, "everything.yaml");
    await writeFile(file, EVERYTHING);
    const r = await run("apply", "-f", file);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 11, show(r));
    assert.ok(
      lines.every((l) => l.endsWith(" created")),
      show(r),
    );
    const pos = (what: string) => lines.findIndex((l) => l.startsWith(`${what} `));
    // What is named comes before what names it.
    assert.ok(pos("cephpool/clipool") < pos("cephvolume/clipool.disk0"));
    assert.ok(pos("cephvolume/clipool.disk0") < pos("cephsnapshot/clipool.disk0@snap1"));
    assert.ok(pos("network/clinet") < pos("networktemplate/clinettpl"));
    assert.ok(pos("provisionerprofile/cliprofile") < pos("virtualmachine/clivm"));

    const ready = await run("wait", "network", "clinet", "--for=condition=Ready", "--timeout", "20s");
    assert.equal(ready.code, 0, show(ready));
    const nets = await run("get", "networks");
    assert.match(nets.stdout, /^NAME\s+READY\s+REASON\s+AGE\s+VNI\s+TYPE\n/);
    assert.match(nets.stdout, /clinet\s+True\s+Converged\s+\S+\s+4242\s+managed/);
    const vols = await run("get", "vol", "-o", "wide");
    assert.match(vols.stdout, /clipool\.disk0\s+-\s+-\s+\S+\s+clipool\s+2048M/);
    const sel = await run("get", "net", "-l", "tier=edge", "-o", "name");
    assert.equal(sel.stdout, "network/clinet\n");
    const json = JSON.parse((await run("get", "vm", "clivm", "-o", "json")).stdout);
    assert.equal(json.spec.profile, "cliprofile");
    assert.equal(json.spec.autostart, false, "defaults filled in by the server");
    for (const info of USER_KINDS) {
      const list = await run("get", info.plural, "-o", "json");
      assert.equal(list.code, 0, show(list));
      assert.equal(JSON.parse(list.stdout).items.length >= 1, true, info.kind);
      const created = await run(
        "wait",
        info.plural,
        JSON.parse(list.stdout).items[0].metadata.name,
        "--for=create",
        "--timeout",
        "5s",
      );
      assert.equal(created.code, 0, show(created));
    }
    const d = await run("describe", "network", "clinet");
    assert.equal(d.code, 0, show(d));
    assert.match(d.stdout, /Name:\s+clinet/);
    assert.match(d.stdout, /Conditions:\n\s+TYPE\s+STATUS\s+REASON/);
    assert.match(d.stdout, /Ready\s+True\s+Converged/);
    assert.match(d.stdout, /Events:\n.*\n.*Created/);
    const ev = await run("events", "network/clinet");
    assert.match(ev.stdout, /Normal\s+Created/);
    const dvm = await run("describe", "vm/clivm");
    assert.match(dvm.stdout, /Conditions:\n\s+<none>/);
    const all = await run("get", "all");
    for (const name of ["cephpool/clipool", "virtualmachine/clivm", "provisionerscript/cliscript"]) {
      assert.match(all.stdout, new RegExp(name.replace(".", "\\.")));
    }
  });

  test("the same manifests again: no diff, every object unchanged, zero ZooKeeper writes", async () => {
    const file = join(dir, "everything.yaml");
    const diff = await run("diff", "-f", file, "--exit-code");
    assert.equal(diff.code, 0, show(diff));
    assert.equal(diff.stdout, "");
    const before = await storeVersions();
    const r = await run("apply", "-f", file);
    assert.equal(r.code, 0, show(r));
    assertAllUnchanged(r);
    assert.deepEqual(await storeVersions(), before, "not one znode changed (objects, status, PVC keys)");
  });

  test("diff shows a coloured unified diff of what a changed manifest would change", async () => {
    const file = join(dir, "changed.yaml");
    await writeFile(
      file,
      `${API}\nkind: Network\nmetadata: { name: clinet, labels: { tier: core } }\nspec:\n  vni: 4242\n  type: managed\n  ipv4: { network: 10.42.0.0/24, gateway: 10.42.0.1 }\n  dhcpReservations: [{ mac: "52:54:00:42:00:01", ip: 10.42.0.10, hostname: h1 }]\n  acls: { in: [{ description: ssh, rule: tcp dport 22 accept }], out: [] }\n`,
    );
    const plain = await run("diff", "-f", file, "--exit-code");
    assert.equal(plain.code, 1, show(plain));
    assert.match(plain.stdout, /^--- network\/clinet \(live\)\n\+\+\+ network\/clinet \(manifest\)\n@@/);
    assert.match(plain.stdout, /^- {4}tier: edge$/m);
    assert.match(plain.stdout, /^\+ {4}tier: core$/m);
    assert.ok(!plain.stdout.includes(ESC), "no colour off a terminal");
    const colour = await run("diff", "-f", file, "--color");
    assert.ok(colour.stdout.includes(`${ESC}[31m-    tier: edge${ESC}[0m`), show(colour));
    // A dry run reports and writes nothing.
    const before = await storeVersions();
    const dry = await run("apply", "-f", file, "--dry-run");
    assert.equal(dry.stdout, "network/clinet configured (dry run)\n", show(dry));
    assert.deepEqual(await storeVersions(), before);
  });

  test("delete by file (dependents first) and wait for the deletion", async () => {
    const r = await run("delete", "-f", join(dir, "everything.yaml"), "--wait", "--timeout", "20s");
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], "virtualmachine/clivm deleted");
    assert.equal(
      lines.at(-1)?.split(" ")[0].startsWith("cephpool/") || lines.at(-1)?.startsWith("network/"),
      true,
    );
    for (const info of USER_KINDS) {
      const list = JSON.parse((await run("get", info.plural, "-o", "json")).stdout);
      assert.deepEqual(list.items, [], info.kind);
    }
    // The network's keys went with it (the controller's finalizer).
    assert.equal(await t.app.zk.exists(`${root}/pvc/networks/4242`), null);
    const gone = await run("wait", "network", "clinet", "--for=delete", "--timeout", "1s");
    assert.equal(gone.code, 0, show(gone));
  });

  test("prune deletes only objects of its apply set that left the input", async () => {
    const ud = (name: string) =>
      `${API}\nkind: UserdataTemplate\nmetadata: { name: ${name} }\nspec: { data: "" }\n`;
    const setA = join(dir, "a.yaml");
    await writeFile(setA, [ud("a1"), ud("a2")].join("---\n"));
    await writeFile(join(dir, "b.yaml"), ud("b1"));
    await writeFile(join(dir, "plain.yaml"), ud("plain"));
    assert.equal((await run("apply", "-f", setA, "--prune", "--applyset", "set-a")).code, 0);
    assert.equal((await run("apply", "-f", join(dir, "b.yaml"), "--prune", "--applyset", "set-b")).code, 0);
    assert.equal((await run("apply", "-f", join(dir, "plain.yaml"))).code, 0);
    await writeFile(setA, ud("a1"));
    const r = await run("apply", "-f", setA, "--prune", "--applyset", "set-a");
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, "userdatatemplate/a1 unchanged\nuserdatatemplate/a2 pruned\n");
    const names = JSON.parse((await run("get", "usertpl", "-o", "json")).stdout).items.map(
      (i: { metadata: { name: string } }) => i.metadata.name,
    );
    assert.deepEqual(names.sort(), ["a1", "b1", "plain"]);
    // An empty input would prune the whole set: refused without --force.
    await writeFile(join(dir, "empty.yaml"), "# nothing\n");
    const empty = await run("apply", "-f", join(dir, "empty.yaml"), "--prune", "--applyset", "set-a");
    assert.equal(empty.code, 1, show(empty));
    assert.match(empty.stderr, /--force/);
    for (const n of ["a1", "b1", "plain"]) assert.equal((await run("delete", "usertpl", n)).code, 0);
  });

  test("exit codes: 2 for usage, 1 for failures, one clear line each", async () => {
    const unknown = await run("get", "pods");
    assert.equal(unknown.code, 2, show(unknown));
    assert.match(unknown.stderr, /unknown kind "pods"; known kinds: nodes, /);
    const noSet = await run("apply", "-f", join(dir, "a.yaml"), "--prune");
    assert.equal(noSet.code, 2);
    assert.equal((await run("wait", "net", "x", "--for=ready")).code, 2);
    assert.equal((await run("apply")).code, 2, "missing -f");
    const missing = await run("get", "network", "nope");
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'pvcctl: Network "nope" not found\n');
    const nowhere = `http://127.0.0.1:${await freePort()}`; // nothing listens there (just released)
    const down = await pvcctl(["get", "networks"], { PVCCTL_SERVER: nowhere });
    assert.equal(down.code, 1);
    assert.equal(
      down.stderr,
      `pvcctl: cannot reach the API at ${nowhere}: connection refused (is \`pvcctl serve\` running there?)\n`,
    );
    const verbose = await pvcctl(["get", "networks", "-v"], { PVCCTL_SERVER: nowhere });
    assert.ok(verbose.stderr.split("\n").length > 3, "details with -v");
    const timeout = await run("wait", "usertpl", "nope", "--for=create", "--timeout", "200ms");
    assert.equal(timeout.code, 1);
    assert.match(
      timeout.stderr,
      /timed out after 200ms waiting for userdatatemplate\/nope \(create\): does not exist/,
    );
  });

  test("stdin input and the context file; flags and environment override it", async () => {
    const config = join(dir, "config.yaml");
    await writeFile(
      config,
      `current-context: broken\ncontexts:\n  - name: broken\n    server: http://127.0.0.1:9\n  - name: test\n    server: ${t.app.url}\n`,
    );
    const viaStdin = await pvcctl(
      ["apply", "-f", "-", "--context", "test"],
      { PVCCTL_CONFIG: config },
      `${API}\nkind: UserdataTemplate\nmetadata: { name: from-stdin }\nspec: { data: "" }\n`,
    );
    assert.equal(viaStdin.code, 0, show(viaStdin));
    assert.equal(viaStdin.stdout, "userdatatemplate/from-stdin created\n");
    const current = await pvcctl(["get", "usertpl"], { PVCCTL_CONFIG: config });
    assert.equal(current.code, 1, "the current context points nowhere");
    const env2 = await pvcctl(["get", "usertpl"], { PVCCTL_CONFIG: config, PVCCTL_SERVER: t.app.url });
    assert.equal(env2.code, 0, show(env2));
    const flag = await pvcctl(["delete", "usertpl", "from-stdin", "--server", t.app.url], {
      PVCCTL_CONFIG: config,
    });
    assert.equal(flag.code, 0, show(flag));
    const bad = await pvcctl(["get", "usertpl", "--context", "nope"], { PVCCTL_CONFIG: config });
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /no context named "nope" \(have: broken, test\)/);
  });
});

describe("pvcctl with authentication on", () => {
  const root = uniqueRoot("cliauth");
  const token = "s3cret-token-value-0123456789";
  const t = useTestApp(
    root,
    () =>
      testConfig(`${root}/store`, (c) => {
        c.api.auth = { enabled: true, secretKey: "k".repeat(32), tokens: [{ description: "cli", token }] };
        c.reconciler.logLevel = "warn";
      }),
    { kindControllers: [] },
  );

  test("the token is sent, and never printed", async () => {
    const none = await pvcctl(["get", "networks"], { PVCCTL_SERVER: t.app.url });
    assert.equal(none.code, 1, show(none));
    assert.match(none.stderr, /^pvcctl: .*[Aa]uthentication required/);
    const wrong = await pvcctl(["get", "networks", "-v"], {
      PVCCTL_SERVER: t.app.url,
      PVCCTL_TOKEN: `${token}x`,
    });
    assert.equal(wrong.code, 1);
    assert.ok(
      !wrong.stderr.includes(token) && !wrong.stdout.includes(token),
      "no token in the output, even with -v",
    );
    const ok = await pvcctl(["get", "networks"], { PVCCTL_SERVER: t.app.url, PVCCTL_TOKEN: token });
    assert.equal(ok.code, 0, show(ok));
    assert.ok(!ok.stdout.includes(token) && !ok.stderr.includes(token));
  });
});
