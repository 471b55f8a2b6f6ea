// A virtualised list (only the rows in view exist in the DOM, so 10,000 items cost what 20 do)
// that is a listbox for the keyboard: arrows, Page Up/Down, Home/End move the active row; Enter or
// Space opens it. The active row is always drawn, so aria-activedescendant always points at it.

export class VirtualList {
  /**
   * @param root the scrolling element (role=listbox, tabindex=0)
   * @param options { rowHeight, keyOf(item), drawRow(el, item, active), onOpen(item) }
   */
  constructor(root, options) {
    this.root = root;
    this.options = options;
    this.items = [];
    this.active = -1;
    this.openedKey = undefined;
    this.spacer = document.createElement("div");
    this.spacer.className = "spacer";
    root.append(this.spacer);
    this.rows = new Map();
    root.addEventListener("scroll", () => this.#soon());
    root.addEventListener("keydown", (e) => this.#key(e));
    root.addEventListener("click", (e) => this.#click(e));
    root.addEventListener("focus", () => {
      if (this.active < 0 && this.items.length > 0) this.#moveTo(0);
    });
    new ResizeObserver(() => this.#soon()).observe(root);
  }

  /** New items; the active row stays on the same item when it is still there. */
  setItems(items) {
    const activeKey = this.active >= 0 ? this.options.keyOf(this.items[this.active]) : undefined;
    this.items = items;
    this.active = activeKey === undefined ? -1 : items.findIndex((i) => this.options.keyOf(i) === activeKey);
    this.spacer.style.height = `${items.length * this.options.rowHeight}px`;
    this.draw();
  }

  #soon() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  /** Draws the rows in view (and a few around them). */
  draw() {
    const h = this.options.rowHeight;
    const first = Math.max(0, Math.floor(this.root.scrollTop / h) - 5);
    const last = Math.min(
      this.items.length,
      Math.ceil((this.root.scrollTop + this.root.clientHeight) / h) + 5,
    );
    const keep = new Set();
    for (let i = first; i < last; i++) {
      keep.add(i);
      let el = this.rows.get(i);
      if (!el) {
        el = document.createElement("div");
        el.setAttribute("role", "option");
        el.id = `row-${i}`;
        el.dataset.index = String(i);
        el.style.top = `${i * h}px`;
        this.spacer.append(el);
        this.rows.set(i, el);
      }
      const item = this.items[i];
      const key = this.options.keyOf(item);
      el.className = `row${i === this.active ? " active" : ""}${key === this.openedKey ? " opened" : ""}`;
      el.setAttribute("aria-selected", String(key === this.openedKey));
      this.options.drawRow(el, item);
    }
    for (const [i, el] of this.rows) {
      if (!keep.has(i)) {
        el.remove();
        this.rows.delete(i);
      }
    }
    if (this.active >= 0) this.root.setAttribute("aria-activedescendant", `row-${this.active}`);
    else this.root.removeAttribute("aria-activedescendant");
  }

  #moveTo(index) {
    if (this.items.length === 0) return;
    this.active = Math.max(0, Math.min(this.items.length - 1, index));
    const h = this.options.rowHeight;
    const top = this.active * h;
    if (top < this.root.scrollTop) this.root.scrollTop = top;
    else if (top + h > this.root.scrollTop + this.root.clientHeight)
      this.root.scrollTop = top + h - this.root.clientHeight;
    this.draw();
  }

  open(index) {
    const item = this.items[index];
    if (!item) return;
    this.openedKey = this.options.keyOf(item);
    this.active = index;
    this.draw();
    this.options.onOpen(item);
  }

  #key(e) {
    const page = Math.max(1, Math.floor(this.root.clientHeight / this.options.rowHeight) - 1);
    const moves = {
      ArrowDown: this.active + 1,
      ArrowUp: this.active - 1,
      PageDown: this.active + page,
      PageUp: this.active - page,
      Home: 0,
      End: this.items.length - 1,
    };
    if (e.key in moves) {
      e.preventDefault();
      this.#moveTo(this.active < 0 ? 0 : moves[e.key]);
    } else if ((e.key === "Enter" || e.key === " ") && this.active >= 0) {
      e.preventDefault();
      this.open(this.active);
    }
  }

  #click(e) {
    const row = e.target.closest("[role=option]");
    if (row) this.open(Number(row.dataset.index));
  }
}
