import type { ChartConfiguration, ChartDataset, Plugin } from 'chart.js';
import { formatNumber } from '../format.js';
import { Chart } from './chart-setup.js';
import type { CapacityChartSpec } from './capacity-chart-spec.js';
import { FLUID_COLOR } from './series-colors.js';

export type { CapacityBar, CapacityChartSpec } from './capacity-chart-spec.js';

/** A bar dataset with its bracket (read by the error-bar plugin and by tests). */
type BracketDataset = ChartDataset<'bar', (number | null)[]> & {
  brackets: ([number | null, number | null] | null)[];
};

/**
 * Draws a capacity chart: one bar per search, each its own dataset (so the legend names it and a
 * legend click hides it) with its bracket as an error bar, and each limit as a dashed horizontal
 * line across the plot (a line dataset holding the value at every category, for the legend and
 * for tests; the line is drawn by a plugin so that it spans the plot even for one bar). Returns
 * the Chart instance (destroy it when the page is left).
 */
export function createCapacityChart(canvas: HTMLCanvasElement, spec: CapacityChartSpec): Chart {
  const labels = spec.bars.map((b) => b.label);
  const bars: BracketDataset[] = spec.bars.map((bar, i) => ({
    type: 'bar',
    label: bar.label,
    data: labels.map((_, j) => (j === i ? bar.value : null)),
    brackets: labels.map((_, j) => (j === i ? [bar.lower, bar.upper] : null)),
    backgroundColor: bar.color,
    borderColor: bar.color,
    borderWidth: 0,
    skipNull: true,
    barPercentage: 0.6,
    categoryPercentage: 0.9,
  }));
  const limits: ChartDataset<'line', (number | null)[]>[] = spec.limits.map((limit) => ({
    type: 'line',
    label: limit.label,
    data: labels.map((_, j) => (limit.bars === undefined || limit.bars.includes(j) ? limit.value : null)),
    borderColor: FLUID_COLOR,
    backgroundColor: FLUID_COLOR,
    borderDash: [6, 4],
    borderWidth: 1.5,
    pointRadius: 0,
    showLine: false,
  }));
  const top = Math.max(
    0,
    ...spec.bars.flatMap((b) => [b.value ?? 0, b.upper ?? 0, b.lower ?? 0]),
    ...spec.limits.map((l) => l.value),
  );
  const config = {
    type: 'bar',
    data: { labels, datasets: [...bars, ...limits] },
    plugins: [errorBarsAndLimitsPlugin],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { type: 'category', ticks: { maxRotation: 30, autoSkip: false } },
        y: {
          type: 'linear',
          beginAtZero: true,
          suggestedMax: top * 1.08,
          title: { display: true, text: spec.yTitle },
        },
      },
      plugins: {
        legend: { display: true, position: 'bottom', labels: { boxWidth: 14, font: { size: 10 } } },
        tooltip: {
          callbacks: {
            label: (item: {
              datasetIndex: number;
              dataIndex: number;
              dataset: { label?: string };
              raw: unknown;
            }) => {
              const bracket = (item.dataset as Partial<BracketDataset>).brackets?.[item.dataIndex];
              const value = `${item.dataset.label ?? ''}: ${formatNumber(item.raw as number)} req/s`;
              if (!bracket) return value;
              return `${value} (bracket ${formatNumber(bracket[0])}\u2013${bracket[1] === null ? 'open' : formatNumber(bracket[1])})`;
            },
          },
        },
      },
    },
  } as unknown as ChartConfiguration;
  return new Chart(canvas, config);
}

/**
 * Draws each visible bar's bracket as an error bar (a vertical line from lower to upper with caps;
 * an open upper end as an arrow up) and each visible limit dataset as a dashed horizontal line
 * across the plot area (or over its bars only, CapacityChartSpec.limits).
 */
const errorBarsAndLimitsPlugin: Plugin = {
  id: 'capacityErrorBars',
  afterDatasetsDraw(chart) {
    const { ctx, chartArea: area } = chart;
    const y = chart.scales.y;
    chart.data.datasets.forEach((dataset, di) => {
      if (!chart.isDatasetVisible(di)) return;
      const meta = chart.getDatasetMeta(di);
      if (meta.type === 'line') {
        const values = dataset.data as (number | null)[];
        ctx.save();
        ctx.strokeStyle = FLUID_COLOR;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        if (values.every((v) => typeof v === 'number')) {
          // A limit of every bar: across the plot.
          const py = y.getPixelForValue(values[0]!);
          ctx.moveTo(area.left, py);
          ctx.lineTo(area.right, py);
        } else {
          // A limit of some bars: a segment over each of them.
          const half = (0.45 * (area.right - area.left)) / Math.max(1, values.length);
          values.forEach((v, j) => {
            if (typeof v !== 'number') return;
            const px = chart.scales.x.getPixelForValue(j);
            const py = y.getPixelForValue(v);
            ctx.moveTo(px - half, py);
            ctx.lineTo(px + half, py);
          });
        }
        ctx.stroke();
        ctx.restore();
        return;
      }
      const brackets = (dataset as Partial<BracketDataset>).brackets ?? [];
      meta.data.forEach((element, i) => {
        const bracket = brackets[i];
        if (!bracket || bracket[0] === null) return;
        const x = (element as unknown as { x: number }).x;
        const lo = y.getPixelForValue(bracket[0]);
        const hi = bracket[1] === null ? area.top + 4 : y.getPixelForValue(bracket[1]);
        ctx.save();
        ctx.strokeStyle = '#222222';
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(x, lo);
        ctx.lineTo(x, hi);
        ctx.moveTo(x - 6, lo);
        ctx.lineTo(x + 6, lo);
        if (bracket[1] === null) {
          ctx.moveTo(x - 5, hi + 6);
          ctx.lineTo(x, hi);
          ctx.lineTo(x + 5, hi + 6);
        } else {
          ctx.moveTo(x - 6, hi);
          ctx.lineTo(x + 6, hi);
        }
        ctx.stroke();
        ctx.restore();
      });
    });
  },
};
