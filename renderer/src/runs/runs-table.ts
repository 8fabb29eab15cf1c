import type { CellComponent, ColumnDefinition, RowComponent } from 'tabulator-tables';
import { escapeHtml } from '../dom.js';
import { formatNumber } from '../format.js';
import { runHash } from '../router.js';
import { Tabulator, textListItem, textTooltip } from '../tabulator-setup.js';
import { dateMatches, numberMatches } from './range-filter.js';
import { KEY_METRICS, type RunRow } from './run-row.js';

/**
 * A run id as a link to its detail page (`#/runs/ID`). A click on it opens the run and does not
 * select the row (the row's own click handler never sees it).
 */
function runLink(id: number): HTMLAnchorElement {
  const link = document.createElement('a');
  link.href = runHash(id);
  link.className = 'run-link';
  link.textContent = String(id);
  link.title = `Open run ${id}`;
  link.addEventListener('click', (event) => event.stopPropagation());
  return link;
}

/** What the page hears from the table. */
export interface RunsTableEvents {
  /** The selection changed: the selected run ids, ascending. */
  onSelection(ids: number[]): void;
  /** The filters changed what is shown: rows shown, rows in all. */
  onFiltered(shown: number, total: number): void;
}

/**
 * The runs table (Tabulator, virtual DOM: thousands of rows stay responsive): one row per run,
 * its id a link to the run's detail page, header filters on sweep, policy, params, workload, rate,
 * machine, status and date, sorting on every column, and multi-select: the checkbox column
 * toggles a row (shift-click on a checkbox selects the range from the last one clicked), a click
 * on a row selects it alone, ctrl-click adds or removes it and shift-click selects a range
 * (Tabulator's `click` range mode).
 */
export class RunsTable {
  readonly table: Tabulator;
  private lastChecked: RowComponent | null = null;
  private built = false;
  private readonly whenBuilt: Promise<void>;

  constructor(element: HTMLElement, rows: RunRow[], events: RunsTableEvents) {
    this.table = new Tabulator(element, {
      data: rows,
      index: 'id',
      height: 'calc(100vh - 13.5rem)',
      layout: 'fitDataFill',
      renderVertical: 'virtual',
      selectableRows: true,
      selectableRowsRangeMode: 'click',
      placeholder: 'No runs match. Start a sweep on the Sweeps page, or clear the filters.',
      initialSort: [{ column: 'id', dir: 'desc' }],
      // Every string shown is text, never HTML (names are the user's): tabulator-setup.ts.
      columnDefaults: { headerSortTristate: true, tooltip: textTooltip },
      columns: this.columns(),
    });
    this.whenBuilt = new Promise((resolve) => {
      this.table.on('tableBuilt', () => {
        this.built = true;
        resolve();
      });
    });
    const selection = (): void =>
      events.onSelection(
        this.table
          .getSelectedData()
          .map((r: RunRow) => r.id)
          .sort((a: number, b: number) => a - b),
      );
    this.table.on('rowSelectionChanged', selection);
    this.table.on('rowSelected', (row: RowComponent) => this.syncCheckbox(row, true));
    this.table.on('rowDeselected', (row: RowComponent) => this.syncCheckbox(row, false));
    this.table.on('dataFiltered', (_filters, shownRows: RowComponent[]) =>
      events.onFiltered(shownRows.length, this.table.getDataCount('all')),
    );
    this.table.on('dataProcessed', () =>
      events.onFiltered(this.table.getDataCount('active'), this.table.getDataCount('all')),
    );
  }

  /** Resolves once Tabulator has built the table (its API may be used). */
  ready(): Promise<void> {
    return this.whenBuilt;
  }

  /** Adds new runs and updates known ones in place (selection, filters and scroll are kept). */
  async update(rows: RunRow[]): Promise<void> {
    await this.whenBuilt;
    await this.table.updateOrAddData(rows);
    this.table.refreshFilter();
  }

  /** Empties every header filter (all runs shown again). */
  clearFilters(): void {
    if (this.built) this.table.clearHeaderFilter();
  }

  /** Removes every row selection. */
  clearSelection(): void {
    if (this.built) this.table.deselectRow();
  }

  destroy(): void {
    this.table.destroy();
  }

