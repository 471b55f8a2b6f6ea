// A small YAML writer for showing one object (JSON data only: objects, arrays, strings, numbers,
// booleans, null). Strings that could read as something else are double-quoted (JSON's quoting is
// valid YAML); multi-line strings are block literals.

const PLAIN = /^[A-Za-z_/][A-Za-z0-9 _./@:+=,()-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const s = String(value);
  if (
    PLAIN.test(s) &&
    !RESERVED.test(s) &&
    !s.endsWith(" ") &&
    !s.endsWith(":") &&
    !s.includes(": ") &&
    !s.includes(" #")
  )
    return s;
  return JSON.stringify(s);
}

function block(s, pad) {
  const chomp = s.endsWith("\n") ? "" : "-";
  const body = s
    .replace(/\n$/, "")
    .split("\n")
    .map((line) => (line ? pad + line : ""))
    .join("\n");
  return `|${chomp}\n${body}`;
}

function isEmpty(value) {
  return (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0);
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function inline(value, pad) {
  if (Array.isArray(value)) return value.length === 0 ? "[]" : null;
  if (isObject(value)) return Object.keys(value).length === 0 ? "{}" : null;
  if (typeof value === "string" && value.includes("\n")) return block(value, pad);
  return scalar(value);
}

/** `value` as YAML text, `depth` levels in. */
export function toYaml(value, depth = 0) {
  const pad = "  ".repeat(depth);
  const simple = inline(value, pad);
  if (simple !== null) return `${pad}${simple}\n`;
  let out = "";
  if (Array.isArray(value)) {
    for (const item of value) {
      const one = inline(item, `${pad}  `);
      if (one !== null) out += `${pad}- ${one}\n`;
      else out += `${pad}- ${toYaml(item, depth + 1).slice(pad.length + 2)}`;
    }
    return out;
  }
  for (const [key, item] of Object.entries(value)) {
    const k = scalar(key);
    const one = inline(item, `${pad}  `);
    if (one !== null) out += `${pad}${k}: ${one}\n`;
    else out += `${pad}${k}:\n${toYaml(item, isEmpty(item) ? depth : depth + 1)}`;
  }
  return out;
}
