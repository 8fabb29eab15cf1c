import type { CompareOut } from '../../../runner/api/api-contract.js';
import { createLineChart, type LineChartSpec } from '../charts/line-chart.js';
import { compareCharts } from '../compare/compare-charts.js';
import {
  metricTableHtml,
  paramTableHtml,
  TABLE_PAGE_SIZE,
  tablePage,
  tablePages,
} from '../compare/compare-tables.js';
import { h, replace } from '../dom.js';
import { downloadText } from '../download.js';
import type { Page } from '../page.js';
import { parseIds, routeHash } from '../router.js';

/** Points per run asked of runs.compare: about 40,000 per chart line set, 50 to 2,000 per run. */
export function comparePointsPerRun(runs: number): number {
  return Math.max(50, Math.min(2000, Math.floor(10_000 / Math.max(1, runs))));
}

/** Most configurations named in the shared legend. */
const LEGEND_MAX = 40;

/**
 * The Compare page, `#/compare?runs=1,2,3[&baseline=2]`: `runs.compare` for the runs, a
 * baseline selector, the parameters that differ, the metrics with their change against the
 * baseline and their seed spread, and the charts (one canvas each, `data-chart` names them).
 * Exports: the runner's HTML report and CSV (`export.report`, downloaded), PDF by printing.
 *
 * When everything is drawn the page root gets `data-compare-state="ready"` and
 * `data-render-ms` (milliseconds from the page's start to the last chart drawn), then, once
 * painted, `data-painted-at`; the tests and bench/compare-render-bench.ts wait for them.
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
  const baselineSelect = h('select', { name: 'baseline', 'aria-label': 'Baseline run', disabled: true });
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
    downloadText(file.filename, file.mime, file.content);
  };
  const params = h('div', { class: 'scroll-box params-box' });
  const metrics = h('div', { class: 'scroll-box metrics-box' });
  const pager = h('div', { class: 'table-pager', hidden: true });
  const legend = h('ul', { class: 'series-legend' });
  const grid = h('div', { class: 'chart-grid' });
  const body = h(
    'div',
    { class: 'compare-body', 'aria-busy': 'true' },
    pager,
    h('section', {}, h('h2', {}, 'Parameters that differ'), params),
    h(
      'section',
      {},
      h('h2', {}, 'Metrics'),
      h(
        'p',
        { class: 'hint' },
        'Change against the baseline in percent: green better, red worse, grey for metrics without a direction; \u00b1 the seed-to-seed standard deviation among the compared runs of the same configuration.',
      ),
      metrics,
    ),
    h('section', { class: 'charts' }, h('h2', {}, 'Charts'), legend, grid),
  );
  ctx.root.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      title,
      h('label', { class: 'baseline-picker' }, 'Baseline ', baselineSelect),
      h(
        'div',
        { class: 'toolbar no-print' },
        exportButton('HTML report', 'export-html', () => exportAs('html')),
        exportButton('CSV', 'export-csv', () => exportAs('csv')),
        exportButton('PDF', 'export-pdf', () => window.print()),
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

  // The tables show the baseline and a page of the other runs (charts show every run).
  let current = out;
  let page = 0;
  const renderTables = (data: CompareOut): void => {
    current = data;
    const pages = tablePages(data);
    page = Math.min(page, pages - 1);
    const shown = tablePage(data, page);
    params.innerHTML = paramTableHtml(data, shown);
    metrics.innerHTML = metricTableHtml(data, shown);
    pager.hidden = pages <= 1;
    if (pages > 1) {
      const others = data.runs.length - 1;
      const first = page * (TABLE_PAGE_SIZE - 1) + 1;
      replace(
        pager,
        h(
          'span',
          { class: 'pager-text' },
          `Tables: the baseline and runs ${first}–${first + shown.length - 2} of the ${others} others (page ${page + 1} of ${pages}); the charts show all ${data.runs.length}.`,
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary outline small',
            'data-action': 'page-prev',
            disabled: page === 0,
            onclick: () => turn(-1),
          },
          '◀ Previous',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary outline small',
            'data-action': 'page-next',
            disabled: page >= pages - 1,
            onclick: () => turn(1),
          },
          'Next ▶',
        ),
      );
    }
  };
  const turn = (step: number): void => {
    page += step;
    renderTables(current);
  };
  performance.mark('schedbench:compare-data');
  renderTables(out);
  performance.mark('schedbench:compare-tables');
  for (const run of out.runs) {
    baselineSelect.appendChild(
      h(
        'option',
        { value: String(run.id), selected: run.id === out.baselineId },
        `#${run.id} ${run.policy} ${run.workload} rate=${run.rate ?? 'trace'} seed=${run.seed}`,
      ),
    );
  }
  baselineSelect.disabled = out.runs.length < 2;
  baselineSelect.addEventListener('change', () => {
    const baselineId = Number(baselineSelect.value);
    history.replaceState(
      null,
      '',
      routeHash('compare', { runs: runIds.join(','), baseline: String(baselineId) }),
    );
    metrics.setAttribute('aria-busy', 'true');
    // Only the tables change: the smallest chart data suffices.
    ctx.api
      .call('runs.compare', { runIds, baselineId, maxPointsPerRun: 10 })
      .then((fresh) => ctx.active && renderTables(fresh))
      .catch((e: unknown) => ctx.showError(e, 'changing the baseline'))
      .finally(() => metrics.removeAttribute('aria-busy'));
  });

  const charts = compareCharts(out);
  const names = [...charts.colors.keys()];
  replace(
    legend,
    ...names
      .slice(0, LEGEND_MAX)
      .map((name) =>
        h('li', {}, h('span', { class: 'swatch', 'data-color': charts.colors.get(name) }), name),
      ),
    names.length > LEGEND_MAX ? h('li', {}, `and ${names.length - LEGEND_MAX} more`) : null,
  );
  // Swatch colors through the CSSOM (no inline style attributes in the markup).
  for (const swatch of legend.querySelectorAll<HTMLElement>('.swatch')) {
    swatch.style.backgroundColor = swatch.dataset.color ?? '';
  }
  body.removeAttribute('aria-busy');

  const drawn: { destroy(): void }[] = [];
  ctx.onDispose(() => drawn.forEach((chart) => chart.destroy()));
  const place = (grid: HTMLElement, spec: LineChartSpec): void => {
    const points = spec.series.reduce((n, s) => n + s.points.length, 0);
    const card = h(
      'article',
      { class: 'chart-card', 'data-card': spec.name },
      h('header', {}, h('h3', {}, spec.title), spec.note ? h('small', {}, spec.note) : null),
    );
    grid.appendChild(card);
    if (points === 0) {
      card.appendChild(h('p', { class: 'note' }, 'No data for these runs.'));
      return;
    }
    const canvas = h('canvas', { 'data-chart': spec.name, role: 'img', 'aria-label': spec.title });
    card.appendChild(h('div', { class: 'chart-box' }, canvas));
    drawn.push(createLineChart(canvas, spec));
  };
  charts.charts.forEach((spec) => place(grid, spec));

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
};
