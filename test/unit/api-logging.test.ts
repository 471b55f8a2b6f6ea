/**
 * The log's two formats (issue 13: `pvcctl up` printed raw JSON on a terminal): pretty is one
 * readable line per event with the fields after the message, never JSON, and redacts as JSON does;
 * the default format follows the stream (a terminal gets pretty lines).
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLogger, defaultLogFormat, REDACTED } from "../../api/logging.ts";

function sink(): { stream: Writable; text: () => string } {
  let out = "";
  const stream = new Writable({
    write(chunk, _e, done) {
      out += String(chunk);
      done();
    },
  });
  return { stream, text: () => out };
}

const SECRET = "pretty-secret-token-1234";

test("pretty: one readable line per event, fields after the message, secrets redacted", () => {
  const { stream, text } = sink();
  const log = createLogger({ level: "debug", destination: stream, format: "pretty", color: false });
  log.info({ vni: 100 }, "network converged");
  log.debug({ req: { headers: { "x-api-key": SECRET } } }, "with a header");
  log.warn({ config: { api: { auth: { secretKey: SECRET } } } }, "config");
  const lines = text().trimEnd().split("\n");
  assert.equal(lines.length, 3, text());
  assert.match(lines[0], /^\[?\d\d:\d\d:\d\d\.\d{3}\]? INFO: network converged \{"vni":100\}$/);
  assert.match(lines[1], /DEBUG: with a header/);
  assert.match(lines[2], /WARN: config/);
  for (const l of lines) assert.throws(() => JSON.parse(l), "not a JSON line");
  assert.ok(!text().includes(SECRET), text());
  assert.ok(text().includes(REDACTED));
});

test("the level filters in the pretty format too", () => {
  const { stream, text } = sink();
  const log = createLogger({ level: "warn", destination: stream, format: "pretty", color: false });
  log.info("quiet");
  log.error("loud");
  assert.doesNotMatch(text(), /quiet/);
  assert.match(text(), /ERROR: loud/);
});

test("json stays the default format of createLogger; a terminal gets pretty lines by default", () => {
  const { stream, text } = sink();
  createLogger({ level: "info", destination: stream }).info({ a: 1 }, "m");
  assert.equal(JSON.parse(text()).msg, "m");
  assert.equal(defaultLogFormat({ isTTY: true }), "pretty");
  assert.equal(defaultLogFormat({ isTTY: false }), "json");
  assert.equal(defaultLogFormat({}), "json");
});
