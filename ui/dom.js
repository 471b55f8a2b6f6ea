// Building DOM without innerHTML: every value from the server goes in as text.

/** `h("td", {class: "x"}, "text", child)`: an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key === "className" ? "class" : key, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces `el`'s children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** `12 s ago`, `3 min ago`, `2 h ago` for an epoch-milliseconds time. */
export function ago(ms, now = Date.now()) {
  if (!Number.isFinite(ms)) return "—";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A badge for a state word (its colour from the CSS class, its meaning from the text). */
export function badge(state, label = STATE_LABELS[state] ?? state) {
  return h("span", { class: `badge s-${state}` }, label);
}

export const STATE_LABELS = {
  Ready: "Ready",
  NotReady: "Not ready",
  Reconciling: "Reconciling",
  Stalled: "Stalled",
  Drifted: "Drifted",
  Deleting: "Deleting",
  None: "—",
};
