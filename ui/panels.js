// The panels around the list: nodes, the GitOps sync, resources by kind, recent events, and the
// drift repairs plot. Each draws from the store's summaries (api/ui/summary.ts).
import { ago, badge, fill, h, svg } from "./dom.js";
import { headline } from "./store.js";

const gib = (mib) => (Number.isFinite(mib) ? `${(mib / 1024).toFixed(1)}` : "?");

/** `numeric`: the columns whose figures are right-aligned, and so are their headers. */
function table(caption, head, rows, numeric = []) {
  return h(
    "table",
    { class: "compact" },
    h("caption", { class: "sr-only" }, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        head.map((c) => h("th", { scope: "col", class: numeric.includes(c) ? "num" : undefined }, c)),
      ),
    ),
    h("tbody", {}, rows),
  );
}

/**
 * A node's running VMs by name: its daemon lists uuids (runningdomains), named here from the
 * VirtualMachines' summaries; a domain no VirtualMachine declares shows its uuid's first part.
 */
function runningVms(n, vmNames) {
  const uuids = n.panel?.running ?? [];
  const total = n.panel?.runningDomains ?? uuids.length;
  if (total === 0) return "0";
  const names = uuids.map((u) => vmNames.get(u) ?? `${u.slice(0, 8)}…`);
  const more = total - uuids.length;
  return h("span", { class: "vms" }, `${total}: ${names.join(", ")}${more > 0 ? ` and ${more} more` : ""}`);
}

/** `vmNames`: uuid → VirtualMachine name. */
export function drawNodes(el, nodes, now, vmNames = new Map()) {
  if (nodes.length === 0) return fill(el, h("p", { class: "muted" }, "No nodes yet."));
  const rows = nodes.map((n) => {
    const f = n.fields;
    const mem = n.panel?.memory;
    return h(
      "tr",
      {},
      h("th", { scope: "row" }, n.name),
      h("td", {}, badge(headline(n).state)),
      h("td", {}, f.daemonState ?? "—"),
      h("td", {}, f.coordinatorState ?? "—"),
      h("td", {}, f.domainState ?? "—"),
      h("td", { class: "num" }, f.cpuLoad ?? "—"),
      h("td", { class: "num" }, mem ? `${gib(mem.usedMiB)} / ${gib(mem.totalMiB)} GiB` : "—"),
      h("td", {}, runningVms(n, vmNames)),
      h("td", {}, Number.isFinite(f.keepalive) ? ago(f.keepalive * 1000, now) : "—"),
    );
  });
  fill(
    el,
    h(
      "div",
      { class: "scroll-x" },
      table(
        "Nodes",
        ["Node", "State", "Daemon", "Coordinator", "Domains", "Load", "Memory", "VMs", "Reported"],
        rows,
        ["Load", "Memory"],
      ),
    ),
  );
}

function syncErrors(sync) {
  const errors = sync.panel?.errors ?? [];
  if (errors.length === 0) return null;
  const more = (sync.panel?.errorCount ?? errors.length) - errors.length;
  return h(
    "div",
    { class: "sync-errors" },
    h("h3", {}, `Errors (${sync.panel?.errorCount ?? errors.length})`),
    h(
      "ul",
      {},
      errors.map((e) =>
        h(
          "li",
          {},
          h("code", {}, `${e.file ?? "(folder)"}${e.line ? `:${e.line}` : ""}`),
          " ",
          e.kind ? `${e.kind}${e.name !== undefined ? ` "${e.name}"` : ""}: ` : "",
          e.field ? h("code", {}, e.field) : "",
          e.field ? " " : "",
          e.message,
        ),
      ),
      more > 0 ? h("li", {}, `…and ${more} more`) : null,
    ),
  );
}

export function drawGitops(el, syncs, now) {
  if (syncs.length === 0) return fill(el, h("p", { class: "muted" }, "No watched folder."));
  fill(
    el,
    syncs.map((s) => {
      const f = s.fields;
      const last = Date.parse(f.lastSyncTime);
      return h(
        "article",
        { class: "sync", "aria-label": `GitOps sync ${s.name}` },
        h("h3", {}, s.name, " ", badge(headline(s).state)),
        h("p", { class: "path" }, h("code", {}, s.panel?.dir ?? "")),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Last sync"),
          h(
            "dd",
            {},
            Number.isFinite(last) ? h("time", { datetime: f.lastSyncTime }, ago(last, now)) : "never",
          ),
          h("dt", {}, "Files"),
          h("dd", {}, f.files ?? 0),
          h("dt", {}, "Objects"),
          h("dd", {}, `${f.objects ?? 0} (owns ${s.panel?.inventory ?? 0})`),
          h("dt", {}, "Applied / pruned"),
          h("dd", {}, `${f.applied ?? 0} / ${f.pruned ?? 0}`),
        ),
        f.pruneBlocked
          ? h("p", { class: "warn", role: "note" }, h("strong", {}, "Prune held back: "), f.pruneBlocked)
          : null,
        syncErrors(s),
      );
    }),
  );
}

