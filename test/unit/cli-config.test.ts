import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isPvcError } from "../../src/errors.ts";
import { parseDuration } from "../../src/pvcctl/commands/resources.ts";
import { resolveConnection } from "../../src/pvcctl/config.ts";

test("flags over environment over the context file over the default", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cli-config-"));
  try {
    const file = join(dir, "config.yaml");
    await writeFile(
      file,
      "current-context: a\ncontexts:\n  - name: a\n    server: http://a:1\n    token: ta\n  - name: b\n    server: http://b:2\n    tokenFile: " +
        join(dir, "tok") +
        "\n",
    );
    await writeFile(join(dir, "tok"), "tb\n");
    const env = { PVCCTL_CONFIG: file };
    assert.deepEqual(resolveConnection({}, env), {
      server: "http://a:1",
      token: "ta",
      serverFrom: file,
      tokenFrom: file,
    });
    assert.equal(resolveConnection({ context: "b" }, env).token, "tb");
    assert.equal(resolveConnection({}, { ...env, PVCCTL_SERVER: "http://e:3" }).server, "http://e:3");
    assert.equal(
      resolveConnection({ server: "http://f:4" }, { ...env, PVCCTL_SERVER: "http://e:3" }).server,
      "http://f:4",
    );
    assert.equal(resolveConnection({ token: "tf" }, { ...env, PVCCTL_TOKEN: "te" }).token, "tf");
    assert.deepEqual(resolveConnection({}, { PVCCTL_CONFIG: join(dir, "missing.yaml") }), {
      server: "http://127.0.0.1:7370",
      token: undefined,
      serverFrom: "default",
      tokenFrom: undefined,
    });
    assert.throws(
      () => resolveConnection({ context: "zz" }, env),
      (e: unknown) => isPvcError(e, "CONFIG_INVALID") && /have: a, b/.test(e.message),
    );
    await writeFile(file, "serverr: http://x\n");
    assert.throws(
      () => resolveConnection({}, env),
      (e: unknown) => isPvcError(e, "CONFIG_INVALID") && /serverr: is not a known setting/.test(e.message),
    );
    assert.throws(() => resolveConnection({ server: "ftp://x" }, {}), /must be an http/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("durations", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  assert.equal(parseDuration("12"), 12_000);
  assert.equal(parseDuration("soon"), undefined);
});
