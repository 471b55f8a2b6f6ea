/**
 * Names at the store's door (issue 12, item 7), on the real ZooKeeper: every operation that is
 * given a name refuses one that is not a single path segment with BAD_REQUEST naming the field and
 * the value, before any read or write (a name inside a document is a field of it: VALIDATION_FAILED,
 * as before). Before,
 * `fzn/status` read the status znode of `fzn` as an object (a TypeError), and `a/../b` reached
 * ZooKeeper (its error, a 500).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import type { FieldError } from "../../src/resources/types.ts";
import { ResourceStore } from "../../src/store/store.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";

const KINDS = [{ kind: "Gadget", plural: "gadgets" }];
const API = "test/v1";

/** Asserts `run` fails with `code` whose message and details name /metadata/name and `name`. */
async function refused(what: string, run: () => unknown, code: string, name: string): Promise<void> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof PvcError, `${what}: ${String(err)}`);
    assert.equal(err.code, code, `${what}: ${err.message}`);
    assert.ok(err.message.startsWith("/metadata/name: "), `${what}: ${err.message}`);
    assert.ok(err.message.endsWith(`(got ${JSON.stringify(name)})`), `${what}: ${err.message}`);
    const [field] = (err.details?.fields ?? []) as FieldError[];
    assert.deepEqual([field.pointer, field.value], ["/metadata/name", name], what);
    return;
  }
  assert.fail(`${what}: expected ${code}`);
}

describe("store: names are checked at the door of every operation", () => {
  let zk: ZkClient;
  let store: ResourceStore;
  const root = uniqueRoot("store-names");

  before(async () => {
    zk = await ZkClient.connect({ connectString: zkConnect() });
    store = new ResourceStore(zk, { root, kinds: KINDS });
    await store.init();
    await store.create({ apiVersion: API, kind: "Gadget", metadata: { name: "fzn" }, spec: { size: 1 } });
    await store.updateStatus("Gadget", "fzn", { phase: "kept" });
  });
  after(async () => {
    await zk.deleteRecursive(root);
    zk.close();
  });

  const BAD = ["fzn/status", "a/../b", "fzn/", "..", ".", "a\u0000b", "a\nb", "x😀", ""];

  test("get, tryGet, patch, delete, status writes and finalizers refuse them with BAD_REQUEST", async () => {
    const before = await zk.get(`${root}/objects/gadgets/fzn/status`);
    for (const name of BAD) {
      const ops: Array<[string, () => unknown]> = [
        ["get", () => store.get("Gadget", name)],
        ["tryGet", () => store.tryGet("Gadget", name)],
        ["patch", () => store.patch("Gadget", name, { spec: { size: 2 } })],
        ["delete", () => store.delete("Gadget", name)],
        ["dry-run delete", () => store.delete("Gadget", name, { dryRun: true })],
        ["updateStatus", () => store.updateStatus("Gadget", name, { phase: "overwritten" })],
        ["statusWriteOp", () => store.statusWriteOp("Gadget", name, { phase: "overwritten" })],
        ["addFinalizer", () => store.addFinalizer("Gadget", name, "test/f")],
        ["removeFinalizer", () => store.removeFinalizer("Gadget", name, "test/f")],
      ];
      for (const [what, run] of ops) {
        await refused(`${what}(${JSON.stringify(name)})`, run, ErrorCodes.BAD_REQUEST, name);
      }
    }
    // Nothing reached the object the names pointed into.
    const after = await zk.get(`${root}/objects/gadgets/fzn/status`);
    assert.equal(after.data, before.data);
    assert.equal(after.stat.version, before.stat.version);
    assert.equal((await store.get("Gadget", "fzn")).status?.phase, "kept");
  });

  test("a name too long to be one is refused, and shown cut", async () => {
    const long = "n".repeat(2000);
    try {
      await store.get("Gadget", long);
      assert.fail("expected BAD_REQUEST");
    } catch (err) {
      assert.ok(err instanceof PvcError && err.code === ErrorCodes.BAD_REQUEST, String(err));
      assert.match(
        err.message,
        /^\/metadata\/name: must be at most 253 characters, not 2000 \(got "n{79}…"\)$/,
      );
    }
  });

  test("a document's name is one of its fields: create, update and apply refuse it with VALIDATION_FAILED", async () => {
    for (const name of ["fzn/status", "a/../b", "..", "a\nb", ""]) {
      const doc = { apiVersion: API, kind: "Gadget", metadata: { name, resourceVersion: "1" }, spec: {} };
      await refused(`create ${name}`, () => store.create(doc), ErrorCodes.VALIDATION_FAILED, name);
      await refused(`update ${name}`, () => store.update(doc), ErrorCodes.VALIDATION_FAILED, name);
      await refused(`apply ${name}`, () => store.apply(doc), ErrorCodes.VALIDATION_FAILED, name);
    }
    assert.deepEqual(
      (await store.list("Gadget")).items.map((g) => g.metadata.name),
      ["fzn"],
    );
  });
});
