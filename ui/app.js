// The status page: one live stream (stream.js) into the store (store.js), drawn once per frame at
// most. `window.pvcStatus` holds the page's own timings (first render, last filter), which the
// bench (bench/ui-load.ts) reads.
import { Detail } from "./detail.js";
import { badge, fill, h, STATE_LABELS } from "./dom.js";
import { VirtualList } from "./list.js";
import { drawByKind, drawDrift, drawEvents, drawGitops, drawNodes } from "./panels.js";
import { filterOf, headline, keyOf, parseSelector, Store } from "./store.js";
import { connect } from "./stream.js";

const ROW_HEIGHT = 36;
const $ = (id) => document.getElementById(id);

const metrics = { firstRenderMs: undefined, lastFilterMs: undefined, rows: 0, objects: 0 };
window.pvcStatus = metrics;

const store = new Store();
const filter = { kind: "", condition: "", selector: [], name: "" };
let filterStarted;

// Rows keep their elements and change only their text: a row redrawn under the pointer (its
// object changed) must still take the click.
function drawRow(el, s) {
  if (el.drawn === s) return;
  el.drawn = s;
  if (!el.firstChild) {
    el.append(badge("None"), ...["kind", "name", "reason", "msg"].map((c) => h("span", { class: c })));
  }
  const { state, why } = headline(s);
  const [state_, kind, name, reason, msg] = el.children;
  state_.className = `badge s-${state}`;
  state_.textContent = STATE_LABELS[state];
  kind.textContent = s.kind;
  name.textContent = s.name;
  name.dataset.kind = s.kind;
  reason.textContent = why?.reason ?? "";
  msg.textContent = why?.message ?? "";
  el.setAttribute(
    "aria-label",
    `${s.kind} ${s.name}: ${STATE_LABELS[state]}${why?.reason ? `, ${why.reason}` : ""}`,
  );
}

const detail = new Detail($("detail"), store);
const list = new VirtualList($("list"), {
  rowHeight: ROW_HEIGHT,
  keyOf,
  drawRow,
  onOpen: (s) => detail.show(s),
});

function openObject(kind, name) {
  const key = `${kind}/${name}`;
  const index = list.items.findIndex((s) => keyOf(s) === key);
  if (index >= 0) {
    list.open(index);
    list.root.focus();
  } else if (store.objects.has(key)) detail.show(store.objects.get(key));
}

function kindOptions() {
  const select = $("f-kind");
  const counts = new Map();
  for (const s of store.objects.values()) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
  fill(
    select,
    h("option", { value: "" }, `All kinds (${store.objects.size})`),
    store.kinds.map((k) => h("option", { value: k.kind }, `${k.kind} (${counts.get(k.kind) ?? 0})`)),
  );
  select.value = filter.kind;
}

function refilter() {
  const items = store.ordered().filter(filterOf(filter));
  list.setItems(items);
  $("list-empty").hidden = items.length > 0;
  $("res-count").textContent = `(${items.length} of ${store.objects.size})`;
  metrics.rows = items.length;
  metrics.objects = store.objects.size;
}

let frame = 0;
function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

function render() {
  frame = 0;
  const dirty = store.dirty;
  store.dirty = new Set();
  if (dirty.has("events")) drawEvents($("events"), store.events, openObject);
  if (dirty.has("drift")) drawDrift($("drift"), store.drift);
  if (!store.synced) {
    $("res-count").textContent = `(loading… ${store.objects.size})`;
    for (const d of dirty) if (d !== "events" && d !== "drift") store.dirty.add(d);
    return;
  }
  const now = Date.now();
  if (dirty.has("members")) kindOptions();
  if (dirty.has("objects") || dirty.has("members") || dirty.has("filter")) refilter();
  if (dirty.has("objects") || dirty.has("members")) drawByKind($("by-kind"), store, pickKind);
  if (dirty.has("Node") || dirty.has("VirtualMachine") || dirty.has("members") || dirty.has("clock"))
    drawNodes($("nodes"), store.ofKind("Node"), now, vmNames());
  if (dirty.has("GitOpsSync") || dirty.has("members") || dirty.has("clock"))
    drawGitops($("gitops"), store.ofKind("GitOpsSync"), now);
  if (detail.key && dirty.has("objects")) detail.refresh(store.objects.get(detail.key));
  if (filterStarted !== undefined) {
    metrics.lastFilterMs = performance.now() - filterStarted;
    filterStarted = undefined;
  }
  if (metrics.firstRenderMs === undefined) {
    metrics.firstRenderMs = performance.now();
    document.body.dataset.ready = "true";
  }
}

/** uuid → name of every VirtualMachine (the nodes panel names its running domains with it). */
function vmNames() {
  const names = new Map();
  // One pass, unsorted: at 10,000 objects this runs on every nodes redraw (keepalives, the clock).
  for (const s of store.objects.values())
    if (s.kind === "VirtualMachine" && s.fields.uuid) names.set(s.fields.uuid, s.name);
  return names;
}

function pickKind(kind) {
  filter.kind = kind;
  $("f-kind").value = kind;
  filterChanged();
}

function filterChanged() {
  filterStarted = performance.now();
  store.dirty.add("filter");
  schedule();
}

function readFilters() {
  filter.kind = $("f-kind").value;
  filter.condition = $("f-cond").value;
  filter.name = $("f-name").value;
  try {
    filter.selector = parseSelector($("f-label").value);
    $("f-error").textContent = "";
    $("f-label").removeAttribute("aria-invalid");
  } catch (err) {
    $("f-error").textContent = err.message;
    $("f-label").setAttribute("aria-invalid", "true");
  }
  filterChanged();
}

$("filters").addEventListener("input", readFilters);
$("filters").addEventListener("submit", (e) => e.preventDefault());

const CONNECTION = { connecting: "Connecting…", live: "Live", lost: "Connection lost: reconnecting…" };
connect("/ui/stream", {
  onState: (state) => {
    $("conn").textContent = state === "live" && !store.synced ? "Loading…" : CONNECTION[state];
    $("conn").dataset.state = state;
  },
  onLines: (lines) => {
    for (const line of lines) {
      if (store.apply(line)) $("logout").hidden = !store.auth;
      if (line.type === "SYNCED") $("conn").textContent = "Live";
    }
    schedule();
  },
});

// Ages ("12 s ago") move on with the clock; nothing is fetched.
setInterval(() => {
  store.dirty.add("clock");
  schedule();
}, 5000);
