import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PvcDescriptions } from "../../controllers/network/claims.ts";

describe("PvcDescriptions", () => {
  it("finds the vnis carrying a description, and follows changes and deletes", () => {
    const d = new PvcDescriptions();
    d.set(100, "lan");
    d.set(200, "lan");
    d.set(300, "dmz");
    assert.deepEqual(d.vnisOf("lan").sort(), [100, 200]);
    assert.deepEqual(d.vnisOf("dmz"), [300]);
    assert.equal(d.set(200, "storage"), "lan", "returns the previous description"); // renamed out of band
    assert.deepEqual(d.vnisOf("lan"), [100]);
    assert.deepEqual(d.vnisOf("storage"), [200]);
    d.set(100, undefined); // /networks/100 deleted
    assert.deepEqual(d.vnisOf("lan"), []);
    assert.equal(d.set(100, undefined), undefined); // deleting what is gone is a no-op
    d.set(300, "dmz"); // the same value again changes nothing
    assert.deepEqual(d.vnisOf("dmz"), [300]);
    assert.deepEqual(d.vnisOf("nothing"), []);
  });
});
