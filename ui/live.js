// One resource against what ZooKeeper and Ceph hold (GET /ui/live/<plural>/<name>, api/ui/live.ts):
// per comparison, "in sync" or the unified diff's hunks, `-` as the controller would write it from
// the spec and `+` as it is now.
import { h } from "./dom.js";

/** The comparison, or `{ error }`: a failed comparison never hides the rest of the detail. */
export async function loadLive(plural, name, getJson) {
  try {
    return await getJson(`/ui/live/${encodeURIComponent(plural)}/${encodeURIComponent(name)}`);
  } catch (err) {
    return { error: err.message };
  }
}

const LINE_CLASS = { "-": "del", "+": "add", " ": "ctx" };

function hunkLines(hunk) {
  return [
    h("span", { class: "hunk" }, hunk.header),
    hunk.lines.map((line) => h("span", { class: LINE_CLASS[line[0]] ?? "ctx" }, line)),
  ];
}

function comparison(c) {
  return h(
    "section",
    { class: "comparison", "aria-label": c.title },
    h(
      "p",
      { class: "comparison-title" },
      h("code", {}, c.title),
      " ",
      c.inSync ? h("span", { class: "sync-ok" }, "in sync") : h("span", { class: "sync-diff" }, "differs"),
    ),
    c.inSync
      ? null
      : h(
          "pre",
          { class: "diff", tabindex: "0", "aria-label": `Differences: ${c.title}` },
          c.hunks.map(hunkLines),
        ),
    c.note ? h("p", { class: "muted small" }, c.note) : null,
  );
}

/** The live section of the detail; `onRefresh` compares again. */
export function drawLive(live, onRefresh) {
  const head = h(
    "div",
    { class: "live-head" },
    h("h4", {}, "Against ZooKeeper and Ceph"),
    h("button", { type: "button", class: "small-button", onclick: onRefresh }, "Compare again"),
  );
  if (live.error)
    return h("div", { class: "live" }, head, h("p", { class: "error", role: "alert" }, live.error));
  if (live.inSync === null) return h("div", { class: "live" }, head, h("p", { class: "muted" }, live.note));
  return h(
    "div",
    { class: "live", "data-in-sync": String(live.inSync) },
    head,
    live.inSync
      ? null
      : h(
          "p",
          { class: "legend muted small" },
          h("span", { class: "del" }, "− as the controller writes it from the spec"),
          " · ",
          h("span", { class: "add" }, "+ as it is now"),
        ),
    live.comparisons.map(comparison),
  );
}
