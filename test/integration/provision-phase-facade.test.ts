/**
 * /api/v1/provisioner/create and /provisioner/status/<task-id> over real HTTP on the real app with
 * the VirtualMachine controller: create answers 202 with the task id (the VM's uid) and a Location
 * to its status; status answers v0.6's {state, current, total, status} from status.provisioning,
 * here ending in FAILURE naming the missing network; every bad value is refused with its code and
 * message (missing name or profile, an unknown profile, a duplicate name, a bad define_vm or arg,
 * a name too long for its disks), and an unknown task id is 404 (v0.6 said PENDING).
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { vmController } from "../../controllers/vm/controller.ts";
import { API_GROUP_VERSION } from "../../src/resources/types.ts";
import { expectV1, testConfig, until, useTestApp, v1Call } from "../helpers/api-app.ts";
import { cephConf, uniqueRoot } from "../helpers/env.ts";

const obj = (kind: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: API_GROUP_VERSION,
  kind,
  metadata: { name },
  spec,
});

describe("/api/v1/provisioner/create and /status", () => {
  const root = uniqueRoot("prov-create");
  const t = useTestApp(
    root,
    () =>
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = `${root}/pvc`;
        c.reconciler.cephConf = cephConf();
      }),
    { kindControllers: [vmController] },
  );
  const call = (method: string, path: string, values: Record<string, string | string[]> = {}) =>
    v1Call(t.app.url, method, path, values);

  /** The task's status once it has failed, polled as a client polls it. */
  async function failedStatus(id: string): Promise<unknown> {
    let last: unknown;
    await until(
      "the task to fail",
      async () => {
        last = (await call("GET", `/provisioner/status/${id}`)).body;
        return (last as { state: string }).state === "FAILURE";
      },
      20_000,
    );
    return last;
  }

  before(async () => {
    const { store } = t.app;
    await store.create(obj("SystemTemplate", "s1", { vcpus: 1, vramMiB: 256 }));
    // vni 4242 is no network of this cluster: provisioning fails in its first phase.
    await store.create(obj("NetworkTemplate", "n1", { networks: [{ vni: 4242 }] }));
    await store.create(obj("StorageTemplate", "d1", { disks: [] }));
    await store.create(obj("UserdataTemplate", "u1", { data: "" }));
    await store.create(obj("ProvisionerScript", "p1", { data: "def install(**kwargs):\n    pass\n" }));
    await store.create(
      obj("ProvisionerProfile", "prof1", {
        systemTemplate: "s1",
        networkTemplate: "n1",
        storageTemplate: "d1",
        userdataTemplate: "u1",
        script: "p1",
        arguments: {},
      }),
    );
  });

  test("create: 202, the task id and its Location; status follows the task to FAILURE naming the missing network", async () => {
    const res = await fetch(`${t.app.url}/api/v1/provisioner/create?name=vm1&profile=prof1`, {
      method: "POST",
    });
    assert.equal(res.status, 202);
    const { task_id: id } = (await res.json()) as { task_id: string };
    const vm = await t.app.store.get("VirtualMachine", "vm1");
    assert.equal(id, vm.metadata.uid);
    assert.equal(res.headers.get("location"), `/api/v1/provisioner/status/${id}`);
    assert.deepEqual(vm.spec.profile, "prof1");
    assert.equal(vm.spec.provision, undefined, "define_vm and start_vm default to true");

    const first = await call("GET", `/provisioner/status/${id}`);
    assert.equal(first.status, 200);
    assert.ok(["PENDING", "RUNNING", "FAILURE"].includes((first.body as { state: string }).state));
    const last = await failedStatus(id);
    assert.deepEqual(last, {
      state: "FAILURE",
      current: 1,
      total: 1,
      status: "resolve: network vni 4242 is not present on the cluster",
    });
    const failed = await t.app.store.get("VirtualMachine", "vm1");
    const stalled = failed.status?.conditions?.find((c) => c.type === "Stalled");
    assert.equal(stalled?.reason, "ProvisioningFailed");
    assert.equal(
      stalled?.message,
      "provisioning failed in phase resolve: network vni 4242 is not present on the cluster",
    );
  });

  test("define_vm, start_vm and arg reach the VM's spec.provision", async () => {
    const r = await call("POST", "/provisioner/create", {
      name: "vm2",
      profile: "prof1",
      define_vm: "false",
      start_vm: "False",
      arg: ["deb_release=bookworm", "mirror=http://x/?a=b"],
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const vm = await t.app.store.get("VirtualMachine", "vm2");
    assert.deepEqual(vm.spec.provision, {
      define: false,
      start: false,
      arguments: { deb_release: "bookworm", mirror: "http://x/?a=b" },
    });
  });

  test("bad input: each refused with its code and a message naming the value", async () => {
    expectV1(
      await call("POST", "/provisioner/create", { profile: "prof1" }),
      400,
      "A VM name must be specified.",
    );
    expectV1(
      await call("POST", "/provisioner/create", { name: "x1" }),
      400,
      "A VM profile must be specified.",
    );
    expectV1(
      await call("POST", "/provisioner/create", { name: "x1", profile: "nope" }),
      400,
      "The profile 'nope' does not exist.",
    );
    expectV1(
      await call("POST", "/provisioner/create", { name: "vm1", profile: "prof1" }),
      400,
      "A VM with the name 'vm1' already exists in the cluster.",
    );
    expectV1(
      await call("POST", "/provisioner/create", { name: "x1", profile: "prof1", define_vm: "maybe" }),
      400,
      "ERROR: define_vm must be true or false, got 'maybe'.",
    );
    expectV1(
      await call("POST", "/provisioner/create", { name: "x1", profile: "prof1", arg: "novalue" }),
      400,
      "ERROR: Script argument 'novalue' must be given as name=value.",
    );
    const long = "v".repeat(100);
    expectV1(
      await call("POST", "/provisioner/create", { name: long, profile: "prof1" }),
      400,
      /^ERROR: .*metadata\/name must be at most \d+ characters for a provisioned VM/,
    );
    assert.equal(await t.app.store.tryGet("VirtualMachine", "x1"), null, "nothing was created");
  });

  test("a VM declared before its profile fails to resolve, and is tried again once the profile exists", async () => {
    const vm = await t.app.store.create(obj("VirtualMachine", "early1", { profile: "later" }));
    const status = async () =>
      (await call("GET", `/provisioner/status/${vm.metadata.uid}`)) as {
        status: number;
        body: { state?: string; status?: string };
      };
    await until(
      "the missing profile reported",
      async () => (await status()).body?.state === "FAILURE",
      20_000,
    );
    assert.deepEqual((await status()).body, {
      state: "FAILURE",
      current: 1,
      total: 1,
      status: "resolve: ProvisionerProfile later does not exist",
    });
    await t.app.store.create(
      obj("ProvisionerProfile", "later", {
        systemTemplate: "s1",
        networkTemplate: "n1",
        storageTemplate: "d1",
        userdataTemplate: "u1",
        script: "p1",
        arguments: {},
      }),
    );
    // Woken by the profile: resolved again, it now stops at the next missing piece, the network.
    await until(
      "the task tried again",
      async () => (await status()).body?.status === "resolve: network vni 4242 is not present on the cluster",
      20_000,
    );
  });

  test("a name a PVC domain already has: FAILURE in resolve naming the domain, before any volume", async () => {
    const uuid = "0b1f3c1e-0000-4000-8000-0000000000aa";
    await t.app.zk.mkdirp(`${root}/pvc/domains`);
    await t.app.zk.create(`${root}/pvc/domains/${uuid}`, "taken1");
    const r = await call("POST", "/provisioner/create", { name: "taken1", profile: "prof1" });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = (r.body as { task_id: string }).task_id;
    const last = await failedStatus(id);
    assert.deepEqual(last, {
      state: "FAILURE",
      current: 1,
      total: 1,
      status: `resolve: a VM with the name taken1 already exists in the cluster (domain ${uuid})`,
    });
  });

  test("status of an unknown task id is 404", async () => {
    expectV1(
      await call("GET", "/provisioner/status/0b1f3c1e-0000-4000-8000-000000000000"),
      404,
      "No provisioning task with ID '0b1f3c1e-0000-4000-8000-000000000000'.",
    );
    expectV1(
      await call("GET", "/provisioner/status/whatever"),
      404,
      "No provisioning task with ID 'whatever'.",
    );
  });
});
