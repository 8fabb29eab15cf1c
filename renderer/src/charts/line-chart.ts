import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { formatNumber } from '../format.js';
import { Chart } from './chart-setup.js';

/** A point of a line chart (Chart.js's internal format: no parsing). */
export interface XY {
  x: number;
  y: number;
  /** The run the point belongs to, on lines that hold several runs (the tooltip names it). */
  run?: number;
}

/** One line of a chart. */
export interface LineSeries {
  label: string;
  color: string;
  points: XY[];
  dashed?: boolean;
  /** Point markers (rate charts, few points) or a bare line (distributions, time series). */
  markers?: boolean;
  /** Thin line (many overlaid per-run series). */
  thin?: boolean;
  /** Named in Chart.js's legend (default true; lines the page's shared legend names set false). */
  inLegend?: boolean;
}

/** What a line chart shows. */
export interface LineChartSpec {
  /** The canvas's `data-chart` attribute (stable, for tests): `throughput`, `ttft-cdf`, ... */
  name: string;
  title: string;
  /** One line under the title (what the lines are, how they were reduced). */
  note?: string;
  xTitle: string;
  yTitle: string;
  series: LineSeries[];
  /** Fixed y range (CDFs 0..1); omitted = automatic from zero. */
  yRange?: { min: number; max: number };
  /** Show Chart.js's legend (its entries: the series with `inLegend` not false). */
  legend: boolean;
  /**
   * Some line's x values are not ascending (several runs one after another): Chart.js then
   * parses the points (so it knows they are unsorted) and nothing is decimated.
   */
  unsorted?: boolean;
}

/**
 * Points drawn per chart at most: above it the decimation plugin (LTTB) thins every line to an
 * equal share, so 200 runs of overlaid series cost about as much to draw as one long series.
 */
export const DRAWN_POINTS_PER_CHART = 24_000;

/** Fewest points a decimated line keeps. */
const MIN_SAMPLES = 60;

/**
 * Draws a line chart on `canvas` (attached, sized by its container): no animation, data given in
 * Chart.js's internal format (`parsing: false`, `normalized: true`: x ascending), decimated when
 * large (LTTB); `unsorted` specs are parsed instead and not decimated. Returns the Chart
 * instance (destroy it when the page is left).
 */
export function createLineChart(canvas: HTMLCanvasElement, spec: LineChartSpec): Chart<'line', XY[]> {
  const lines = Math.max(1, spec.series.length);
  const samples = Math.max(MIN_SAMPLES, Math.floor(DRAWN_POINTS_PER_CHART / lines));
  const datasets: ChartDataset<'line', XY[]>[] = spec.series.map((s) => ({
    label: s.label,
    data: s.points,
    borderColor: s.color,
    backgroundColor: s.color,
    borderWidth: s.thin ? 1 : 2,
    borderDash: s.dashed ? [6, 4] : [],
    pointRadius: s.markers ? 3 : 0,
    pointHoverRadius: s.markers ? 5 : 3,
    pointHitRadius: 4,
    fill: false,
    tension: 0,
    spanGaps: false,
    indexAxis: 'x',
  }));
  const config: ChartConfiguration<'line', XY[]> = {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      parsing: spec.unsorted ? { xAxisKey: 'x', yAxisKey: 'y' } : false,
      normalized: !spec.unsorted,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false, axis: 'xy' },
      scales: {
        x: { type: 'linear', title: { display: true, text: spec.xTitle }, ticks: { maxTicksLimit: 8 } },
        y: {
          type: 'linear',
          title: { display: true, text: spec.yTitle },
          beginAtZero: true,
          ...(spec.yRange ? { min: spec.yRange.min, max: spec.yRange.max } : {}),
        },
      },
      plugins: {
        legend: {
          display: spec.legend,
          position: 'bottom',
          labels: {
            boxWidth: 18,
            boxHeight: 2,
            font: { size: 10 },
            filter: (item) => spec.series[item.datasetIndex ?? -1]?.inLegend !== false,
          },
        },
        decimation: { enabled: !spec.unsorted, algorithm: 'lttb', samples, threshold: samples },
        tooltip: {
          callbacks: {
            label: (item) => {
              const p = item.raw as XY;
              const who =
                p.run === undefined
                  ? (item.dataset.label ?? '')
                  : `run ${p.run}, ${item.dataset.label ?? ''}`;
              return `${who}: (${formatNumber(p.x)}, ${formatNumber(p.y)})`;
            },
          },
        },
      },
    },
  };
  return new Chart(canvas, config);
}
