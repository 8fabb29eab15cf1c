import type { ChartConfiguration, ChartDataset, Plugin } from 'chart.js';
import { formatNumber } from '../format.js';
import { Chart } from './chart-setup.js';

/** A point of a line chart (Chart.js's internal format: no parsing). */
export interface XY {
  x: number;
  y: number;
  /** The run the point belongs to, on lines that hold several runs (the tooltip names it). */
  run?: number;
  /** What the point is (the tooltip shows it before the values), e.g. `vllm maxNumSeqs=64 at 4 req/s`. */
  note?: string;
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
  /**
   * Each point drawn as a short horizontal tick (a bound known at a few x only, e.g. the fluid
   * Throughput* at the one rate every compared run shares: one point draws no line).
   */
  tick?: boolean;
  /** Dash pattern (Chart.js `borderDash`), e.g. one per machine; overrides `dashed`. */
  dash?: number[];
  /** Marker shape (Chart.js `pointStyle`) of a line with markers. */
  pointStyle?: 'circle' | 'triangle' | 'rect' | 'rectRot' | 'star' | 'crossRot' | 'rectRounded';
  /**
   * Only the first `joined` points are joined by the line; the others are drawn as small hollow
   * markers (a Pareto front followed by its dominated points). Needs an `unsorted` chart.
   */
  joined?: number;
}

