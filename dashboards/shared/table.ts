/**
 * A keyed, sortable table that updates cells in place (no rebuild per tick), keeps focus,
 * and lets the keyboard move between rows (rows are focusable; ↑/↓/Home/End move, Enter selects).
 */
import { t, type MsgKey } from './i18n.ts';

export interface Cell {
  text: string;
  className?: string;
  title?: string;
  /** a colour swatch before the text (route colour) */
  swatch?: string;
  /** a 0–100 bar before the text (dim level) */
  bar?: number;
}

export interface Column<T> {
  id: string;
  header: MsgKey;
  cell: (item: T, now: number) => Cell;
  sort?: (item: T) => string | number;
  numeric?: boolean;
}

export interface TableOptions<T> {
  table: HTMLTableElement;
  columns: Column<T>[];
  idOf: (item: T) => string;
  rowClass?: (item: T) => string;
  onSelect?: (id: string | null) => void;
  defaultSort: { column: string; descending?: boolean };
  /** sort key used before the chosen column (e.g. faults first); optional */
  tieBreak?: (item: T) => string;
}

interface CellParts {
  td: HTMLTableCellElement;
  text: Text;
  swatch?: HTMLSpanElement;
  bar?: HTMLSpanElement;
  last: string;
}

interface Row {
  tr: HTMLTableRowElement;
  cells: CellParts[];
  lastClass: string;
}

const collator = new Intl.Collator(['uk', 'en'], { numeric: true, sensitivity: 'base' });

export class LiveTable<T> {
  private readonly tbody: HTMLTableSectionElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly rows = new Map<string, Row>();
  private readonly emptyRow: HTMLTableRowElement;
  private sortColumn: string;
  private descending: boolean;
  private selected: string | null = null;
  private order: string[] = [];

