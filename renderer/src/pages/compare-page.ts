import type { CompareConfiguration, CompareOut } from '../../../runner/api/api-contract.js';
import { rebase } from '../../../runner/api/compare-configurations.js';
import { exportFileName } from '../../../runner/reports/export-file-name.js';
import { createCapacityChart } from '../charts/capacity-chart.js';
import { createLineChart, setLogAxis, type LineChartSpec } from '../charts/line-chart.js';
import { capacityCharts, specHasCapacitySearch, type CapacityChart } from '../compare/compare-capacity.js';
import {
  compareCharts,
  configurationStyles,
  LOG_AXES,
  rateText,
  timeSeriesChoices,
  type CompareView,
} from '../compare/compare-charts.js';
import { configurationsAtRate, configurationTableHtml, metricTableHtml } from '../compare/compare-tables.js';
import { h, replace } from '../dom.js';
import { printReport, saveExport } from '../download.js';
import type { Page } from '../page.js';
import { parseIds, routeHash } from '../router.js';

/** Points per run asked of runs.compare: about 40,000 per chart line set, 50 to 2,000 per run. */
export function comparePointsPerRun(runs: number): number {
  return Math.max(50, Math.min(2000, Math.floor(10_000 / Math.max(1, runs))));
}

/** Policies that wait by design (WAIT and Nested WAIT thresholds), with what their note says. */
const WAITING_POLICIES: Readonly<Record<string, { name: string; section: string; text: string }>> = {
  wait: {
    name: 'WAIT',
    section: 'WAIT',
    text: 'starts a request type only once at least its threshold n\u2c7c of that type wait, and otherwise pauses or idles, so its TTFT and queueing delay include that wait by design (arXiv 2504.11320v2 \u00a74): a trade of latency at low load for throughput near the fluid limit, not a stall.',
  },
  'nested-wait': {
    name: 'Nested WAIT',
    section: 'Nested WAIT',
    text: 'runs a segment only once its entry queue reaches its threshold n\u2096, pausing later segments with their KV kept, so its TTFT and latency include that wait by design (arXiv 2504.11320v2 \u00a75): a trade of latency at low load for throughput near the fluid limit, not a stall.',
  },
};

