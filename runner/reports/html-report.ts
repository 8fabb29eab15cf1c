import { replicaLoadsHtml } from './replica-loads-table.js';
import { METRIC_KEYS } from '../metrics/metric-keys.js';
import type { MetricKey } from '../metrics/metric-keys.js';
import { chartJsSource } from './chart-js-source.js';
import { downsampleSamples } from './empirical-cdf.js';
import { formatNumber } from './format-number.js';
import { escapeHtml, jsonForScript } from './html-escape.js';
import { pointsPerSeries } from './point-budget.js';
import { REPORT_CLIENT_SCRIPT } from './report-client-script.js';
import { buildReportCharts, TRACE_RATE_LABEL } from './report-charts.js';
import type { ChartSpec, WorkloadCharts } from './report-charts.js';
import type { StableRateSummary } from './largest-stable-rate.js';
import type { ReportData, ReportRun } from './report-data.js';
import { runLabels } from './run-label.js';
import { roundAll } from './significant-digits.js';
import { stableJson } from '../stable-json.js';
import { verdictSectionHtml, type ReportVerdicts } from './verdict-section.js';
import { sweepVerdicts } from './verdicts.js';

/** Most latency samples per run and metric kept in the embedded report data (evenly spaced ranks). */
export const REPORT_MAX_SAMPLES = 2000;

/**
 * Most latency samples per metric in the embedded report data across all runs: each run keeps
 * max(MIN_POINTS_PER_SERIES, REPORT_SAMPLE_BUDGET / runs), at most REPORT_MAX_SAMPLES
 * (pointsPerSeries), so a 1,000-run sweep embeds 100 per run (docs/decisions.md, "Chart point
 * budget and rounding").
 */
export const REPORT_SAMPLE_BUDGET = 100_000;

/**
 * Content-Security-Policy of the report: inline script and style only, images only as data:
 * URLs, nothing fetched from anywhere (no network, not even other local files).
 */
export const REPORT_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/**
 * Renders a sweep report as ONE self-contained HTML document (a string): no network request of
 * any kind (Chart.js is inlined, no fonts or images are loaded; the CSP above forbids it).
 *
 * Layout: a header (title, sweep name and id, dates, run counts by status, machine), then the
 * verdict (`<section id="verdict">`, verdictSectionHtml: the sentences of `schedbench summary`,
 * capacity verdicts first), then one section per workload with latency-vs-rate charts (E2E and
 * TTFT: solid mean, dashed p99), throughput vs rate (with the fluid Throughput* line when
 * ReportData.fluid has the workload; at a single rate a short segment of it, see report-charts.ts), the
 * fluid stability limit as a vertical line, points with unstable runs as crosses, a
 * stability summary (`table.stable-rates`: per policy the largest rate whose runs were all
 * stable, and the fluid limit), TTFT and E2E CDFs with a rate selector, for runs on a cluster of
 * replicas each replica's share of the work (replicaLoadsHtml), and a table of all its
 * runs with their stability verdict and every metric (failed runs with their error); then the
 * machine details and the spec YAML.
 * Only runs with status `done` and metrics appear in charts. Each canvas has a `data-chart`
 * attribute `<kind>:<workload>` (kinds: latency-e2e, latency-ttft, throughput, cdf-ttft, cdf-e2e).
 *
 * The input is embedded as JSON in `<script type="application/json" id="report-data">` (latency
 * samples downsampled to the sample budget, REPORT_SAMPLE_BUDGET over the runs and at most
 * REPORT_MAX_SAMPLES per run and metric, and rounded to CHART_SIGNIFICANT_DIGITS), the chart model
 * in `#report-charts`; all user text is HTML-escaped.
 *
 * @param options.verdicts the verdicts to state (a sweep's `sweeps.summary`: its paired verdicts,
 *   its capacity verdicts and notes); omitted, the paired verdicts of `data.runs` (sweepVerdicts),
 *   which are the summary's own when the runs are a whole sweep (capacity verdicts need the
 *   sweep's plan, which a report cannot replay)
 * @throws Error when Chart.js cannot be found (see chartJsSource)
 */
