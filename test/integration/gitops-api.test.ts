/**
 * The GitOps folder inside the real app (config `reconciler.gitops`): `pvcctl get syncs` shows
 * it; its objects refuse other writers over the declarative API, pvcctl and the /api/v1 facade,
 * each answer naming the owning file; an edit of the file goes through.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { networkController } from "../../controllers/network/controller.ts";
import { GROUP_PATH, testConfig, until, useTestApp } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";
import { pvcctl, show } from "./cli-helpers.ts";

const API = "apiVersion: pvc.parallelvirtualcluster.org/v1";
const net = (domain: string) =>
  `${API}\nkind: Network\nmetadata:\n  name: gnet\nspec:\n  vni: 4300\n  type: managed\n  domain: ${domain}\n  ipv4:\n    network: 10.43.0.0/24\n    gateway: 10.43.0.1\n`;

describe("GitOps in the app", () => {
  const root = uniqueRoot("gitopsapi");
  let dir: string;
  let env: Record<string, string>;

  // The folder is written first: the app's config names it.
  before(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "pvc-gitops-api-")), "site");
    await mkdir(dir);
    await writeFile(join(dir, "network.yaml"), net("gnet.example.org"));
    await writeFile(
      join(dir, "ud.yaml"),
      `${API}\nkind: UserdataTemplate\nmetadata:\n  name: gud\nspec:\n  data: ""\n`,
    );
  });
  const t = useTestApp(
    root,
    () =>
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = `${root}/pvc`;
        c.reconciler.logLevel = "warn";
        c.reconciler.facadeWaitTimeoutMs = 10_000;
        c.reconciler.gitops = { enabled: true, dir };
      }),
    { kindControllers: [networkController] },
  );
  before(async () => {
    await t.app.zk.mkdirp(`${root}/pvc/networks`);
    env = { PVCCTL_SERVER: t.app.url };
  });
  after(async () => {
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  test("pvcctl get syncs shows the folder, in sync", async () => {
    const wait = await pvcctl(["wait", "sync", "site", "--for=condition=Ready", "--timeout", "20s"], env);
    assert.equal(wait.code, 0, show(wait));
    const r = await pvcctl(["get", "syncs"], env);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^NAME\s+READY\s+REASON\s+AGE\s+FILES\s+OBJECTS\s+LAST SYNC\s+ERRORS\n/);
    assert.match(r.stdout, /site\s+True\s+Synced\s+\S+\s+2\s+2\s+\S+\s+0/);
    const net = await pvcctl(["wait", "network", "gnet", "--for=condition=Ready", "--timeout", "20s"], env);
    assert.equal(net.code, 0, show(net));
    const d = await pvcctl(["describe", "network", "gnet"], env);
    assert.match(d.stdout, /gitops\.pvc\.parallelvirtualcluster\.org\/file=network\.yaml/);
  });

  test("other writers are refused, naming the file: pvcctl, the API, the /api/v1 facade", async () => {
    const edited = join(dir, "..", "edited.yaml");
    await writeFile(edited, net("by-hand.example.org"));
    const apply = await pvcctl(["apply", "-f", edited], env);
    assert.equal(apply.code, 1, show(apply));
    assert.match(
      apply.stderr,
      /network\/gnet failed: Network "gnet" is managed by GitOps: it is declared in network\.yaml of the folder .*site/,
    );
    const del = await pvcctl(["delete", "network", "gnet"], env);
    assert.equal(del.code, 1, show(del));
    assert.match(del.stderr, /managed by GitOps.*network\.yaml/);

    const patch = await fetch(`${t.app.url}${GROUP_PATH}/networks/gnet`, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ spec: { domain: "x.example.org" } }),
    });
    assert.equal(patch.status, 403);
    const status = (await patch.json()) as {
      code: string;
      message: string;
      details: { gitops: { file: string } };
    };
    assert.equal(status.code, "FORBIDDEN");
    assert.equal(status.details.gitops.file, "network.yaml");

    const facade = await fetch(`${t.app.url}/api/v1/network/4300?domain=facade.example.org`, {
      method: "PUT",
    });
    const body = (await facade.json()) as { message: string };
    assert.equal(facade.status, 510, JSON.stringify(body));
    assert.match(body.message, /managed by GitOps.*network\.yaml/);
    const gone = await fetch(`${t.app.url}/api/v1/network/4300`, { method: "DELETE" });
    assert.equal(gone.status, 510);

    const r = await pvcctl(["get", "network", "gnet", "-o", "json"], env);
    assert.equal(JSON.parse(r.stdout).spec.domain, "gnet.example.org", "nothing changed");
  });

  test("the folder itself changes it", async () => {
    await writeFile(join(dir, "network.yaml"), net("edited.example.org"));
    await until(
      "the edit applied and converged",
      async () => {
        const r = await pvcctl(["get", "network", "gnet", "-o", "json"], env);
        const obj = JSON.parse(r.stdout);
        return (
          obj.spec.domain === "edited.example.org" &&
          obj.status?.observedGeneration === obj.metadata.generation &&
          (await t.app.zk.get(`${root}/pvc/networks/4300/domain`)).data === "edited.example.org"
        );
      },
      30_000,
    );
    const ev = await pvcctl(["events", "sync", "site"], env);
    assert.match(ev.stdout, /Normal\s+Synced\s+\d+\s+Revision \w+: updated 1/);
  });
});
