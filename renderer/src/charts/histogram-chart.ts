import type { ChartConfiguration } from 'chart.js';
import { Chart } from './chart-setup.js';

/** What a histogram shows: bins [edges[i], edges[i+1]) and their counts. */
export interface HistogramSpec {
  /** The canvas's `data-chart` attribute (stable, for tests). */
  name: string;
  xTitle: string;
  yTitle: string;
  /** Bin edges, one more than counts. */
  edges: number[];
  counts: number[];
  color: string;
}

/** A bin's label: `16–22` (integer bins: both ends included), or `16` for a one-value bin. */
export function binLabel(lo: number, hi: number): string {
  return hi - lo <= 1 ? String(lo) : `${lo}\u2013${hi - 1}`;
}

/**
 * Draws a histogram of log-spaced integer bins (runner/datasets/dataset-summary.ts) as bars on a
 * category axis, one bar per bin, no animation. Returns the Chart instance (destroy it when the
 * page is left).
 */
export function createHistogramChart(canvas: HTMLCanvasElement, spec: HistogramSpec): Chart<'bar', number[]> {
  const labels = spec.counts.map((_, i) => binLabel(spec.edges[i], spec.edges[i + 1]));
  const config: ChartConfiguration<'bar', number[], string> = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: spec.yTitle,
          data: spec.counts,
          backgroundColor: spec.color,
          borderWidth: 0,
          barPercentage: 1,
          categoryPercentage: 0.95,
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { type: 'category', title: { display: true, text: spec.xTitle }, ticks: { maxRotation: 60 } },
        y: { type: 'linear', beginAtZero: true, title: { display: true, text: spec.yTitle } },
      },
      plugins: { legend: { display: false } },
    },
  };
  return new Chart(canvas, config);
}
