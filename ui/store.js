// The page's state, kept from the stream's lines (api/ui/stream.ts), and the rules that turn an
// object's conditions into one state word and that filter the list.

const MAX_EVENTS = 200;

export class Store {
  constructor() {
    this.reset({ kinds: [] });
  }

  reset(hello) {
    this.kinds = hello.kinds;
    this.apiPath = hello.apiPath;
    this.auth = hello.auth === true;
    this.kindRank = new Map(hello.kinds.map((k, i) => [k.kind, i]));
    this.objects = new Map();
    this.sorted = undefined;
    this.events = [];
    this.drift = [];
    this.synced = false;
    /** What changed since the page last drew: "objects", "members", kinds, "events", "drift". */
    this.dirty = new Set(["objects", "members", "events", "drift"]);
  }

  /** Applies one line of the stream; returns whether the page must start over (HELLO). */
  apply(line) {
    switch (line.type) {
      case "HELLO":
        this.reset(line);
        return true;
      case "ADDED":
      case "MODIFIED": {
        const key = keyOf(line.object);
        if (!this.objects.has(key)) this.#members();
        this.objects.set(key, line.object);
        this.#touched(line.object.kind);
        return false;
      }
      case "DELETED":
        if (this.objects.delete(keyOf(line.object))) this.#members();
        this.#touched(line.object.kind);
        return false;
      case "SYNCED":
        this.synced = true;
        this.dirty.add("objects");
        return false;
      case "EVENT":
        this.events.push(line.event);
        if (this.events.length > MAX_EVENTS) this.events.shift();
        this.dirty.add("events");
        return false;
      case "DRIFT":
        this.drift = line.series;
        this.dirty.add("drift");
        return false;
      default:
        return false;
    }
  }

  #members() {
    this.sorted = undefined;
    this.dirty.add("members");
  }

  #touched(kind) {
    this.dirty.add("objects");
    this.dirty.add(kind);
  }

  /** Every object in the list's order: kind (the registry's order), then name. */
  ordered() {
    if (!this.sorted) {
      const rank = (s) => this.kindRank.get(s.kind) ?? 999;
      this.sorted = [...this.objects.values()].sort(
        (a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
      );
    }
    // Objects were replaced in the map by newer summaries: read them back by key.
    return this.sorted.map((s) => this.objects.get(keyOf(s)) ?? s);
  }

  ofKind(kind) {
    return [...this.objects.values()]
      .filter((s) => s.kind === kind)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  pluralOf(kind) {
    return this.kinds.find((k) => k.kind === kind)?.plural;
  }
}

export const keyOf = (s) => `${s.kind}/${s.name}`;

const cond = (s, type) => s.conditions.find((c) => c.type === type);
const isTrue = (s, type) => cond(s, type)?.status === "True";

/** The one word for an object's state, and the condition that says why. */
export function headline(s) {
  if (s.deleting) return { state: "Deleting", why: cond(s, "DeletionBlocked") ?? cond(s, "Ready") };
  if (isTrue(s, "Stalled")) return { state: "Stalled", why: cond(s, "Stalled") };
  if (isTrue(s, "Drifted")) return { state: "Drifted", why: cond(s, "Drifted") };
  if (isTrue(s, "Reconciling")) return { state: "Reconciling", why: cond(s, "Reconciling") };
  const ready = cond(s, "Ready");
  if (!ready) return { state: "None", why: undefined };
  if (ready.status === "True" && s.observedGeneration !== undefined && s.observedGeneration !== s.generation)
    return {
      state: "Reconciling",
      why: { reason: "Pending", message: `generation ${s.generation} not yet observed` },
    };
  return { state: ready.status === "True" ? "Ready" : "NotReady", why: ready };
}

/** Whether `s` is in the condition filter's set. */
function inCondition(s, wanted) {
  if (!wanted) return true;
  const { state } = headline(s);
  if (wanted === "Drifted") return isTrue(s, "Drifted");
  if (wanted === "Stalled") return isTrue(s, "Stalled");
  if (wanted === "Reconciling") return state === "Reconciling";
  if (wanted === "NotReady") return cond(s, "Ready") !== undefined && state !== "Ready";
  return state === wanted;
}

/** An equality-based label selector (`a=b,c!=d,e` — `e`: the label is there, `!e`: it is not). */
export function parseSelector(text) {
  const terms = [];
  for (const raw of text.split(",")) {
    const part = raw.trim();
    if (!part) continue;
    const m = /^(!?)([A-Za-z0-9_./-]+)\s*(?:(!=|==|=)\s*([A-Za-z0-9_.-]*))?$/.exec(part);
    if (!m || (m[1] && m[3]))
      throw new Error(`"${part}" is not a label selector term (key=value, key!=value, key, !key)`);
    terms.push({ not: m[1] === "!", key: m[2], op: m[3] === "==" ? "=" : m[3], value: m[4] ?? "" });
  }
  return terms;
}

function labelsMatch(labels, terms) {
  for (const t of terms) {
    const has = Object.hasOwn(labels, t.key);
    if (t.op === "=" && labels[t.key] !== t.value) return false;
    if (t.op === "!=" && has && labels[t.key] === t.value) return false;
    if (!t.op && has === t.not) return false;
  }
  return true;
}

/** The filter as a predicate: kind, condition, label selector terms, part of the name. */
export function filterOf({ kind, condition, selector, name }) {
  const needle = name.trim().toLowerCase();
  return (s) =>
    (!kind || s.kind === kind) &&
    inCondition(s, condition) &&
    (selector.length === 0 || labelsMatch(s.labels, selector)) &&
    (!needle || s.name.toLowerCase().includes(needle));
}
