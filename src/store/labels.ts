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
  for (const part of splitTop(selector)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const values = m[3]
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== "");
      checkKey(selector, m[1]);
      for (const v of values) checkValue(selector, v);
      out.push({ key: m[1], op: m[2] as "in" | "notin", values });
    } else if ((m = part.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      checkKey(selector, m[1]);
      checkValue(selector, m[3]);
      out.push({ key: m[1], op: m[2] === "!=" ? "!=" : "=", value: m[3] });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      checkKey(selector, m[1]);
      out.push({ key: m[1], op: "!exists" });
    } else if ((m = part.match(/^(\S+)$/))) {
      checkKey(selector, m[1]);
      out.push({ key: m[1], op: "exists" });
    } else {
      throw bad(selector, `cannot parse requirement ${JSON.stringify(part)}`);
    }
  }
  return out;
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
      case "!exists":
        return !has;
    }
  });
}
