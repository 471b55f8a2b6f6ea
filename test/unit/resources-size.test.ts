import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatSizeExact,
  formatSizeHuman,
  parseSize,
  SizeError,
  tryParseSize,
} from "../../src/resources/size.ts";

test("parseSize: bytes, and one binary unit letter as PVC writes them", () => {
  assert.equal(parseSize(1073741824), 1073741824);
  assert.equal(parseSize("1073741824"), 1073741824);
  assert.equal(parseSize("512B"), 512);
  assert.equal(parseSize("4K"), 4096);
  assert.equal(parseSize("4096M"), 4 * 1024 ** 3);
  assert.equal(parseSize("20G"), 20 * 1024 ** 3);
  assert.equal(parseSize("1T"), 1024 ** 4);
  assert.equal(parseSize("2P"), 2 * 1024 ** 5);
  assert.equal(parseSize("20g"), 20 * 1024 ** 3);
});

test("parseSize refuses what it cannot read exactly", () => {
  for (const bad of ["20GB", "20GiB", "1.5G", "-1G", "G", "", " 20G", "20 G"]) {
    assert.throws(() => parseSize(bad), SizeError, bad);
  }
  assert.throws(() => parseSize(1.5), SizeError);
  assert.throws(() => parseSize(-1), SizeError);
  assert.throws(() => parseSize("9000P"), /too large/);
  assert.equal(tryParseSize("20X"), null);
  assert.equal(tryParseSize(null), null);
  assert.equal(tryParseSize("1K"), 1024);
});

test("formatSizeHuman matches PVC's display; formatSizeExact round-trips", () => {
  assert.equal(formatSizeHuman(1073741824), "1024M");
  assert.equal(formatSizeHuman(20 * 1024 ** 3), "20G");
  assert.equal(formatSizeHuman(1000), "1000B");
  assert.equal(formatSizeHuman(10 * 1024 ** 4), "10T");
  assert.equal(formatSizeHuman(9 * 1024 ** 4), "9216G");
  for (const bytes of [512, 4096, 20 * 1024 ** 3, 1536 * 1024 ** 2, 1024 ** 5]) {
    assert.equal(parseSize(formatSizeExact(bytes)), bytes);
  }
  assert.equal(formatSizeExact(20 * 1024 ** 3), "20G");
  assert.equal(formatSizeExact(1536 * 1024 ** 2), "1536M");
  assert.equal(formatSizeExact(1000), "1000B");
});