/** The rate a URL gives (`4`, `trace`), if any. */
function parseRate(text: string | null): number | null | undefined {
  if (text === null || text === '') return undefined;
  if (text === 'trace') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The rate shown first: the URL's when the runs have it, else, among the baseline's rates, the
 * one most configurations were run at (the lowest on a tie).
 */
function initialRate(out: CompareOut, asked: number | null | undefined): number | null {
  if (asked !== undefined && out.rates.includes(asked)) return asked;
  const base = out.configurations[out.baselineConfiguration];
  const count = (rate: number | null): number =>
    out.configurations.filter((c) => c.cells.some((cell) => cell.rate === rate)).length;
  let best = base.cells[0]?.rate ?? out.rates[0] ?? null;
  for (const cell of base.cells) if (count(cell.rate) > count(best)) best = cell.rate;
  return best;
}

/**
 * The Compare page, `#/compare?runs=1,2,3[&baseline=2][&rate=4][&log=1][&series=seed-1]`:
 * `runs.compare` for the runs, grouped into configurations (every parameter but the rate and the
 * seed); a baseline CONFIGURATION (that of run `baseline`) and a rate are chosen at the top. The
 * page shows the configurations with the fields that differ between them, the metrics of every
 * configuration at the chosen rate (mean over seeds, change against the baseline configuration
 * at that same rate, seed spread, stable runs / runs), a note under policies that wait by design,
 * and the charts (one canvas each, `data-chart` names them): across rates (latency, throughput
 * with the fluid bound, the Pareto chart), the capacity searches of the runs' sweeps when they
 * have some (`sweeps.capacity`), the CDFs at the chosen rate and, for runs chosen in a selector,
 * the time series. One color per policy, one dash per machine; a log-scale toggle for the latency
 * axes; Chart.js's legend hides a line on click. Baseline, rate, log scale and time-series choice
 * change the page without asking the API again, and are kept in the URL.
 * Exports: the runner's HTML report and CSV (`export.report`: the Save dialog in the desktop app, a
 * download in a browser), PDF (printToPDF in the desktop app, the browser's print: printReport).
 * File › Save report… in the desktop app saves the HTML report too (renderer/src/main.ts).
 *
 * When everything is drawn the page root gets `data-compare-state="ready"` and
 * `data-render-ms` (milliseconds from the page's start to the last chart drawn), then, once
 * painted, `data-painted-at`; the tests and bench/compare-render-bench.ts wait for them. The
 * capacity charts come after (they need two more API calls): `data-capacity-state` is then
 * `none`, `ready` or `error`.
 */
export const comparePage: Page = async (ctx) => {
  const started = performance.now();
  const runIds = parseIds(ctx.route.params.get('runs'));
  const baselineParam = parseIds(ctx.route.params.get('baseline'))[0];
  ctx.root.dataset.compareState = 'loading';
  if (runIds.length === 0) {
    ctx.root.replaceChildren(
      h('h1', {}, 'Compare'),
      h(
        'p',
        {},
        'No runs chosen. Select runs on the ',
        h('a', { href: routeHash('runs') }, 'Runs page'),
        ' and press \u201cCompare selected\u201d.',
      ),
    );
    ctx.root.dataset.compareState = 'empty';
    return;
  }

  const title = h('h1', {}, `Compare ${runIds.length} run${runIds.length === 1 ? '' : 's'}`);
  const baselineSelect = h('select', {
    name: 'baseline',
    'aria-label': 'Baseline configuration',
    disabled: true,
  });
  const rateSelect = h('select', { name: 'rate', 'aria-label': 'Rate', disabled: true });
  const exportButton = (label: string, action: string, onclick: () => Promise<void> | void) => {
    const button: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'data-action': action,
        onclick: async () => {
          button.setAttribute('aria-busy', 'true');
          try {
            await onclick();
          } catch (e) {
            ctx.showError(e, `export (${label})`);
          } finally {
            button.removeAttribute('aria-busy');
          }
        },
      },
      label,
    );
    return button;
  };
  const exportAs = async (format: 'html' | 'csv'): Promise<void> => {
    const file = await ctx.api.call('export.report', { runIds, format });
    await saveExport(file, format);
  };
  // The sweeps of the runs, once loaded: the PDF's header and file name.
  let sweepNames: string[] = [];
  const exportPdf = async (): Promise<void> => {
    await printReport({
      title: title.textContent ?? 'Compare',
      sweep: sweepNames.join(', '),
      suggestedName: exportFileName(sweepNames, new Date(), 'pdf'),
    });
  };
  const summary = h('p', { class: 'compare-summary' });
  const configs = h('div', { class: 'wide-table compare-configs-box' });
  const metrics = h('div', { class: 'wide-table compare-metrics-box' });
  const metricsTitle = h('h2', {}, 'Metrics');
  const notes = h('div', { class: 'compare-notes' });
  const logToggle = h('input', { type: 'checkbox', name: 'log-scale', role: 'switch', disabled: true });
  const seriesSelect = h('select', { name: 'series', 'aria-label': 'Runs over time', disabled: true });
  const ratesGrid = h('div', { class: 'chart-grid', 'data-grid': 'rates' });
  const capacitySection = h(
    'section',
    { class: 'capacity-charts', hidden: true },
    h('h3', {}, 'Capacity searches'),
  );
  const capacityGrid = h('div', { class: 'chart-grid', 'data-grid': 'capacity' });
  capacitySection.appendChild(capacityGrid);
  const distributionsTitle = h('h3', {}, 'Distributions');
  const distributionsGrid = h('div', { class: 'chart-grid', 'data-grid': 'distributions' });
  const timeSeriesGrid = h('div', { class: 'chart-grid', 'data-grid': 'time-series' });
  const body = h(
    'div',
    { class: 'compare-body', 'aria-busy': 'true' },
    summary,
    h('section', {}, h('h2', {}, 'Configurations'), configs),
    h(
      'section',
      {},
      metricsTitle,
      h(
        'p',
        { class: 'hint' },
        'Each configuration at the chosen rate: the mean over its seeds, its change against the baseline configuration at the same rate in percent (green better, red worse, grey for metrics without a direction) and \u00b1 the seed-to-seed standard deviation. Choose the rate at the top.',
      ),
      metrics,
      notes,
    ),
    h(
      'section',
      { class: 'charts' },
      h(
        'div',
        { class: 'charts-head' },
        h('h2', {}, 'Charts'),
        h('label', { class: 'log-toggle no-print' }, logToggle, 'Log scale on latency axes and CDFs'),
        h(
          'small',
          { class: 'hint' },
          'One color per policy, one dash per machine, one marker per variant; click a legend entry to hide its line.',
        ),
      ),
      h('h3', {}, 'Across rates'),
      ratesGrid,
      capacitySection,
      distributionsTitle,
      distributionsGrid,
      h(
        'div',
        { class: 'series-head' },
        h('h3', {}, 'Over time'),
        h('label', { class: 'series-picker no-print' }, 'Runs ', seriesSelect),
      ),
      timeSeriesGrid,
    ),
  );
  ctx.root.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      title,
      h('label', { class: 'baseline-picker' }, 'Baseline ', baselineSelect),
      h('label', { class: 'baseline-picker rate-picker' }, 'Rate ', rateSelect),
      h(
        'div',
        { class: 'toolbar no-print' },
        exportButton('HTML report', 'export-html', () => exportAs('html')),
        exportButton('CSV', 'export-csv', () => exportAs('csv')),
        exportButton('PDF', 'export-pdf', exportPdf),
      ),
    ),
    body,
  );

  let out: CompareOut;
  try {
    out = await ctx.api.call('runs.compare', {
      runIds,
      ...(baselineParam && runIds.includes(baselineParam) ? { baselineId: baselineParam } : {}),
      maxPointsPerRun: comparePointsPerRun(runIds.length),
    });
  } catch (e) {
    body.removeAttribute('aria-busy');
    ctx.root.dataset.compareState = 'error';
    ctx.root
      .querySelectorAll<HTMLElement>('.baseline-picker, .page-head .toolbar')
      .forEach((el) => (el.hidden = true));
    body.replaceChildren(
      h('p', { class: 'note' }, 'The comparison could not be loaded (see the message above).'),
    );
    throw e;
  }
  if (!ctx.active) return;
  sweepNames = [...new Set(out.runs.map((r) => r.sweepName))];
  performance.mark('schedbench:compare-data');

  // What is shown: baseline configuration, rate, log axes, runs over time (all kept in the URL).
  const styles = configurationStyles(out);
  let baseline = out.baselineConfiguration;
  let configurations: CompareConfiguration[] = out.configurations;
  const view: CompareView = {
    rate: initialRate(out, parseRate(ctx.route.params.get('rate'))),
    timeSeriesRuns: [],
    log: ctx.route.params.get('log') === '1',
  };
  // The time-series choice: the one asked for (URL, selector) is kept in the URL; a default is not.
  let seriesAsked = ctx.route.params.get('series') ?? '';
  let seriesChoice = seriesAsked;
  const remember = (): void => {
    history.replaceState(
      null,
      '',
      routeHash('compare', {
        runs: runIds.join(','),
        baseline: String(configurations[baseline].runIds[0]),
        rate: view.rate === null ? 'trace' : String(view.rate),
        log: view.log ? '1' : undefined,
        series: seriesAsked || undefined,
      }),
    );
  };

  const n = out.configurations.length;
  replace(
    summary,
    `${out.runs.length} run${out.runs.length === 1 ? '' : 's'} in ${n} configuration${n === 1 ? '' : 's'} (policy, parameters, workload, machine) at ${out.rates.length} rate${out.rates.length === 1 ? '' : 's'}; each configuration is compared with the baseline configuration at the same rate.`,
  );
  const renderConfigurations = (): void => {
    configs.innerHTML = configurationTableHtml(out, configurations, baseline, styles);
  };
  const renderMetrics = (): void => {
    metricsTitle.textContent = `Metrics at ${rateText(view.rate)}`;
    metrics.innerHTML = metricTableHtml(configurations, baseline, view.rate, styles);
    const shown = new Set(configurationsAtRate(configurations, baseline, view.rate));
    const missing = configurations.filter((_, i) => !shown.has(i)).map((c) => c.label);
    const waiting = [...new Set(configurations.filter((_, i) => shown.has(i)).map((c) => c.policy))].filter(
      (p) => p in WAITING_POLICIES,
    );
    replace(
      notes,
      !shown.has(baseline)
        ? h(
            'p',
            { class: 'note' },
            `The baseline was not run at ${rateText(view.rate)}: no changes are shown at this rate.`,
          )
        : null,
      missing.length > 0
        ? h('p', { class: 'note' }, `Not run at ${rateText(view.rate)}: ${missing.join(', ')}.`)
        : null,
      waiting.map((policy) => {
        const w = WAITING_POLICIES[policy];
        return h(
          'p',
          { class: 'note wait-note', 'data-policy': policy },
          h('strong', {}, `${policy} waits by design. `),
          `${w.name} ${w.text} See `,
          h(
            'code',
            {
              class: 'doc-ref',
              'data-doc': `docs/paper-model.md#${w.section.toLowerCase().replace(/ /g, '-')}`,
            },
            'docs/paper-model.md',
          ),
          `, \u201c${w.section}\u201d.`,
        );
      }),
    );
  };

  // Pickers.
  for (const [i, c] of out.configurations.entries()) {
    baselineSelect.appendChild(
      h(
        'option',
        { value: String(i), selected: i === baseline },
        `${c.label} (${c.runIds.length} run${c.runIds.length === 1 ? '' : 's'})`,
      ),
    );
  }
  baselineSelect.disabled = n < 2;
  for (const rate of out.rates) {
    rateSelect.appendChild(
      h(
        'option',
        { value: rate === null ? 'trace' : String(rate), selected: rate === view.rate },
        rateText(rate),
      ),
    );
  }
  rateSelect.disabled = out.rates.length < 2;
  logToggle.checked = view.log;
  logToggle.disabled = false;

  renderConfigurations();
  renderMetrics();
  performance.mark('schedbench:compare-tables');
  body.removeAttribute('aria-busy');

  // Charts: each grid's charts are destroyed when it is drawn again and when the page is left.
  const drawn = new Map<HTMLElement, { name: string; chart: { destroy(): void } }[]>();
  ctx.onDispose(() => drawn.forEach((list) => list.forEach((d) => d.chart.destroy())));
  const card = (grid: HTMLElement, name: string, heading: string, note: string | undefined): HTMLElement => {
    const element = h(
      'article',
      { class: 'chart-card', 'data-card': name },
      h('header', {}, h('h4', {}, heading), note ? h('small', {}, note) : null),
    );
    grid.appendChild(element);
    return element;
  };
  const draw = (grid: HTMLElement, specs: LineChartSpec[]): void => {
    (drawn.get(grid) ?? []).forEach((d) => d.chart.destroy());
    grid.replaceChildren();
    const list: { name: string; chart: { destroy(): void } }[] = [];
    for (const spec of specs) {
      const element = card(grid, spec.name, spec.title, spec.note);
      const points = spec.series.reduce((sum, s) => sum + s.points.length, 0);
      if (points === 0) {
        element.appendChild(h('p', { class: 'note' }, 'No data for these runs.'));
        continue;
      }
      const canvas = h('canvas', { 'data-chart': spec.name, role: 'img', 'aria-label': spec.title });
      element.appendChild(h('div', { class: 'chart-box' }, canvas));
      list.push({ name: spec.name, chart: createLineChart(canvas, spec) });
    }
    drawn.set(grid, list);
  };
  const drawAtRate = (): void => {
    const choices = timeSeriesChoices(out, view.rate);
    const configurationsHere = new Set(configurationsAtRate(configurations, baseline, view.rate));
    if (!choices.some((c) => c.value === seriesChoice)) {
      seriesAsked = '';
      seriesChoice =
        configurationsHere.size > 1 || !choices.some((c) => c.value === `config-${baseline}`)
          ? (choices[0]?.value ?? '')
          : `config-${baseline}`;
    }
    replace(
      seriesSelect,
      choices.map((c) =>
        h(
          'option',
          { value: c.value, selected: c.value === seriesChoice },
          `${c.label} (${c.runIds.length})`,
        ),
      ),
    );
    seriesSelect.disabled = choices.length < 2;
    view.timeSeriesRuns = choices.find((c) => c.value === seriesChoice)?.runIds ?? [];
    distributionsTitle.textContent = `Distributions at ${rateText(view.rate)}`;
    const charts = compareCharts(out, view);
    draw(distributionsGrid, charts.distributions);
    draw(timeSeriesGrid, charts.timeSeries);
    return;
  };
  const all = compareCharts(out, view);
  draw(ratesGrid, all.rates);
  drawAtRate();

  baselineSelect.addEventListener('change', () => {
    baseline = Number(baselineSelect.value);
    configurations = rebase(out.configurations, baseline);
    renderConfigurations();
    renderMetrics();
    remember();
  });
  rateSelect.addEventListener('change', () => {
    view.rate = rateSelect.value === 'trace' ? null : Number(rateSelect.value);
    renderMetrics();
    drawAtRate();
    remember();
  });
  seriesSelect.addEventListener('change', () => {
    seriesChoice = seriesAsked = seriesSelect.value;
    view.timeSeriesRuns =
      timeSeriesChoices(out, view.rate).find((c) => c.value === seriesChoice)?.runIds ?? [];
    draw(timeSeriesGrid, compareCharts(out, view).timeSeries);
    remember();
  });
  logToggle.addEventListener('change', () => {
    view.log = logToggle.checked;
    for (const list of drawn.values()) {
      for (const d of list) {
        const axis = LOG_AXES[d.name];
        if (axis) setLogAxis(d.chart as Parameters<typeof setLogAxis>[0], axis, view.log);
      }
    }
    remember();
  });

  ctx.root.dataset.renderMs = String(Math.round(performance.now() - started));
  ctx.root.dataset.compareState = 'ready';
  performance.mark('schedbench:compare-ready');
  // Two frames later the charts are on screen: `data-painted-at` is that time on the page's
  // clock (milliseconds since navigation start), for bench/compare-render-bench.ts.
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      ctx.root.dataset.paintedAt = String(Math.round(performance.now()));
    }),
  );

  // Capacity searches of the runs' sweeps (sweeps.get tells which have some; sweeps.capacity).
  const capacityCards: { name: string; chart: { destroy(): void } }[] = [];
  drawn.set(capacityGrid, capacityCards);
  let failed = 0;
  for (const sweepId of new Set(out.runs.map((r) => r.sweepId))) {
    let charts: CapacityChart[];
    try {
      const sweep = await ctx.api.call('sweeps.get', { sweepId });
      if (!ctx.active) return;
      if (!specHasCapacitySearch(sweep.specYaml)) continue;
      const capacity = await ctx.api.call('sweeps.capacity', { sweepId });
      if (!ctx.active) return;
      charts = capacityCharts(out, sweepId, capacity);
    } catch (e) {
      if (!ctx.active) return;
      failed += 1;
      capacitySection.hidden = false;
      capacityGrid.appendChild(
        h(
          'p',
          { class: 'note' },
          `The capacity searches of sweep ${sweepId} could not be read: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
      continue;
    }
    for (const chart of charts) {
      const element = card(capacityGrid, chart.spec.name, chart.title, chart.note);
      const canvas = h('canvas', { 'data-chart': chart.spec.name, role: 'img', 'aria-label': chart.title });
      element.appendChild(h('div', { class: 'chart-box' }, canvas));
      capacityCards.push({ name: chart.spec.name, chart: createCapacityChart(canvas, chart.spec) });
    }
    if (charts.length > 0) capacitySection.hidden = false;
  }
  ctx.root.dataset.capacityState = failed > 0 ? 'error' : capacityCards.length === 0 ? 'none' : 'ready';
};
