/**
 * Kubernetes label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
 * joined by commas (all must hold). Parsed once, matched many times.
 */
import { ErrorCodes, PvcError } from "../errors.ts";

export type Requirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

export type LabelSelector = Requirement[];

const KEY = /^([A-Za-z0-9][-A-Za-z0-9_.]*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function bad(selector: string, why: string): PvcError {
  return new PvcError(ErrorCodes.VALIDATION_FAILED, `labelSelector ${JSON.stringify(selector)}: ${why}`, {
    details: { fields: [{ pointer: "/labelSelector", value: selector, message: why }] },
  });
}

/** Splits on commas that are not inside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

export function parseLabelSelector(selector: string | undefined): LabelSelector {
  if (!selector || selector.trim() === "") return [];
  const out: LabelSelector = [];
  for (const part of splitTop(selector)) out.push(parseRequirement(selector, part));
  return out;
}

function parseRequirement(selector: string, part: string): Requirement {
  const set = part.match(/^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/);
  if (set) {
    const values = set[3]
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "");
    checkKey(selector, set[1]);
    for (const v of values) checkValue(selector, v);
    return { key: set[1], op: set[2] as "in" | "notin", values };
  }
  const equality = part.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/);
  if (equality) {
    checkKey(selector, equality[1]);
    checkValue(selector, equality[3]);
    return { key: equality[1], op: equality[2] === "!=" ? "!=" : "=", value: equality[3] };
  }
  const absent = part.match(/^!\s*(\S+)$/);
  if (absent) {
    checkKey(selector, absent[1]);
    return { key: absent[1], op: "!exists" };
  }
  if (/^\S+$/.test(part)) {
    checkKey(selector, part);
    return { key: part, op: "exists" };
  }
  throw bad(selector, `cannot parse requirement ${JSON.stringify(part)}`);
}

function checkKey(selector: string, key: string): void {
  if (!KEY.test(key)) throw bad(selector, `invalid label key ${JSON.stringify(key)}`);
}
function checkValue(selector: string, value: string): void {
  if (!VALUE.test(value)) throw bad(selector, `invalid label value ${JSON.stringify(value)}`);
}

export function matchesSelector(
  labels: Record<string, string> | undefined,
  selector: LabelSelector,
): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case "=":
        return has && l[r.key] === r.value;
      case "!=":
        return !has || l[r.key] !== r.value;
      case "in":
        return has && r.values.includes(l[r.key]);
      case "notin":
        return !has || !r.values.includes(l[r.key]);
      case "exists":
        return has;
      default:
        return !has; // "!exists"
    }
  });
}