  constructor(private readonly opts: TableOptions<T>) {
    const table = opts.table;
    this.thead = table.tHead ?? table.createTHead();
    this.tbody = table.tBodies[0] ?? table.createTBody();
    this.sortColumn = opts.defaultSort.column;
    this.descending = opts.defaultSort.descending ?? false;
    this.emptyRow = document.createElement('tr');
    this.emptyRow.className = 'empty';
    const td = document.createElement('td');
    td.colSpan = opts.columns.length;
    this.emptyRow.append(td);
    this.renderHead();
    this.tbody.addEventListener('click', (e) => {
      const tr = (e.target as Element | null)?.closest('tr[data-id]');
      if (tr instanceof HTMLTableRowElement) this.select(tr.dataset.id ?? null, false);
    });
    this.tbody.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Re-labels headers (after a language change). */
  renderHead(): void {
    const tr = document.createElement('tr');
    for (const col of this.opts.columns) {
      const th = document.createElement('th');
      th.scope = 'col';
      if (col.numeric) th.className = 'num';
      const label = t(col.header);
      if (col.sort) {
        const btn = document.createElement('button');
        btn.type = 'button';
        btn.className = 'sort';
        btn.dataset.column = col.id;
        btn.title = t('table.sortBy', { col: label });
        const text = document.createElement('span');
        text.textContent = label;
        btn.append(text);
        if (col.id === this.sortColumn) {
          const arrow = document.createElement('span');
          arrow.className = 'arrow';
          arrow.setAttribute('aria-hidden', 'true');
          arrow.textContent = this.descending ? '▼' : '▲';
          th.setAttribute('aria-sort', this.descending ? 'descending' : 'ascending');
          btn.append(arrow);
        }
        btn.addEventListener('click', () => {
          if (this.sortColumn === col.id) this.descending = !this.descending;
          else {
            this.sortColumn = col.id;
            this.descending = false;
          }
          this.renderHead();
          this.order = [];
          this.opts.table.dispatchEvent(new CustomEvent('sortchange'));
          // keep the focus on the header the user pressed
          this.thead.querySelector<HTMLButtonElement>(`button[data-column="${col.id}"]`)?.focus();
        });
        th.append(btn);
      } else {
        th.textContent = label;
      }
      tr.append(th);
    }
    this.thead.replaceChildren(tr);
  }

  select(id: string | null, fromOutside = true): void {
    this.selected = id;
    for (const [rowId, row] of this.rows) row.tr.setAttribute('aria-selected', String(rowId === id));
    if (id && fromOutside) this.rows.get(id)?.tr.scrollIntoView({ block: 'nearest' });
    if (!fromOutside) this.opts.onSelect?.(id);
  }

  get selectedId(): string | null {
    return this.selected;
  }

  private onKey(e: KeyboardEvent): void {
    const tr = (e.target as Element | null)?.closest('tr[data-id]');
    if (!(tr instanceof HTMLTableRowElement)) return;
    let next: Element | null = null;
    switch (e.key) {
      case 'ArrowDown': next = tr.nextElementSibling; break;
      case 'ArrowUp': next = tr.previousElementSibling; break;
      case 'Home': next = this.tbody.querySelector('tr[data-id]'); break;
      case 'End': next = this.tbody.querySelector('tr[data-id]:last-child'); break;
      case 'Enter':
      case ' ': {
        const id = tr.dataset.id ?? null;
        this.select(this.selected === id ? null : id, false);
        e.preventDefault();
        return;
      }
      default: return;
    }
    if (next instanceof HTMLTableRowElement && next.dataset.id) {
      next.focus();
      e.preventDefault();
    }
  }

  private sortItems(items: T[]): T[] {
    const col = this.opts.columns.find((c) => c.id === this.sortColumn);
    const key = col?.sort;
    const dir = this.descending ? -1 : 1;
    const tie = this.opts.tieBreak;
    const idOf = this.opts.idOf;
    return [...items].sort((a, b) => {
      if (tie) {
        const c = collator.compare(tie(a), tie(b));
        if (c !== 0) return c;
      }
      if (key) {
        const ka = key(a);
        const kb = key(b);
        const c = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : collator.compare(String(ka), String(kb));
        if (c !== 0) return c * dir;
      }
      return collator.compare(idOf(a), idOf(b));
    });
  }

  private makeRow(id: string): Row {
    const tr = document.createElement('tr');
    tr.dataset.id = id;
    tr.tabIndex = 0;
    tr.setAttribute('aria-selected', String(id === this.selected));
    const cells: CellParts[] = this.opts.columns.map((col, i) => {
      const td = document.createElement(i === 0 ? 'th' : 'td') as HTMLTableCellElement;
      if (i === 0) td.setAttribute('scope', 'row');
      const text = document.createTextNode('');
      td.append(text);
      if (col.numeric) td.classList.add('num');
      return { td, text, last: '' };
    });
    tr.append(...cells.map((c) => c.td));
    return { tr, cells, lastClass: '' };
  }

  private updateCell(parts: CellParts, col: Column<T>, cell: Cell): void {
    const sig = `${cell.text}\u0000${cell.className ?? ''}\u0000${cell.title ?? ''}\u0000${cell.swatch ?? ''}\u0000${cell.bar ?? ''}`;
    if (sig === parts.last) return;
    parts.last = sig;
    parts.text.data = cell.text;
    parts.td.className = [col.numeric ? 'num' : '', cell.className ?? ''].filter(Boolean).join(' ');
    if (cell.title) parts.td.title = cell.title;
    else parts.td.removeAttribute('title');
    if (cell.swatch !== undefined) {
      if (!parts.swatch) {
        parts.swatch = document.createElement('span');
        parts.swatch.className = 'swatch';
        parts.swatch.setAttribute('aria-hidden', 'true');
        parts.td.prepend(parts.swatch);
      }
      parts.swatch.style.background = cell.swatch;
    } else if (parts.swatch) {
      parts.swatch.remove();
      delete parts.swatch;
    }
    if (cell.bar !== undefined) {
      if (!parts.bar) {
        parts.bar = document.createElement('span');
        parts.bar.className = 'bar';
        parts.bar.setAttribute('aria-hidden', 'true');
        parts.bar.append(document.createElement('span'));
        parts.td.prepend(parts.bar);
      }
      const fill = parts.bar.firstElementChild as HTMLSpanElement;
      fill.style.width = `${Math.max(0, Math.min(100, cell.bar))}%`;
    } else if (parts.bar) {
      parts.bar.remove();
      delete parts.bar;
    }
  }

  /** Shows `items` (already filtered). `emptyKey` is shown when there are none. */
  render(items: T[], now: number, emptyKey: MsgKey): void {
    const sorted = this.sortItems(items);
    const ids = sorted.map(this.opts.idOf);
    const keep = new Set(ids);
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.tr.remove();
        this.rows.delete(id);
      }
    }
    sorted.forEach((item, idx) => {
      const id = ids[idx] as string;
      let row = this.rows.get(id);
      if (!row) {
        row = this.makeRow(id);
        this.rows.set(id, row);
      }
      const cls = this.opts.rowClass?.(item) ?? '';
      if (cls !== row.lastClass) {
        row.tr.className = cls;
        row.lastClass = cls;
      }
      this.opts.columns.forEach((col, i) => {
        const parts = row.cells[i];
        if (parts) this.updateCell(parts, col, col.cell(item, now));
      });
    });
    if (ids.length === 0) {
      const td = this.emptyRow.firstElementChild as HTMLTableCellElement;
      const text = t(emptyKey);
      if (td.textContent !== text) td.textContent = text;
      if (this.tbody.firstElementChild !== this.emptyRow || this.tbody.childElementCount !== 1) this.tbody.replaceChildren(this.emptyRow);
      this.order = ids;
      return;
    }
    const sameOrder = ids.length === this.order.length && ids.every((id, i) => id === this.order[i]) && this.tbody.childElementCount === ids.length;
    if (!sameOrder) {
      const focused = document.activeElement;
      this.emptyRow.remove();
      ids.forEach((id, i) => {
        const tr = this.rows.get(id)?.tr;
        if (tr && this.tbody.children[i] !== tr) this.tbody.insertBefore(tr, this.tbody.children[i] ?? null);
      });
      // moving a focused row blurs it: give the focus back
      if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
      this.order = ids;
    }
  }
}
