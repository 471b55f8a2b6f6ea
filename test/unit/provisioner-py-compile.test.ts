import assert from "node:assert/strict";
import { test } from "node:test";
import { isPvcError } from "../../src/errors.ts";
import { checkPythonSyntax, describeCompileError } from "../../src/provisioner/py-compile.ts";

test("a script that compiles passes; one that does not names the line and Python's error", async () => {
  await checkPythonSyntax("def install(**kwargs):\n    return kwargs\n");
  await assert.rejects(checkPythonSyntax("def install(**kwargs):\n    x = (\n"), (err) => {
    assert.ok(isPvcError(err, "VALIDATION_FAILED"));
    assert.match(
      err.message,
      /^\/spec\/data: is not valid Python 3 \(line 2: SyntaxError: '\(' was never closed\)/,
    );
    return true;
  });
});

test("a text that looks like shell or options is only ever a file's content", async () => {
  await assert.rejects(checkPythonSyntax("$(touch /tmp/pwned) --help; rm -rf /\n"), (err) =>
    isPvcError(err, "VALIDATION_FAILED"),
  );
});

test("no python3: TOOL_MISSING naming it; too slow: refused within the bound", async () => {
  await assert.rejects(checkPythonSyntax("pass\n", 10_000, "python3-not-installed-here"), (err) => {
    assert.ok(isPvcError(err, "TOOL_MISSING"));
    assert.match(err.message, /python3-not-installed-here is not installed on the server/);
    return true;
  });
  await assert.rejects(checkPythonSyntax("pass\n", 1), (err) => {
    assert.ok(isPvcError(err, "VALIDATION_FAILED"));
    assert.match(err.message, /did not finish within 1 ms/);
    return true;
  });
});

test("describeCompileError keeps the error line and the line number, not the temporary path", () => {
  const stderr =
    "  File \"/tmp/pvc-script-x/script.py\", line 3\n    if True\n           ^\nSyntaxError: expected ':'\n";
  assert.equal(describeCompileError(stderr), "line 3: SyntaxError: expected ':'");
});

test("a text that compiled is not compiled again (apply tries a create first on every sync)", async () => {
  const text = "def install(**kwargs):\n    return 42\n";
  await checkPythonSyntax(text);
  // The same text again: answered from memory, so even a 1 ms bound cannot time it out.
  await checkPythonSyntax(text, 1);
  await assert.rejects(checkPythonSyntax(`${text}# changed\n`, 1), /did not finish within 1 ms/);
});