/** A vertical line across the plot at `x` (the fluid stability limit), labelled at its top. */
export interface VerticalLine {
  x: number;
  label: string;
  color: string;
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
  /**
   * Vertical dashed lines drawn across the plot (verticalLinesPlugin); the x axis is widened to
   * include them. The chart records the pixel x of each line drawn in `$verticalLinesDrawn`.
   */
  verticalLines?: VerticalLine[];
  /** Logarithmic x or y axis (latency axes, CDFs); switch later with setLogAxis. */
  logX?: boolean;
  logY?: boolean;
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
    borderDash: s.dash ?? (s.dashed ? [6, 4] : []),
    pointRadius: s.tick ? 12 : s.markers ? 3 : 0,
    pointHoverRadius: s.tick ? 12 : s.markers ? 5 : 3,
    ...(s.tick ? { pointStyle: 'line' as const, pointBorderWidth: 2.5 } : {}),
    ...(s.pointStyle && !s.tick ? { pointStyle: s.pointStyle } : {}),
    ...(s.joined !== undefined ? joinedOptions(s.color, s.joined, s.markers ? 3.5 : 0) : {}),
    pointHitRadius: 4,
    fill: false,
    tension: 0,
    spanGaps: false,
    indexAxis: 'x',
  }));
  const verticalLines = spec.verticalLines ?? [];
  const xs = verticalLines.map((line) => line.x);
  const config: ChartConfiguration<'line', XY[]> = {
    type: 'line',
    data: { datasets },
    plugins: verticalLines.length > 0 ? [verticalLinesPlugin(verticalLines)] : [],
    options: {
      animation: false,
      parsing: spec.unsorted ? { xAxisKey: 'x', yAxisKey: 'y' } : false,
      normalized: !spec.unsorted,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false, axis: 'xy' },
      scales: {
        x: {
          type: spec.logX ? 'logarithmic' : 'linear',
          title: { display: true, text: spec.xTitle },
          ticks: { maxTicksLimit: 8, ...(spec.logX ? { callback: logTickLabel, autoSkip: false } : {}) },
          ...(xs.length > 0 ? { suggestedMin: Math.min(...xs), suggestedMax: Math.max(...xs) } : {}),
        },
        y: {
          type: spec.logY ? 'logarithmic' : 'linear',
          title: { display: true, text: spec.yTitle },
          beginAtZero: !spec.logY,
          ...(spec.logY ? { ticks: { callback: logTickLabel, autoSkip: false } } : {}),
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
                p.note !== undefined
                  ? p.note
                  : p.run === undefined
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

/**
 * A Chart.js plugin drawing `lines` as vertical dashed lines across the plot area, each labelled
 * at its top (left of the line when there is no room on its right), after the datasets; the pixel
 * x of every line drawn is kept in the chart's `$verticalLinesDrawn` (for tests).
 */
function verticalLinesPlugin(lines: VerticalLine[]): Plugin<'line'> {
  return {
    id: 'verticalLines',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea: area } = chart;
      const drawn: number[] = [];
      for (const line of lines) {
        const x = chart.scales.x.getPixelForValue(line.x);
        if (!(x >= area.left - 0.5 && x <= area.right + 0.5)) continue;
        ctx.save();
        ctx.strokeStyle = line.color;
        ctx.fillStyle = line.color;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([4, 4]);
        ctx.beginPath();
        ctx.moveTo(x, area.top);
        ctx.lineTo(x, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.font = `10px ${Chart.defaults.font.family ?? 'sans-serif'}`;
        const right = x + 4 + ctx.measureText(line.label).width <= area.right;
        ctx.textAlign = right ? 'left' : 'right';
        ctx.textBaseline = 'top';
        // One label line per vertical line, stacked, so that labels of near lines never overlap.
        ctx.fillText(line.label, right ? x + 4 : x - 4, area.top + 4 + 12 * drawn.length);
        ctx.restore();
        drawn.push(x);
      }
      (chart as unknown as { $verticalLinesDrawn: number[] }).$verticalLinesDrawn = drawn;
    },
  };
}

/**
 * Switches a line chart's `axis` between a logarithmic and a linear scale and redraws it (no
 * animation). A logarithmic axis does not start at zero; values ≤ 0 are not drawn on it.
 */
export function setLogAxis(chart: Chart<'line', XY[]>, axis: 'x' | 'y', log: boolean): void {
  const scales = chart.options.scales as Record<
    string,
    { type?: string; beginAtZero?: boolean; ticks?: { callback?: typeof logTickLabel; autoSkip?: boolean } }
  >;
  const scale = scales[axis];
  scale.type = log ? 'logarithmic' : 'linear';
  if (axis === 'y') scale.beginAtZero = !log;
  // The log labels thin themselves (logTickLabel); Chart.js's auto-skip would drop the labelled ones.
  const ticks = { callback: log ? logTickLabel : undefined, autoSkip: !log };
  if (scale.ticks) Object.assign(scale.ticks, ticks);
  else scale.ticks = ticks;
  chart.update('none');
}

/**
 * A logarithmic axis's tick label: only at 1, 2 and 5 times a power of ten when the axis has at
 * least two such ticks, so labels never crowd; otherwise (a narrow range) at every few ticks.
 */
export function logTickLabel(value: number | string, index: number, ticks: { value: number }[]): string {
  const nice = (v: number): boolean => {
    if (!(v > 0)) return false;
    const mantissa = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
    return [1, 2, 5, 10].some((n) => Math.abs(mantissa - n) < 1e-6);
  };
  const v = Number(value);
  if (!(v > 0)) return '';
  const label = String(Number(v.toPrecision(4)));
  if (ticks.filter((t) => nice(t.value)).length >= 2) return nice(v) ? label : '';
  return index % Math.max(1, Math.ceil(ticks.length / 5)) === 0 ? label : '';
}

/**
 * Dataset options joining only the first `joined` points by the line: later segments are
 * transparent and later points small hollow markers.
 */
function joinedOptions(color: string, joined: number, radius: number): Partial<ChartDataset<'line', XY[]>> {
  return {
    segment: { borderColor: (ctx) => (ctx.p1DataIndex < joined ? color : 'rgba(0,0,0,0)') },
    pointRadius: (ctx) => (ctx.dataIndex < joined ? radius : Math.max(2.5, radius - 1)),
    pointBackgroundColor: (ctx) => (ctx.dataIndex < joined ? color : '#ffffff'),
    pointBorderColor: color,
    pointBorderWidth: 1.5,
  };
}