  private syncCheckbox(row: RowComponent, selected: boolean): void {
    const box = row.getElement()?.querySelector<HTMLInputElement>('input.row-select');
    if (box) box.checked = selected;
  }

  /** The checkbox of a row: toggles it; with shift, selects the range from the last one toggled. */
  private checkbox(cell: CellComponent): HTMLInputElement {
    const row = cell.getRow();
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'row-select';
    box.setAttribute('aria-label', `Select run ${(row.getData() as RunRow).id}`);
    box.checked = row.isSelected();
    box.addEventListener('click', (event) => {
      event.stopPropagation(); // not a row click (which would select this row alone)
      const last = this.lastChecked;
      if (event.shiftKey && last && last !== row) {
        const shown = this.table.getRows('active');
        const [a, b] = [shown.indexOf(last), shown.indexOf(row)].sort((x, y) => x - y);
        if (a >= 0) this.table.selectRow(shown.slice(a, b + 1));
        else row.select();
      } else {
        row.toggleSelect();
      }
      // The browser toggled the box before this handler; the selection decides what it shows.
      box.checked = row.isSelected();
      this.lastChecked = row;
    });
    return box;
  }

  private columns(): ColumnDefinition[] {
    const list = (
      field: keyof RunRow,
      title: string,
      extra: Partial<ColumnDefinition> = {},
    ): ColumnDefinition => ({
      field,
      title,
      headerFilter: 'list',
      headerFilterParams: { valuesLookup: 'all', clearable: true, sort: 'asc', itemFormatter: textListItem },
      headerFilterFunc: '=',
      headerFilterPlaceholder: 'all',
      ...extra,
    });
    const numberFormatter = (cell: CellComponent): string => formatNumber(cell.getValue() as number | null);
    return [
      {
        title: '',
        field: 'select',
        formatter: (cell) => this.checkbox(cell),
        titleFormatter: 'rowSelection',
        titleFormatterParams: { rowRange: 'active' },
        headerSort: false,
        hozAlign: 'center',
        headerHozAlign: 'center',
        width: 44,
        resizable: false,
        tooltip: false,
        cssClass: 'select-cell',
      },
      {
        title: 'ID',
        field: 'id',
        sorter: 'number',
        hozAlign: 'right',
        width: 70,
        formatter: (cell) => runLink(cell.getValue() as number),
      },
      list('sweep', 'Sweep', { maxWidth: 150 }),
      list('policy', 'Policy'),
      {
        title: 'Params',
        field: 'params',
        headerFilter: 'input',
        headerFilterPlaceholder: 'contains',
        maxWidth: 200,
      },
      list('workload', 'Workload'),
      {
        title: 'Rate (req/s)',
        field: 'rate',
        sorter: 'number',
        hozAlign: 'right',
        headerFilter: 'input',
        headerFilterPlaceholder: '4, >=2, 2..8',
        headerFilterFunc: (filter: string, value: number | null) => numberMatches(filter, value),
        formatter: (cell) => (cell.getValue() === null ? 'trace' : String(cell.getValue())),
      },
      { title: 'Seed', field: 'seed', sorter: 'number', hozAlign: 'right' },
      list('machine', 'Machine', { maxWidth: 170 }),
      { title: 'Origin host', field: 'originHost', maxWidth: 120 },
      list('status', 'Status', {
        formatter: (cell) => {
          const row = cell.getData() as RunRow;
          return `<span class="status status-${escapeHtml(row.status)}"${row.error ? ` title="${escapeHtml(row.error)}"` : ''}>${escapeHtml(row.status)}</span>`;
        },
        tooltip: false,
      }),
      { title: 'Stable', field: 'stable', hozAlign: 'center' },
      ...KEY_METRICS.map((m): ColumnDefinition => ({
        title: m.title,
        field: m.key,
        sorter: 'number',
        hozAlign: 'right',
        formatter: numberFormatter,
        headerTooltip: m.key,
      })),
      {
        title: 'Created',
        field: 'created',
        headerFilter: 'input',
        headerFilterPlaceholder: '2025-06, >=2025-06-01',
        headerFilterFunc: (filter: string, value: string) => dateMatches(filter, value),
        minWidth: 150,
      },
    ];
  }
}
