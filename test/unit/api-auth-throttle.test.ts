/**
 * Counting failed authentications per client (api/auth-throttle.ts), on a clock of the test's own:
 * refused after the limit until the window ends, other clients untouched, memory bounded, and
 * which address counts as which client.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { clientKey, FailureThrottle } from "../../api/auth-throttle.ts";

describe("FailureThrottle", () => {
  test("refused from the limit until the window (from the first failure) ends", () => {
    let now = 0;
    const throttle = new FailureThrottle({ maxFailures: 3, windowMs: 60_000 }, () => now);
    assert.equal(throttle.fail("a"), false);
    now = 10_000;
    assert.equal(throttle.fail("a"), false);
    assert.equal(throttle.retryAfterMs("a"), 0, "below the limit");
    assert.equal(throttle.fail("a"), true, "the third reaches it");
    assert.equal(throttle.retryAfterMs("a"), 50_000);
    assert.equal(throttle.retryAfterMs("b"), 0, "another client");
    now = 59_999;
    assert.equal(throttle.retryAfterMs("a"), 1);
    now = 60_000;
    assert.equal(throttle.retryAfterMs("a"), 0, "the window ended");
    assert.equal(throttle.fail("a"), false, "a new window starts");
  });

  test("failures of an old window do not add up with new ones", () => {
    let now = 0;
    const throttle = new FailureThrottle({ maxFailures: 2, windowMs: 1000 }, () => now);
    throttle.fail("a");
    now = 1000;
    assert.equal(throttle.fail("a"), false);
    assert.equal(throttle.retryAfterMs("a"), 0);
  });

  test("memory is bounded: expired windows go first, then the oldest", () => {
    let now = 0;
    const throttle = new FailureThrottle({ maxFailures: 2, windowMs: 1000, maxClients: 3 }, () => now);
    throttle.fail("old");
    now = 500;
    throttle.fail("x");
    throttle.fail("x");
    throttle.fail("y");
    now = 1200; // "old" has expired
    throttle.fail("z");
    assert.equal(throttle.size, 3);
    assert.ok(throttle.retryAfterMs("x") > 0, "x is still refused");
    throttle.fail("w"); // full of live windows: the oldest (x) is forgotten
    assert.equal(throttle.size, 3);
    assert.equal(throttle.retryAfterMs("x"), 0);
  });
});

describe("clientKey", () => {
  test("IPv4 as is, also IPv4-mapped; IPv6 by its /64", () => {
    assert.equal(clientKey("192.0.2.7"), "192.0.2.7");
    assert.equal(clientKey("::ffff:192.0.2.7"), "192.0.2.7");
    assert.equal(clientKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    assert.equal(clientKey("2001:db8:1:2::99"), "2001:db8:1:2::/64", "the same /64");
    assert.equal(clientKey("2001:0db8:0001:0002::1"), "2001:db8:1:2::/64", "leading zeros");
    assert.equal(clientKey("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(clientKey("::1"), "0:0:0:0::/64");
    assert.equal(clientKey("fe80::1%eth0"), "fe80:0:0:0::/64");
    assert.equal(clientKey("64:ff9b::192.0.2.1"), "64:ff9b:0:0::/64");
  });
});
