import type { CellComponent } from 'tabulator-tables';
import {
  EditModule,
  FilterModule,
  FormatModule,
  FrozenColumnsModule,
  InteractionModule,
  PopupModule,
  ResizeColumnsModule,
  ResizeTableModule,
  SelectRowModule,
  SortModule,
  Tabulator,
  TooltipModule,
} from 'tabulator-tables';

/**
 * Tabulator with the modules the renderer's tables use (registered once): header filters
 * (edit, filter, popup), sorting, row selection, formatters, frozen columns, column resizing,
 * tooltips. Import Tabulator from here, not from 'tabulator-tables'.
 */
Tabulator.registerModule([
  EditModule,
  FilterModule,
  FormatModule,
  FrozenColumnsModule,
  InteractionModule,
  PopupModule,
  ResizeColumnsModule,
  ResizeTableModule,
  SelectRowModule,
  SortModule,
  TooltipModule,
]);

export { Tabulator };

/**
 * Tabulator puts strings into the DOM as HTML: list editor items (header filters), tooltips,
 * formatter results. Data the user named (sweeps, workloads, machines, errors) goes through
 * these, or through Tabulator's default `plaintext` formatter, which escapes.
 */
function escapeText(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `itemFormatter` of a `list` editor or header filter: the label as text, never HTML. */
export function textListItem(label: unknown): string {
  return escapeText(label);
}

/** A cell `tooltip`: the cell's value as text (Tabulator's `tooltip: true` would set it as HTML). */
export function textTooltip(_event: MouseEvent, cell: CellComponent): string {
  return escapeText(cell.getValue());
}
