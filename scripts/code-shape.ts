/**
 * Measures the shape rules of issue 13, for `test/unit/code-shape.test.ts` and for people
 * (`npx tsx scripts/code-shape.ts` prints every finding):
 * - no file in controllers/, api/ or src/ over 500 lines;
 * - no function in controllers/ or api/ over 80 lines;
 * - no `as unknown as` in controllers/ or api/ (typed informers and reads instead);
 * - no /api/v1 handler that touches ZooKeeper or Ceph, builds a client, reaches into controllers/,
 *   or decides on a verdict's message text.
 *
 * How functions are measured: a scanner that skips comments, strings, template literals and regex
 * literals finds each `{` that opens a function body (after `function name(...)`, a method head
 * `name(...) {`, or `=> {`) and its matching `}`; the length is the lines from the head's line to
 * the closing brace, inclusive. Nested functions count within their parent too (as in most
 * linters): a long factory closure is one long function.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export const MAX_FILE_LINES = 500;
export const MAX_FUNCTION_LINES = 80;

export interface Finding {
  file: string;
  line: number;
  what: string;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (path.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The source with comments, strings, templates and regex literals blanked (same length and lines). */
export function codeOnly(src: string): string {
  const out = src.split("");
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  let lastSignificant = "";
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === "/" && next === "/") {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end;
      blank(i, stop);
      i = stop;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      blank(i, stop);
      i = stop;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      let k = i + 1;
      let depth = 0; // ${ } nesting inside a template: skipped whole, it cannot open a function body we measure
      while (k < src.length) {
        if (src[k] === "\\") {
          k += 2;
          continue;
        }
        if (c === "`" && src[k] === "$" && src[k + 1] === "{") depth++;
        else if (c === "`" && depth > 0 && src[k] === "}") depth--;
        else if (src[k] === c && depth === 0) break;
        k++;
      }
      blank(i + 1, k);
      i = k + 1;
      lastSignificant = c;
      continue;
    }
    if (c === "/" && /[(,=:[!&|?{};]|^$|return/.test(lastSignificant)) {
      // A regex literal: up to the closing unescaped slash outside a class.
      let k = i + 1;
      let inClass = false;
      while (k < src.length && src[k] !== "\n") {
        if (src[k] === "\\") {
          k += 2;
          continue;
        }
        if (src[k] === "[") inClass = true;
        else if (src[k] === "]") inClass = false;
        else if (src[k] === "/" && !inClass) break;
        k++;
      }
      blank(i + 1, k);
      i = k + 1;
      lastSignificant = "/";
      continue;
    }
    if (!/\s/.test(c)) {
      // Keep the last token-ish thing: one char, or "return" when a word ends in it.
      lastSignificant = /[A-Za-z_$]/.test(c) ? (src.slice(i - 5, i + 1) === "return" ? "return" : "w") : c;
    }
    i++;
  }
  return out.join("");
}

const FUNCTION_HEAD =
  /(?:\bfunction\b[^{;]*\)\s*(?::[^{;=]+)?$)|(?:=>\s*$)|(?:^\s*(?:(?:public|private|protected|static|async|get|set|readonly)\s+)*#?[A-Za-z_$][\w$]*\s*(?:<[^>]*>)?\s*\([^;]*\)\s*(?::[^{;=]+)?$)/;

/** The part of `text` after its last comma outside brackets (an object literal's previous member). */
function lastClause(text: string): string {
  let depth = 0;
  for (let k = text.length - 1; k >= 0; k--) {
    const c = text[k];
    if (c === ")" || c === "]" || c === ">") depth++;
    else if (c === "(" || c === "[" || c === "<") depth--;
    else if (c === "," && depth === 0) return text.slice(k + 1);
  }
  return text;
}

/** Functions longer than `max` lines in one file's source. */
export function longFunctions(src: string, max = MAX_FUNCTION_LINES): Array<{ line: number; lines: number }> {
  const code = codeOnly(src);
  const lineOf = (index: number) => code.slice(0, index).split("\n").length;
  const stack: Array<{ fn: boolean; line: number }> = [];
  const found: Array<{ line: number; lines: number }> = [];
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === "{") {
      const before = code.slice(
        Math.max(
          0,
          code.lastIndexOf(";", i) + 1,
          code.lastIndexOf("}", i) + 1,
          code.lastIndexOf("{", i - 1) + 1,
        ),
        i,
      );
      const head = lastClause(before).replace(/\s+/g, " ").trimEnd();
      const fn =
        FUNCTION_HEAD.test(head) && !/^\s*(if|for|while|switch|catch|else|do|try|return)\b/.test(head);
      stack.push({ fn, line: lineOf(i - before.length + (before.length - before.trimStart().length)) });
    } else if (c === "}") {
      const open = stack.pop();
      if (open?.fn) {
        const lines = lineOf(i) - open.line + 1;
        if (lines > max) found.push({ line: open.line, lines });
      }
    }
  }
  return found;
}

/** Every finding of the shape rules under `root` (the repository). */
export function shapeFindings(root: string): Finding[] {
  const findings: Finding[] = [];
  const rel = (p: string) => relative(root, p);
  for (const dir of ["controllers", "api", "src"]) {
    for (const file of walk(join(root, dir))) {
      const src = readFileSync(file, "utf8");
      const lines = src.split("\n").length - (src.endsWith("\n") ? 1 : 0);
      if (lines > MAX_FILE_LINES)
        findings.push({ file: rel(file), line: 1, what: `${lines} lines (max ${MAX_FILE_LINES})` });
      if (dir === "src") continue;
      for (const f of longFunctions(src))
        findings.push({
          file: rel(file),
          line: f.line,
          what: `function of ${f.lines} lines (max ${MAX_FUNCTION_LINES})`,
        });
      src.split("\n").forEach((text, i) => {
        if (text.includes("as unknown as"))
          findings.push({ file: rel(file), line: i + 1, what: "`as unknown as`" });
      });
    }
  }
  for (const file of walk(join(root, "api/v1")))
    findings.push(...facadeFindings(rel(file), readFileSync(file, "utf8")));
  return findings;
}

/** What an /api/v1 facade file must not do (README "How a kind works": facades translate, controllers act). */
export function facadeFindings(file: string, src: string): Finding[] {
  const rules: Array<[RegExp, string]> = [
    [/from "[./]*src\/zk\//, "imports the ZooKeeper client"],
    [/from "[./]*src\/ceph\/(client|run)\.ts"/, "imports the Ceph client"],
    [/from "[./]*controllers\//, "imports a controller"],
    [/from "(execa|node:child_process)"/, "runs processes"],
    [/\.zk\b/, "calls ZooKeeper"],
    [/new CephClient\b/, "builds a Ceph client"],
    [/\bservices\b/, "reads untyped services"],
    [
      /\.message\)|\.message\.(test|match|includes|startsWith)|\/\.test\([^)]*message/,
      "decides on message text",
    ],
  ];
  const findings: Finding[] = [];
  const code = codeOnly(src);
  const lines = src.split("\n");
  code.split("\n").forEach((text, i) => {
    for (const [re, what] of rules) {
      // Import paths are strings (blanked in `code`): check those on the source line.
      const line = re.source.startsWith("from") ? lines[i] : text;
      if (re.test(line)) findings.push({ file, line: i + 1, what });
    }
  });
  return findings;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const findings = shapeFindings(join(import.meta.dirname, ".."));
  for (const f of findings) console.log(`${f.file}:${f.line}: ${f.what}`);
  console.log(`${findings.length} findings`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}
