/**
 * The one way user YAML is read: request bodies of the declarative API, manifests of
 * `pvcctl apply|diff|delete -f` and of the GitOps folder, the folder's `.pvc-gitops.yaml`, the
 * server's config file and the CLI's context file.
 *
 * Why: YAML aliases make a DAG of one value. Nine levels of ten `*a` are 585 bytes that load in
 * milliseconds as shared references, but stand for 10^9 nodes, and everything downstream (schema
 * validation, an error message quoting the value, JSON for the store) walks the expanded tree: 41 s
 * and 1.5 GB for one request. An alias to a node that contains it makes a cycle, which those walks
 * never finish. So before any value is built, every document's aliases are costed and refused
 * past a budget, and aliases into their own node are refused.
 *
 * Why js-yaml and not the `yaml` package (whose `maxAliasCount` does this): js-yaml 5's
 * `maxAliases` only counts alias nodes (ninety aliases are the bomb above), but its `parseEvents`
 * gives the whole event stream first, where the cost of each anchored node, aliases within
 * included, is one linear pass; `constructFromEvents` then builds from the same events, and
 * yaml-positions.ts maps fields to lines from them too, so the text is parsed once. Keeping js-yaml
 * also keeps every error message and the file:line positions `pvcctl apply` and the GitOps status
 * print, and YAML 1.1 (as PyYAML) for PVC's own config file, unchanged; refusals here are
 * YAMLExceptions with a mark, so each caller reports them as it reports bad syntax.
 */
import { constructFromEvents, EVENT_ID, type Event, parseEvents, type Schema, YAMLException } from "js-yaml";

/**
 * How much one document may repeat through aliases, in expanded characters: each node costs 1
 * plus its scalar's source length. Real manifests alias a block of labels or an ACL list a few
 * times (a few KB); the bomb above is 10^9.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

export interface UserYamlOptions {
  /** Named in error messages. */
  filename?: string;
  /** Default js-yaml's CORE_SCHEMA (YAML 1.2). */
  schema?: Schema;
}

export interface ParsedYaml {
  /** Every document of the stream, in order (an empty one is null). */
  documents: unknown[];
  /** The parser's events, for source positions (yaml-positions.ts). */
  events: Event[];
}

/** Every document of `text`. Throws YAMLException on bad syntax and on an alias bomb or cycle. */
export function parseUserYaml(text: string, options: UserYamlOptions = {}): ParsedYaml {
  const filename = options.filename ?? "";
  const events = parseEvents(text, { filename });
  checkAliases(text, events, filename);
  const documents = constructFromEvents(events, {
    source: text,
    filename,
    ...(options.schema ? { schema: options.schema } : {}),
  });
  return { documents, events };
}

/** Exactly one document, as js-yaml's `load` (an empty input, or two documents, is an error). */
export function loadUserYaml(text: string, options: UserYamlOptions = {}): unknown {
  const { documents } = parseUserYaml(text, options);
  if (documents.length === 0) throw new YAMLException("expected a document, but the input is empty");
  if (documents.length > 1)
    throw new YAMLException("expected a single document in the stream, but found more");
  return documents[0];
}

/** An anchored collection still being read: an alias to it would be a value containing itself. */
const OPEN = -1;

interface Frame {
  /** Expanded cost so far: 1 for the node, plus its children's. */
  cost: number;
  anchor?: string;
}

/**
 * One pass over the events: the expanded cost of each anchored node (aliases within it included),
 * added up at every alias. Cross-document and unknown aliases are left to the constructor, which
 * reports them ("unidentified alias").
 */
function checkAliases(source: string, events: readonly Event[], filename: string): void {
  const frames: Frame[] = [];
  let anchors = new Map<string, number>();
  let expanded = 0;
  const addToParent = (cost: number) => {
    const top = frames.at(-1);
    if (top) top.cost += cost;
  };
  const anchorOf = (ev: { anchorStart: number; anchorEnd: number }) =>
    ev.anchorStart >= 0 ? source.slice(ev.anchorStart, ev.anchorEnd) : undefined;
  const refuse = (at: number, message: string): never =>
    YAMLException.throwAt(source, at, message, filename || undefined);

  for (const ev of events) {
    switch (ev.type) {
      case EVENT_ID.DOCUMENT:
        // Anchors and the budget are per document.
        anchors = new Map();
        expanded = 0;
        frames.length = 0;
        frames.push({ cost: 0 });
        break;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING: {
        const anchor = anchorOf(ev);
        if (anchor !== undefined) anchors.set(anchor, OPEN);
        frames.push({ cost: 1, anchor });
        break;
      }
      case EVENT_ID.SCALAR: {
        const cost = 1 + Math.max(0, ev.valueEnd - ev.valueStart);
        const anchor = anchorOf(ev);
        if (anchor !== undefined) anchors.set(anchor, cost);
        addToParent(cost);
        break;
      }
      case EVENT_ID.ALIAS: {
        const name = source.slice(ev.anchorStart, ev.anchorEnd);
        const cost = anchors.get(name);
        if (cost === undefined) {
          addToParent(1);
          break;
        }
        if (cost === OPEN) {
          refuse(
            ev.anchorStart - 1,
            `alias *${name} is inside the node it names: a value cannot contain itself`,
          );
        }
        expanded += cost;
        if (expanded > MAX_ALIAS_EXPANSION) {
          refuse(
            ev.anchorStart - 1,
            `aliases expand this document past the limit of ${MAX_ALIAS_EXPANSION} characters (at *${name}); write the repeated values out instead`,
          );
        }
        addToParent(cost);
        break;
      }
      case EVENT_ID.POP: {
        const frame = frames.pop();
        if (!frame) break;
        if (frame.anchor !== undefined) anchors.set(frame.anchor, frame.cost);
        addToParent(frame.cost);
        break;
      }
    }
  }
}
