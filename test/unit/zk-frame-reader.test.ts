import assert from "node:assert/strict";
import { test } from "node:test";
import { PartialFrame, splitFrames } from "../../src/zk/frame-reader.ts";

function frame(payload: string): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(4);
  head.writeInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Feeds `stream` in chunks cut at `cuts` and returns the payloads of the frames handed on. */
function feed(stream: Buffer, cuts: number[]): string[] {
  const partial = new PartialFrame();
  const out: string[] = [];
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    splitFrames(partial, stream.subarray(from, to), (d, s, e) => {
      const f = d.subarray(s, e);
      assert.equal(f.readInt32BE(0), f.length - 4, "a frame is handed on whole");
      out.push(f.subarray(4).toString());
    });
    from = to;
  }
  assert.equal(partial.length, 0, "nothing left over at the end of the stream");
  return out;
}

test("many frames in one read are handed on one by one, in order", () => {
  const payloads = Array.from({ length: 500 }, (_, i) => `reply-${i}`);
  assert.deepEqual(feed(Buffer.concat(payloads.map(frame)), []), payloads);
});

test("frames cut anywhere (inside the length prefix, inside the body) are reassembled", () => {
  const payloads = ["a", "", "hello world", "x".repeat(70_000), "tail"];
  const stream = Buffer.concat(payloads.map(frame));
  for (const cuts of [[1], [2, 3], [4], [5, 6, 7], [9, 10, 11, 12, 13], [30, 40_000, 60_000, 70_010]]) {
    assert.deepEqual(feed(stream, cuts), payloads, `cut at ${cuts.join(",")}`);
  }
  // Every single-byte boundary of a small stream.
  const small = Buffer.concat(["ab", "cde", ""].map(frame));
  for (let cut = 1; cut < small.length; cut++) assert.deepEqual(feed(small, [cut]), ["ab", "cde", ""]);
  // One byte per read.
  assert.deepEqual(
    feed(
      small,
      Array.from({ length: small.length - 1 }, (_, i) => i + 1),
    ),
    ["ab", "cde", ""],
  );
});

test("a partial frame waits for the rest and hands nothing on early", () => {
  const partial = new PartialFrame();
  const seen: Buffer[] = [];
  const f = frame("0123456789");
  splitFrames(partial, f.subarray(0, 7), (d, s, e) => seen.push(d.subarray(s, e)));
  assert.equal(seen.length, 0);
  assert.equal(partial.length, 7);
  splitFrames(partial, f.subarray(7), (d, s, e) => seen.push(d.subarray(s, e)));
  assert.equal(seen.length, 1);
  assert.equal(seen[0].subarray(4).toString(), "0123456789");
});

test("a notification frame is decoded (type, state, path; chroot removed); other frames are not", async () => {
  const { decodeNotification } = await import("../../src/zk/frame-reader.ts");
  const path = Buffer.from("/app/objects/networks/n1/status");
  const body = Buffer.alloc(4 + 8 + 4 + 4 + 4 + 4 + path.length);
  body.writeInt32BE(-1, 0); // xid: notification
  body.writeInt32BE(3, 16); // NodeDataChanged
  body.writeInt32BE(3, 20); // SyncConnected
  body.writeInt32BE(path.length, 24);
  path.copy(body, 28);
  const head = Buffer.alloc(4);
  head.writeInt32BE(body.length, 0);
  const f = Buffer.concat([head, body]);
  assert.deepEqual(decodeNotification(f), { type: 3, state: 3, path: "/app/objects/networks/n1/status" });
  assert.deepEqual(decodeNotification(f, 0, f.length, "/app"), {
    type: 3,
    state: 3,
    path: "/objects/networks/n1/status",
  });
  const padded = Buffer.concat([Buffer.from("xyz"), f]);
  assert.deepEqual(decodeNotification(padded, 3, padded.length)?.path, "/app/objects/networks/n1/status");
  const reply = Buffer.from(f);
  reply.writeInt32BE(7, 4); // an ordinary reply's xid
  assert.equal(decodeNotification(reply), undefined);
});
