/** What a capacity chart shows (charts/capacity-chart.ts draws it); no DOM, no Chart.js. */

/** One bar of a capacity chart: a search's answer with its bracket. */
export interface CapacityBar {
  /** The category (x) label, e.g. the policy with its parameters. */
  label: string;
  color: string;
  /** The bar's height (the largest sustained rate); null draws no bar (even `min` failed). */
  value: number | null;
  /** The bracket drawn as an error bar from `lower` to `upper` (null: open, e.g. `max` sustained). */
  lower: number | null;
  upper: number | null;
}

/** What a capacity chart shows. */
export interface CapacityChartSpec {
  /** The canvas's `data-chart` attribute (stable, for tests). */
  name: string;
  yTitle: string;
  bars: CapacityBar[];
  /**
   * Reference lines (the fluid stability limit), each with a legend entry: across the plot, or,
   * with `bars` (indices into `bars`), a dashed segment over each of those bars only (a cluster's
   * limit is its replicas times one replica's, so bars of different cluster sizes have their own).
   */
  limits: { label: string; value: number; bars?: number[] }[];
}
