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
