/**
 * The store's I/O checks over the declarative API (real HTTP, real ZooKeeper): a template or
 * script a ProvisionerProfile names cannot be deleted (409 IN_USE naming the profile; PVC v0.6
 * deleted it and crashed later), and a ProvisionerScript must compile with python3.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GROUP_PATH, useTestApp } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

const API_VERSION = "pvc.parallelvirtualcluster.org/v1";
const SCRIPT = "import os\n\ndef install(**kwargs):\n    pass\n";

const doc = (kind: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: API_VERSION,
  kind,
  metadata: { name },
  spec,
});

describe("provisioner store checks", () => {
  const root = uniqueRoot("prov-checks");
  const t = useTestApp(root);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.app.url}${GROUP_PATH}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  test("a template or script a profile uses is not deleted; the error names the profile", async () => {
    const made = [
      await call("POST", "/systemtemplates", doc("SystemTemplate", "small", { vcpus: 1, vramMiB: 512 })),
      await call("POST", "/userdatatemplates", doc("UserdataTemplate", "ud", { data: "#cloud-config\n" })),
      await call("POST", "/userdatatemplates", doc("UserdataTemplate", "spare", { data: "" })),
      await call("POST", "/networktemplates", doc("NetworkTemplate", "nt", {})),
      await call("POST", "/storagetemplates", doc("StorageTemplate", "st", {})),
      await call("POST", "/provisionerscripts", doc("ProvisionerScript", "inst", { data: SCRIPT })),
    ];
    for (const r of made) assert.equal(r.status, 201, JSON.stringify(r.body));
    for (const name of ["p1", "p2"]) {
      const p = await call(
        "POST",
        "/provisionerprofiles",
        doc("ProvisionerProfile", name, {
          systemTemplate: "small",
          networkTemplate: "nt",
          storageTemplate: "st",
          userdataTemplate: "ud",
          script: "inst",
        }),
      );
      assert.equal(p.status, 201, JSON.stringify(p.body));
    }
    const refused = await call("DELETE", "/systemtemplates/small");
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, "IN_USE");
    assert.equal(
      refused.body.message,
      'SystemTemplate "small" is used by ProvisionerProfile p1, p2; change or delete those profiles first',
    );
    const dry = await call("DELETE", "/provisionerscripts/inst?dryRun=All");
    assert.equal(dry.status, 409, JSON.stringify(dry.body));
    assert.match(dry.body.message, /ProvisionerScript "inst" is used by ProvisionerProfile p1, p2/);
    assert.equal((await call("GET", "/systemtemplates/small")).status, 200);

    // One profile left: the message says so; with none, the delete goes through.
    assert.equal((await call("DELETE", "/provisionerprofiles/p1")).status, 200);
    const one = await call("DELETE", "/provisionerscripts/inst");
    assert.equal(one.status, 409);
    assert.match(one.body.message, /used by ProvisionerProfile p2; change or delete that profile first$/);
    for (const path of ["/networktemplates/nt", "/storagetemplates/st", "/userdatatemplates/ud"]) {
      const r = await call("DELETE", path);
      assert.equal(r.status, 409, path);
      assert.match(r.body.message, /used by ProvisionerProfile p2;/);
    }
    // A template no profile names goes at once; with the last profile gone, all of them do.
    assert.equal((await call("DELETE", "/userdatatemplates/spare")).status, 200);
    assert.equal((await call("DELETE", "/provisionerprofiles/p2")).status, 200);
    for (const path of [
      "/systemtemplates/small",
      "/networktemplates/nt",
      "/storagetemplates/st",
      "/userdatatemplates/ud",
      "/provisionerscripts/inst",
    ]) {
      assert.equal((await call("DELETE", path)).status, 200, path);
    }
  });

  test("a ProvisionerScript python3 cannot compile is refused with the line and Python's error", async () => {
    const bad = "import os\n\ndef install(**kwargs):\n    if True\n        pass\n";
    const r = await call("POST", "/provisionerscripts", doc("ProvisionerScript", "broken", { data: bad }));
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.code, "VALIDATION_FAILED");
    assert.match(
      r.body.message,
      /^\/spec\/data: is not valid Python 3 \(line 4: SyntaxError: expected ':'\) \(got " {4}if True"\)$/,
    );
    assert.equal((await call("GET", "/provisionerscripts/broken")).status, 404);

    // A change to a good script is checked too, and the stored script stays as it was.
    assert.equal(
      (await call("POST", "/provisionerscripts", doc("ProvisionerScript", "good", { data: SCRIPT }))).status,
      201,
    );
    const patch = await fetch(`${t.app.url}${GROUP_PATH}/provisionerscripts/good`, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ spec: { data: `${SCRIPT}    return (\n` } }),
    });
    assert.equal(patch.status, 422, await patch.text());
    const got = await call("GET", "/provisionerscripts/good");
    assert.equal(got.body.spec.data, SCRIPT);
  });
});