export function renderHtmlReport(data: ReportData, options: { verdicts?: ReportVerdicts } = {}): string {
  const model = buildReportCharts(data);
  const verdicts = options.verdicts ?? { verdicts: sweepVerdicts(data.runs), notes: [] };
  const labels = runLabels(data.runs);
  const runs = [...data.runs].sort((a, b) => a.id - b.id);
  const counts = countByStatus(runs);
  const embedded: ReportData = { ...data, distributions: embeddedDistributions(data.distributions) };
  const workloadSections = model.workloads
    .map((charts, i) =>
      workloadSection(
        charts,
        i,
        runs.filter((run) => run.workload === charts.workload),
        labels,
        model.colors,
      ),
    )
    .join('\n');
  const title = escapeHtml(data.title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(REPORT_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Schedbench">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<p class="meta">Sweep <strong>${escapeHtml(data.sweep.name)}</strong> (id ${data.sweep.id}) &middot; created ${escapeHtml(data.sweep.createdAt)} &middot; report generated ${escapeHtml(data.generatedAt)} &middot; machine <strong>${escapeHtml(data.machine.name)}</strong></p>
<p class="counts">${runs.length} runs: <span class="status-done">${counts.done} done</span>, <span class="status-failed">${counts.failed} failed</span>${counts.queued + counts.running > 0 ? `, ${counts.running} running, ${counts.queued} queued` : ''}</p>
<nav><ul><li><a href="#verdict">Verdict</a></li>${model.workloads.map((w, i) => `<li><a href="#workload-${i}">${escapeHtml(w.workload)}</a></li>`).join('')}<li><a href="#machine">Machine</a></li><li><a href="#spec">Sweep spec</a></li></ul></nav>
</header>
<main>
${verdictSectionHtml(verdicts)}
${workloadSections}
${machineSection(data)}
<section id="spec">
<h2>Sweep spec</h2>
<pre class="spec">${escapeHtml(data.sweep.specYaml)}</pre>
</section>
</main>
<footer>Generated by Schedbench. This file is self-contained: it loads nothing from the network.</footer>
<script type="application/json" id="report-data">${jsonForScript(embedded)}</script>
<script type="application/json" id="report-charts">${jsonForScript(model)}</script>
<script>${chartJsSource()}</script>
<script>${REPORT_CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

function countByStatus(runs: readonly ReportRun[]): Record<ReportRun['status'], number> {
  const counts = { queued: 0, running: 0, done: 0, failed: 0 };
  for (const run of runs) counts[run.status] += 1;
  return counts;
}

/**
 * The distributions as the report embeds them: per run at most pointsPerSeries(runs,
 * REPORT_MAX_SAMPLES, REPORT_SAMPLE_BUDGET) evenly spaced order statistics (min and max kept),
 * rounded to CHART_SIGNIFICANT_DIGITS, with `finished` set to the number of completed requests
 * they stand for whenever it differs from their count.
 */
function embeddedDistributions(distributions: ReportData['distributions']): ReportData['distributions'] {
  const entries = Object.entries(distributions);
  const perRun = pointsPerSeries(entries.length, REPORT_MAX_SAMPLES, REPORT_SAMPLE_BUDGET);
  const out: ReportData['distributions'] = {};
  for (const [id, dist] of entries) {
    const shrink = (samples: number[]): number[] =>
      roundAll(samples.length > perRun ? downsampleSamples(samples, perRun) : samples);
    const ttft = shrink(dist.ttft);
    const e2e = shrink(dist.e2e);
    const cut = ttft.length < dist.ttft.length || e2e.length < dist.e2e.length;
    out[Number(id)] =
      dist.finished === undefined && !cut
        ? { ttft, e2e }
        : { ttft, e2e, finished: dist.finished ?? Math.max(dist.ttft.length, dist.e2e.length) };
  }
  return out;
}

function workloadSection(
  charts: WorkloadCharts,
  index: number,
  runs: ReportRun[],
  labels: Map<number, string>,
  colors: Record<string, string>,
): string {
  const failed = runs.filter((run) => run.status === 'failed').length;
  const parts = [
    `<section class="workload" id="workload-${index}">`,
    `<h2>Workload <span class="name">${escapeHtml(charts.workload)}</span></h2>`,
    `<p class="meta">${runs.length} runs, ${charts.chartedRuns} charted${failed > 0 ? `, ${failed} failed` : ''}.</p>`,
  ];
  if (charts.rateCharts.length === 0) {
    parts.push('<p class="note">No completed run of this workload: nothing to chart.</p>');
  } else {
    parts.push('<div class="chart-grid">', ...charts.rateCharts.map(chartBox), '</div>');
    if (charts.multiSeed) {
      parts.push(
        '<p class="note">Where several seeds ran at the same policy and rate, the point is their mean and the vertical bar spans their minimum to maximum.</p>',
      );
    }
    if (charts.unstableRuns > 0) {
      parts.push(
        `<p class="note unstable-note">A cross (&times;) marks a point with a run judged unstable (${charts.unstableRuns} run${charts.unstableRuns === 1 ? '' : 's'} here): the number of requests in system grew significantly over the arrival window (95 % confidence; see docs/metrics.md, Stability).</p>`,
      );
    }
    if (charts.fluid) parts.push(`<p class="note fluid-note">${escapeHtml(charts.fluid.note)}</p>`);
    parts.push(stabilitySummary(charts, colors));
    if (charts.cdfSelector) {
      const { group, options, selected } = charts.cdfSelector;
      const optionHtml = options
        .map(
          (key) =>
            `<option value="${escapeHtml(key)}"${key === selected ? ' selected' : ''}>${escapeHtml(key === TRACE_RATE_LABEL ? "trace's own timing" : `${key} req/s`)}</option>`,
        )
        .join('');
      parts.push(
        `<div class="cdf-controls"><label>Latency CDFs at arrival rate <select data-cdf-group="${escapeHtml(group)}">${optionHtml}</select></label></div>`,
        '<div class="chart-grid">',
        ...charts.cdfCharts.map(chartBox),
        '</div>',
      );
    } else {
      parts.push('<p class="note">No latency samples were stored for this workload: no CDFs.</p>');
    }
  }
  parts.push(replicaLoadsHtml(runs, labels));
  parts.push('<h3>Runs</h3>', runsTables(runs, labels, colors), '</section>');
  return parts.join('\n');
}

/**
 * Per policy label, the largest arrival rate whose runs were all stable, and the fluid limit.
 */
function stabilitySummary(charts: WorkloadCharts, colors: Record<string, string>): string {
  const limit = charts.fluid?.maxStableRateRps ?? null;
  const rows = charts.stableRates.map((summary) => {
    const color = colors[summary.policy] ?? '#888888';
    return `<tr><td class="policy"><span class="swatch" style="background:${escapeHtml(color)}"></span>${escapeHtml(summary.policy)}</td><td class="num">${escapeHtml(largestStableText(summary))}</td><td>${escapeHtml(stableRateDetail(summary))}</td></tr>`;
  });
  const fluidRow =
    limit === null
      ? ''
      : `<tr class="fluid-limit"><td>fluid benchmark</td><td class="num">${escapeHtml(formatNumber(limit))}</td><td>stability limit of the type mix (arXiv 2504.11320v2 §3)</td></tr>`;
  return `<h3>Stability</h3>
<table class="stable-rates"><thead><tr><th scope="col">policy</th><th scope="col">largest stable rate (offered req/s)</th><th scope="col"></th></tr></thead><tbody>
${[...rows, fluidRow].filter((row) => row !== '').join('\n')}
</tbody></table>
<p class="note">Largest stable rate: the highest rate at which every run of the policy (all seeds) was judged stable, with no unstable run at a lower rate; given as the rate its runs offered (arrivals generated per second), with the nominal rate of the spec beside it when they differ. For a search to a set precision, give the workload <code>rate: {search: {min, max}}</code> and run <code>schedbench capacity</code>.</p>`;
}

/** The largest-stable-rate cell: the rate, `>= rate` when nothing tested was unstable, or `none`. */
function largestStableText(summary: StableRateSummary): string {
  if (summary.largestStableRate === null) return summary.firstUnstableRate === null ? '-' : 'none';
  const rate = formatNumber(summary.largestStableOfferedRate ?? summary.largestStableRate);
  return summary.firstUnstableRate === null && summary.largestStableRate === summary.maxTestedRate
    ? `\u2265 ${rate}`
    : rate;
}

/** The sentence beside the largest stable rate. */
function stableRateDetail(summary: StableRateSummary): string {
  if (summary.judged === 0)
    return 'not judged: every run was too short to judge or stored before stability detection';
  const parts: string[] = [];
  const offered = summary.largestStableOfferedRate;
  if (
    offered !== null &&
    summary.largestStableRate !== null &&
    formatNumber(offered) !== formatNumber(summary.largestStableRate)
  ) {
    parts.push(`nominal ${formatNumber(summary.largestStableRate)} req/s`);
  }
  if (summary.firstUnstableRate === null) {
    parts.push(
      summary.largestStableRate === summary.maxTestedRate
        ? 'stable at every rate tested'
        : `no unstable run; runs above ${formatNumber(summary.largestStableRate)} req/s were not judged`,
    );
  } else {
    parts.push(`unstable from ${formatNumber(summary.firstUnstableRate)} req/s`);
    if (summary.stableAgainRate !== null) {
      parts.push(`stable again at ${formatNumber(summary.stableAgainRate)} req/s (close to the limit)`);
    }
  }
  if (summary.judged < summary.runs) parts.push(`${summary.runs - summary.judged} run(s) not judged`);
  return parts.join('; ');
}

function chartBox(spec: ChartSpec): string {
  return `<figure class="chart-box"><div class="canvas-wrap"><canvas id="${escapeHtml(spec.canvasId)}" data-chart="${escapeHtml(spec.name)}" role="img" aria-label="${escapeHtml(spec.title)}">${escapeHtml(spec.title)}</canvas></div></figure>`;
}

/** Metric columns per printed table: the full table is too wide for a page, so print splits it. */
const PRINT_METRICS_PER_TABLE = 10;

/**
 * The runs table on screen (every column, scrolls sideways), and for print the same rows split
 * into tables of PRINT_METRICS_PER_TABLE metric columns each, so nothing is cut off the page.
 */
function runsTables(runs: ReportRun[], labels: Map<number, string>, colors: Record<string, string>): string {
  const screen = runsTable(runs, labels, colors, METRIC_KEYS, { print: false, errors: true });
  const printed: string[] = [];
  for (let i = 0; i < METRIC_KEYS.length; i += PRINT_METRICS_PER_TABLE) {
    const keys = METRIC_KEYS.slice(i, i + PRINT_METRICS_PER_TABLE);
    printed.push(runsTable(runs, labels, colors, keys, { print: true, errors: i === 0 }));
  }
  return [screen, ...printed].join('\n');
}

function runsTable(
  runs: ReportRun[],
  labels: Map<number, string>,
  colors: Record<string, string>,
  metricKeys: readonly MetricKey[],
  options: { print: boolean; errors: boolean },
): string {
  const identity = [
    'id',
    'policy',
    ...(options.print ? [] : ['params']),
    'seed',
    'rate (req/s)',
    'status',
    'stable',
  ];
  const columnCount = identity.length + metricKeys.length;
  const head = [...identity, ...metricKeys]
    .map((col) => `<th scope="col">${escapeHtml(col).replace(/_/g, '_<wbr>')}</th>`)
    .join('');
  const body = runs.map((run) => {
    const label = labels.get(run.id) ?? run.policy;
    const color = colors[label] ?? '#888888';
    const cells = [
      `<td class="num">${run.id}</td>`,
      `<td class="policy"><span class="swatch" style="background:${escapeHtml(color)}"></span>${escapeHtml(label)}</td>`,
      ...(options.print
        ? []
        : [`<td class="params">${escapeHtml(stableJson(run.params)).replace(/,/g, ',<wbr>')}</td>`]),
      `<td class="num">${run.seed}</td>`,
      `<td class="num">${escapeHtml(run.rate === null ? TRACE_RATE_LABEL : formatNumber(run.rate))}</td>`,
      `<td class="status"><span class="status-${escapeHtml(run.status)}">${escapeHtml(run.status)}</span></td>`,
      stableCell(run),
      ...metricKeys.map(
        (key) => `<td class="num">${escapeHtml(formatNumber(run.metrics ? run.metrics[key] : null))}</td>`,
      ),
    ];
    let html = `<tr class="run run-${escapeHtml(run.status)}">${cells.join('')}</tr>`;
    if (options.errors && run.error !== null) {
      html += `<tr class="error-row"><td colspan="${columnCount}"><strong>Run ${run.id} error:</strong> ${escapeHtml(run.error)}</td></tr>`;
    }
    return html;
  });
  const wrapClass = options.print ? 'print-only' : 'screen-only';
  return `<div class="table-wrap ${wrapClass}"><table class="${options.print ? 'runs-print' : 'runs'}"><thead><tr>${head}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table></div>`;
}

/** The runs table's `stable` cell: yes / no / -, with the verdict's reason as its tooltip. */
function stableCell(run: ReportRun): string {
  const text = run.stable === null ? '-' : run.stable ? 'yes' : 'no';
  const title = run.stability?.reason ?? (run.status === 'done' ? 'not judged' : '');
  const cls = run.stable === null ? 'stable-none' : run.stable ? 'stable-yes' : 'stable-no';
  return `<td class="stable ${cls}"${title ? ` title="${escapeHtml(title)}"` : ''}>${text}</td>`;
}

function machineSection(data: ReportData): string {
  const rows = Object.entries(data.machine.details)
    .map(
      ([key, value]) =>
        `<tr><th scope="row">${escapeHtml(key)}</th><td>${escapeHtml(String(value))}</td></tr>`,
    )
    .join('');
  return `<section id="machine">
<h2>Machine <span class="name">${escapeHtml(data.machine.name)}</span></h2>
<p>${escapeHtml(data.machine.description)}</p>
${rows ? `<table class="details"><tbody>${rows}</tbody></table>` : ''}
</section>`;
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 16px 24px 32px; color: #222; background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 24px; margin: 8px 0; }
h2 { font-size: 20px; margin: 28px 0 6px; border-bottom: 2px solid #e3e3e3; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.meta, .note, footer { color: #555; }
.note { font-size: 13px; margin: 6px 0; }
.counts { font-weight: 600; }
.status-done { color: #2e7d32; }
.status-failed { color: #c62828; }
td.stable-no { color: #c62828; font-weight: 600; }
table.stable-rates { border-collapse: collapse; font-size: 13px; }
table.stable-rates th, table.stable-rates td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid #eee; }
table.stable-rates td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.stable-rates tr.fluid-limit td { color: #555; font-style: italic; }
table.replica-loads { border-collapse: collapse; font-size: 13px; }
table.replica-loads th, table.replica-loads td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid #eee; }
table.replica-loads td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
nav ul { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
nav a { color: #1f5fa8; }
.chart-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 14px; margin: 10px 0; }
.chart-box { margin: 0; padding: 8px; border: 1px solid #ddd; border-radius: 6px; background: #fff;
  break-inside: avoid; page-break-inside: avoid; }
.canvas-wrap { position: relative; height: 340px; }
.cdf-controls { margin: 14px 0 0; }
.cdf-controls select { font: inherit; padding: 2px 4px; }
.table-wrap { overflow-x: auto; }
table.runs, table.runs-print { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
table.runs th, table.runs td, table.runs-print th, table.runs-print td { border: 1px solid #ddd; padding: 3px 6px; vertical-align: top; }
table.runs thead th, table.runs-print thead th { background: #f3f3f3; font-weight: 600; text-align: left; min-width: 4em; }
table.runs td.num, table.runs-print td.num { text-align: right; white-space: nowrap; }
table.runs td.params { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; min-width: 12em; max-width: 26em; overflow-wrap: break-word; }
table.runs td.policy, table.runs-print td.policy { white-space: nowrap; }
table.runs tr.run-failed td, table.runs-print tr.run-failed td { background: #fdecea; }
table.runs tr.error-row td, table.runs-print tr.error-row td { background: #fdecea; color: #8e1b1b; white-space: pre-wrap; overflow-wrap: anywhere; }
.print-only { display: none; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
table.details { border-collapse: collapse; }
table.details th, table.details td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid #eee; }
pre.spec { background: #f6f8fa; border: 1px solid #ddd; border-radius: 6px; padding: 12px; overflow-x: auto;
  font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
footer { margin-top: 32px; font-size: 12px; }
#verdict ul.verdicts { margin: 6px 0 10px; padding-left: 20px; }
#verdict ul.verdicts li { margin: 3px 0; }
#verdict ul.verdicts-capacity li { font-weight: 600; }
@media print {
  @page { margin: 12mm; }
  body { max-width: none; padding: 0; font-size: 11px; }
  nav { display: none; }
  .cdf-controls select { border: none; appearance: none; padding: 0; font-weight: 600; }
  .chart-grid { display: block; }
  .chart-box { display: inline-block; width: 49%; margin: 0 0 8px; vertical-align: top; border: none; }
  .canvas-wrap { height: 300px; }
  section.workload + section.workload { break-before: page; }
  #verdict ul.verdicts li { break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .screen-only { display: none; }
  .print-only { display: block; }
  .table-wrap { overflow: visible; margin-bottom: 10px; }
  table.runs-print { font-size: 8px; width: 100%; }
  table.runs-print thead { display: table-header-group; }
  table.runs-print tr { break-inside: avoid; page-break-inside: avoid; }
  .swatch { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  table.runs-print tr.run-failed td, table.runs-print tr.error-row td { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  pre.spec { white-space: pre-wrap; overflow-wrap: anywhere; }
}
`;