/** Per kind: how many objects, and how many in each state; a kind's name filters the list to it. */
export function drawByKind(el, store, onPick) {
  const counts = new Map(
    store.kinds.map((k) => [k.kind, { total: 0, Ready: 0, Reconciling: 0, Stalled: 0, Drifted: 0 }]),
  );
  for (const s of store.objects.values()) {
    const c = counts.get(s.kind);
    if (!c) continue;
    c.total++;
    const { state } = headline(s);
    if (state in c) c[state]++;
    if (state !== "Drifted" && s.conditions.some((x) => x.type === "Drifted" && x.status === "True"))
      c.Drifted++;
  }
  const rows = [...counts]
    .filter(([, c]) => c.total > 0)
    .map(([kind, c]) =>
      h(
        "tr",
        {},
        h(
          "th",
          { scope: "row" },
          h("button", { type: "button", class: "link", onclick: () => onPick(kind) }, kind),
        ),
        h("td", { class: "num" }, c.total),
        h("td", { class: "num" }, c.Ready),
        h("td", { class: "num" }, c.Reconciling),
        h("td", { class: "num" }, c.Stalled),
        h("td", { class: "num" }, c.Drifted),
      ),
    );
  const head = ["Kind", "Total", "Ready", "Reconciling", "Stalled", "Drifted"];
  fill(
    el,
    rows.length
      ? h("div", { class: "scroll-x" }, table("Resources by kind", head, rows, head.slice(1)))
      : null,
  );
}

export function drawEvents(el, events, onPick) {
  const items = [...events]
    .reverse()
    .slice(0, 100)
    .map((e) =>
      h(
        "li",
        { class: e.type === "Warning" ? "warning" : "" },
        h("time", { datetime: e.timestamp }, new Date(e.timestamp).toLocaleTimeString()),
        " ",
        h("span", { class: `etype ${e.type}` }, e.type),
        " ",
        h(
          "button",
          { type: "button", class: "link", onclick: () => onPick(e.kind, e.name) },
          `${e.kind}/${e.name}`,
        ),
        " ",
        h("strong", {}, e.reason),
        e.count > 1 ? ` ×${e.count}` : "",
        h("span", { class: "emsg" }, e.message),
      ),
    );
  fill(el, items.length ? items : h("li", { class: "muted" }, "No events since the server started."));
}

/** Bars of repairs per minute (oldest left), with the figures in words for screen readers. */
export function drawDrift(el, series) {
  const total = series.reduce((n, b) => n + b.count, 0);
  const recent = series.slice(-5).reduce((n, b) => n + b.count, 0);
  const max = Math.max(1, ...series.map((b) => b.count));
  const W = 600;
  const H = 100;
  const bw = W / Math.max(1, series.length);
  const bars = series.map((b, i) => {
    const bh = b.count === 0 ? 0 : Math.max(3, (b.count / max) * (H - 8));
    const when = new Date(b.minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return svg(
      "rect",
      {
        x: (i * bw + 1).toFixed(1),
        y: (H - 1 - bh).toFixed(1),
        width: Math.max(1, bw - 2).toFixed(1),
        height: bh.toFixed(1),
        class: "bar",
      },
      svg("title", {}, `${when}: ${b.count} repair${b.count === 1 ? "" : "s"}`),
    );
  });
  const words = `${total} drift repair${total === 1 ? "" : "s"} in the last hour, ${recent} in the last 5 minutes`;
  fill(
    el,
    h("p", { class: "drift-total", id: "drift-total" }, words),
    svg(
      "svg",
      {
        viewBox: `0 0 ${W} ${H}`,
        role: "img",
        "aria-labelledby": "drift-total",
        class: "plot",
        preserveAspectRatio: "none",
      },
      svg("line", { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: "axis" }),
      bars,
    ),
    h(
      "div",
      { class: "ticks", "aria-hidden": "true" },
      h("span", {}, "60 min ago"),
      h("span", {}, `max ${max}/min`),
      h("span", {}, "now"),
    ),
  );
}
