// A virtualised table: only the rows in view (and a few around them) are in the DOM, so a list
// of 50,000 pods scrolls as smoothly as one of five.
import { h } from "./dom.ts";

export const ROW_HEIGHT = 30;

export class VirtualTable<T> {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly spacer: HTMLElement;
  private items: T[] = [];
  private frame = 0;
  /** When set, the table is as tall as its rows up to this many, not the whole page. */
  private readonly maxRows: number | undefined;

  constructor(
    private readonly columns: string[],
    private readonly cells: (item: T) => (Node | string)[],
    private readonly key: (item: T) => string,
    opts: { id?: string; maxRows?: number } = {},
  ) {
    this.spacer = h("div", { class: "vspacer" });
    this.body = h("div", { class: "vrows" });
    const head = h("div", { class: "vhead row" }, ...columns.map((c) => h("span", {}, c)));
    const scroll = h("div", { class: "vscroll" }, this.spacer, this.body);
    this.maxRows = opts.maxRows;
    this.el = h("div", { class: "vtable", role: "table", id: opts.id }, head, scroll);
    this.el.style.setProperty("--cols", String(columns.length));
    this.el.querySelector(".vscroll")!.addEventListener("scroll", () => this.schedule());
  }

  set(items: T[]): void {
    this.items = items;
    this.schedule();
  }

  get size(): number {
    return this.items.length;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Renders now (tests and first paint don't wait for a frame). */
  render(): void {
    const scroll = this.el.querySelector(".vscroll") as HTMLElement;
    this.spacer.style.height = `${this.items.length * ROW_HEIGHT}px`;
    if (this.maxRows !== undefined) scroll.style.height = `${Math.max(1, Math.min(this.items.length, this.maxRows)) * ROW_HEIGHT}px`;
    const first = Math.max(0, Math.floor(scroll.scrollTop / ROW_HEIGHT) - 10);
    const count = Math.ceil((scroll.clientHeight || 800) / ROW_HEIGHT) + 20;
    const rows = this.items.slice(first, first + count).map((item, i) => {
      const row = h("div", { class: "row", role: "row", "data-key": this.key(item) }, ...this.cells(item).map((c) => h("span", { role: "cell" }, c)));
      row.style.top = `${(first + i) * ROW_HEIGHT}px`;
      return row;
    });
    this.body.replaceChildren(...rows);
  }
}
