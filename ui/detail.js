// One resource in full: its conditions, drift, YAML (read from the declarative API when it is
// opened, and again when the stream says it changed), beside it the same resource against what
// ZooKeeper and Ceph hold (live.js), and its own events.
import { ago, badge, fill, h } from "./dom.js";
import { drawLive, loadLive } from "./live.js";
import { headline } from "./store.js";
import { toYaml } from "./yaml.js";

export class Detail {
  constructor(el, store) {
    this.el = el;
    this.store = store;
    this.key = undefined;
    this.version = undefined;
    this.timer = 0;
    this.request = 0;
  }

  show(summary) {
    this.key = `${summary.kind}/${summary.name}`;
    this.version = undefined;
    this.refresh(summary, 0);
  }

  /** The stream's latest summary of the open object (or undefined: it is gone). */
  refresh(summary, delayMs = 150) {
    if (!this.key) return;
    if (!summary) {
      this.version = undefined;
      fill(this.el, h("p", { class: "muted" }, `${this.key} was deleted.`));
      return;
    }
    if (summary.resourceVersion === this.version) return;
    this.version = summary.resourceVersion;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.#load(summary), delayMs);
  }

  /** Reads the object and its comparison again (the "Compare again" button). */
  #reload(summary) {
    clearTimeout(this.timer);
    this.#load(this.store.objects.get(this.key) ?? summary);
  }

  async #load(summary) {
    const request = ++this.request;
    const plural = this.store.pluralOf(summary.kind);
    const base = `${this.store.apiPath}/${plural}/${encodeURIComponent(summary.name)}`;
    try {
      const [object, events, live] = await Promise.all([
        getJson(base),
        getJson(`${base}/events`),
        loadLive(plural, summary.name, getJson),
      ]);
      if (request !== this.request) return;
      this.#draw(summary, object, events.items ?? [], live);
    } catch (err) {
      if (request === this.request)
        fill(this.el, h("p", { class: "error", role: "alert" }, `${this.key}: ${err.message}`));
    }
  }

  #draw(summary, object, events, live) {
    const { state } = headline(summary);
    const conditions = (object.status?.conditions ?? []).map((c) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, c.type),
        h("td", {}, c.status),
        h("td", {}, c.reason),
        h("td", { class: "msg" }, c.message),
        h("td", {}, h("time", { datetime: c.lastTransitionTime }, ago(Date.parse(c.lastTransitionTime)))),
      ),
    );
    const drift = object.status?.drift ?? [];
    fill(
      this.el,
      h(
        "h3",
        { class: "detail-title" },
        `${summary.kind} `,
        h("span", { class: "name" }, summary.name),
        " ",
        badge(state),
      ),
      conditions.length
        ? h(
            "div",
            { class: "scroll-x" },
            h(
              "table",
              {},
              h("caption", { class: "sr-only" }, "Conditions"),
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["Condition", "Status", "Reason", "Message", "Since"].map((c) =>
                    h("th", { scope: "col" }, c),
                  ),
                ),
              ),
              h("tbody", {}, conditions),
            ),
          )
        : h("p", { class: "muted" }, "No conditions: no controller reports on this kind yet."),
      drift.length
        ? h("div", { class: "warn" }, h("strong", {}, "Drift kept (driftPolicy Report): "), drift.join(", "))
        : null,
      h(
        "div",
        { class: "yaml-live" },
        h(
          "div",
          {},
          h("h4", {}, "YAML"),
          h("pre", { class: "yaml", tabindex: "0", "aria-label": `YAML of ${this.key}` }, toYaml(object)),
        ),
        drawLive(live, () => this.#reload(summary)),
      ),
      h("h4", {}, `Events (${events.length})`),
      h(
        "ol",
        { class: "events" },
        [...events]
          .reverse()
          .map((e) =>
            h(
              "li",
              { class: e.type === "Warning" ? "warning" : "" },
              h("time", { datetime: e.timestamp }, ago(Date.parse(e.timestamp))),
              " ",
              h("strong", {}, e.reason),
              e.count > 1 ? ` ×${e.count}` : "",
              h("span", { class: "emsg" }, e.message),
            ),
          ),
      ),
    );
  }
}

export async function getJson(url) {
  const res = await fetch(url, { headers: { accept: "application/json" } });
  if (res.status === 401) {
    location.reload();
    throw new Error("signed out");
  }
  const body = await res.json();
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`);
  return body;
}
