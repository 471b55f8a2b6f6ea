/**
 * Where each value of a YAML stream was written: per document, JSON pointer → source offset, so
 * that a validation error can name the line of the field (`/spec/ipv4/gateway` → line 21). Built
 * from js-yaml's event stream (the parser reports offsets; the loaded objects do not carry them).
 * A mapping entry points at its key (the line a person looks for); a sequence item at its first
 * character. The events come from the one safe parse (src/resources/yaml.ts), so the text is
 * parsed once for values and positions.
 */
import { EVENT_ID, type Event, getScalarValue } from "js-yaml";
import { parseUserYaml } from "../resources/yaml.ts";

function escapeSegment(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

interface Frame {
  kind: "map" | "seq";
  pointer: string;
  /** For a mapping: the next node is a key. */
  expectKey: boolean;
  /** For a mapping: the key whose value comes next (undefined for a complex key). */
  key?: string;
  /** For a sequence: the index of the next item. */
  index: number;
}

export interface DocumentPositions {
  /** Offset of the document's first node (-1 for an empty document). */
  start: number;
  /** JSON pointer → offset. */
  offsets: Map<string, number>;
}

/** Positions of every document of `source`, in order (empty documents included). Throws on bad YAML. */
export function yamlPositions(source: string, filename?: string): DocumentPositions[] {
  return positionsFromEvents(source, parseUserYaml(source, { filename }).events);
}

/** Positions of every document, from the parser's events of `source`. */
export function positionsFromEvents(source: string, events: readonly Event[]): DocumentPositions[] {
  const docs: DocumentPositions[] = [];
  let current: DocumentPositions | undefined;
  const stack: Frame[] = [];

  const nodeStart = (ev: Event): number => {
    if (ev.type === EVENT_ID.SCALAR) return ev.valueStart;
    if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) return ev.start;
    if (ev.type === EVENT_ID.ALIAS) return ev.anchorStart;
    return -1;
  };

  /** The pointer of the node starting now, or undefined for a mapping key. */
  const place = (ev: Event): string | undefined => {
    const top = stack.at(-1);
    if (!top) return "";
    if (top.kind === "seq") return `${top.pointer}/${top.index++}`;
    if (top.expectKey) {
      top.expectKey = false;
      top.key = ev.type === EVENT_ID.SCALAR ? getScalarValue(source, ev) : undefined;
      if (top.key !== undefined && current) {
        const at = `${top.pointer}/${escapeSegment(top.key)}`;
        if (!current.offsets.has(at) && ev.type === EVENT_ID.SCALAR) current.offsets.set(at, ev.valueStart);
      }
      return undefined;
    }
    top.expectKey = true;
    return top.key === undefined
      ? `${top.pointer}/\u0000complex`
      : `${top.pointer}/${escapeSegment(top.key)}`;
  };

  for (const ev of events) {
    switch (ev.type) {
      case EVENT_ID.DOCUMENT:
        current = { start: -1, offsets: new Map() };
        docs.push(current);
        stack.length = 0;
        break;
      case EVENT_ID.POP:
        stack.pop();
        break;
      default: {
        const at = place(ev);
        const offset = nodeStart(ev);
        if (current && stack.length === 0 && current.start < 0) current.start = offset;
        if (at !== undefined && current && offset >= 0 && !current.offsets.has(at)) {
          current.offsets.set(at, offset);
        }
        if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
          stack.push({
            kind: ev.type === EVENT_ID.MAPPING ? "map" : "seq",
            // A collection used as a mapping key gets a pointer nobody asks for.
            pointer: at ?? "\u0000key",
            expectKey: true,
            index: 0,
          });
        }
      }
    }
  }
  return docs;
}

/** 1-based line numbers of offsets in a text. */
export class LineIndex {
  readonly #starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#starts.push(i + 1);
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** The offset of `pointer`, or of its nearest ancestor that was written (a missing field → its parent). */
export function offsetOf(doc: DocumentPositions, pointer: string): number | undefined {
  for (let at = pointer; ; at = at.slice(0, at.lastIndexOf("/"))) {
    const offset = doc.offsets.get(at);
    if (offset !== undefined && offset >= 0) return offset;
    if (at === "") return doc.start >= 0 ? doc.start : undefined;
  }
}
