/**
 * Hostile but fair input over real HTTP, on the real app and ZooKeeper (issue 12, items 7 and 8):
 * each used to answer 500 or be stored verbatim; each now answers a 4xx (on /api/v1 the manual's
 * codes: 400 for a GET, 510 for a write) whose message names the field and the value.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { before, describe, test } from "node:test";
import { expectV1, GROUP_PATH, testConfig, until, useTestApp, v1Call } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

interface Reply {
  status: number;
  body: {
    code?: string;
    message?: string;
    details?: { fields?: Array<{ pointer: string; value: unknown }> };
  };
}

describe("bad input answers 4xx naming the field and value", () => {
  const root = uniqueRoot("bad-input");
  const t = useTestApp(root, () =>
    testConfig(`${root}/store`, (c) => {
      c.reconciler.pvcRoot = `${root}/pvc`;
      c.reconciler.facadeWaitTimeoutMs = 5_000;
    }),
  );

  /** A raw request: the path is sent as written (fetch would resolve `..` before sending). */
  function raw(method: string, path: string, body?: string, type?: string): Promise<Reply> {
    const url = new URL(t.app.url);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers:
            body === undefined
              ? {}
              : { "content-type": type ?? "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  function network(name: string, spec: Record<string, unknown>): string {
    return JSON.stringify({
      apiVersion: "pvc.parallelvirtualcluster.org/v1",
      kind: "Network",
      metadata: { name },
      spec,
    });
  }

  /** The Networks stored. */
  async function storedNetworks(): Promise<string[]> {
    const list = await raw("GET", `${GROUP_PATH}/networks`);
    return (list.body as unknown as { items: Array<{ metadata: { name: string } }> }).items.map(
      (i) => i.metadata.name,
    );
  }

  /** Asserts a Status answer with `status` and `code` whose one field is `pointer` = `value`. */
  function expectField(r: Reply, status: number, code: string, pointer: string, value: unknown): void {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.code, code);
    assert.deepEqual(
      r.body.details?.fields?.map((f) => [f.pointer, f.value]),
      [[pointer, value]],
    );
    assert.ok(r.body.message?.includes(`${pointer}: `), r.body.message);
    // Long values are shown cut.
    assert.ok(r.body.message?.includes(JSON.stringify(value).slice(0, 40)), r.body.message);
  }

  before(async () => {
    await t.app.zk.mkdirp(`${root}/pvc/networks`);
    const created = await raw(
      "POST",
      `${GROUP_PATH}/networks`,
      network("fzn", { vni: 700, type: "managed" }),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await until(
      "the facade sees network 700",
      async () => (await v1Call(t.app.url, "GET", "/network/700")).status === 200,
    );
  });

  test("a name that is not one path segment: 400 on every verb, nothing written", async () => {
    const names: Array<[string, string]> = [
      ["a%2F..%2Fb", "a/../b"],
      ["fzn%2Fstatus", "fzn/status"],
      ["fzn%2F", "fzn/"],
      ["..", ".."],
      ["%2e", "."],
      ["a%00b", "a\u0000b"],
      ["a%0Ab", "a\nb"],
    ];
    const merge = "application/merge-patch+json";
    for (const [inPath, name] of names) {
      const at = `${GROUP_PATH}/networks/${inPath}`;
      for (const [method, path, body, type] of [
        ["GET", at],
        ["GET", `${at}/status`],
        ["GET", `${at}/events`],
        ["DELETE", at],
        ["PATCH", at, JSON.stringify({ spec: { vni: 701 } }), merge],
        [
          "PATCH",
          `${at}?apply=true`,
          network(name, { vni: 701, type: "managed" }),
          "application/apply-patch+yaml",
        ],
        ["PUT", at, network(name, { vni: 701, type: "managed" }), "application/json"],
      ] as const) {
        const r = await raw(method, path, body, type);
        assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
        expectField(r, 400, "BAD_REQUEST", "/metadata/name", name);
      }
      // Only in a document (POST), the name is one of its fields: 422, as any invalid field.
      const post = await raw("POST", `${GROUP_PATH}/networks`, network(name, { vni: 701, type: "managed" }));
      expectField(post, 422, "VALIDATION_FAILED", "/metadata/name", name);
    }
    const fzn = await raw("GET", `${GROUP_PATH}/networks/fzn`);
    assert.equal(fzn.status, 200);
    assert.equal((fzn.body as unknown as { spec: { vni: number } }).spec.vni, 700);
    assert.deepEqual(await storedNetworks(), ["fzn"]);
  });

  test("a description that cannot make the default domain: 422 on the declarative API", async () => {
    const bad = await raw(
      "POST",
      `${GROUP_PATH}/networks`,
      network("n557", { vni: 557, type: "bridged", description: "a!" }),
    );
    expectField(bad, 422, "VALIDATION_FAILED", "/spec/description", "a!");
    assert.match(
      bad.body.message ?? "",
      /makes the default domain "a!\.local", which is not a DNS name: a domain must be given/,
    );
    const long = "d".repeat(64);
    const tooLong = await raw(
      "POST",
      `${GROUP_PATH}/networks`,
      network("n558", { vni: 558, type: "bridged", description: long }),
    );
    expectField(tooLong, 422, "VALIDATION_FAILED", "/spec/description", long);
    // No description: it defaults from the name, which is then what is named.
    const byName = await raw("POST", `${GROUP_PATH}/networks`, network("a+b", { vni: 559, type: "bridged" }));
    expectField(byName, 422, "VALIDATION_FAILED", "/metadata/name", "a+b");
  });

  test("the same on /api/v1: 510 naming the field as the facade does, nothing stored", async () => {
    const r = await v1Call(t.app.url, "POST", "/network", {
      vni: "557",
      description: "a!",
      nettype: "bridged",
    });
    expectV1(
      r,
      510,
      'ERROR: description makes the default domain "a!.local", which is not a DNS name: a domain must be given (got "a!")',
    );
    assert.deepEqual(await storedNetworks(), ["fzn"]);
  });

  test("an ACL rule of more than one line: 422 on the declarative API, 510 on /api/v1, nothing stored", async () => {
    const rule = "accept\n}\nchain evil {";
    const created = await raw(
      "POST",
      `${GROUP_PATH}/networks`,
      network("acl1", { vni: 710, type: "managed", acls: { in: [{ description: "r1", rule }] } }),
    );
    expectField(created, 422, "VALIDATION_FAILED", "/spec/acls/in/0/rule", rule);
    assert.match(created.body.message ?? "", /must be one nftables rule: a single line of printable text/);

    const patched = await raw(
      "PATCH",
      `${GROUP_PATH}/networks/fzn`,
      JSON.stringify({ spec: { acls: { out: [{ description: "r2", rule: "drop\r" }] } } }),
      "application/merge-patch+json",
    );
    expectField(patched, 422, "VALIDATION_FAILED", "/spec/acls/out/0/rule", "drop\r");

    const facade = await v1Call(
      t.app.url,
      "POST",
      "/network/700/acl",
      { description: "r3", direction: "in", rule: "accept\n}\ntable inet evil {" },
      true,
    );
    expectV1(
      facade,
      510,
      /^ERROR: acls\/in\/0\/rule must be one nftables rule: a single line of printable text .*\(got "accept\\n}\\ntable inet evil \{"\)$/,
    );
    const fzn = await raw("GET", `${GROUP_PATH}/networks/fzn`);
    assert.deepEqual((fzn.body as unknown as { spec: { acls: unknown } }).spec.acls, { in: [], out: [] });
  });

  test("a malformed multipart body: 510 on a write, 400 on a GET, saying why", async () => {
    const type = "multipart/form-data; boundary=XYZ";
    const truncated = '--XYZ\r\nContent-Disposition: form-data; name="vni"\r\n\r\n55';
    const post = await raw("POST", "/api/v1/network", truncated, type);
    assert.equal(post.status, 510, JSON.stringify(post.body));
    assert.match(
      post.body.message ?? "",
      /^ERROR: The request body is not valid multipart\/form-data: Unexpected end of/,
    );
    const noBoundary = await raw("POST", "/api/v1/network", "garbage", "multipart/form-data");
    assert.equal(noBoundary.status, 510, JSON.stringify(noBoundary.body));
    assert.equal(
      noBoundary.body.message,
      "ERROR: The request body is not valid multipart/form-data: Multipart: Boundary not found.",
    );
    const get = await raw("GET", "/api/v1/network", truncated, type);
    assert.equal(get.status, 400, JSON.stringify(get.body));
    assert.match(get.body.message ?? "", /^ERROR: The request body is not valid multipart\/form-data: /);
  });
});
