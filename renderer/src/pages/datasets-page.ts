import type { DatasetOut } from '../../../runner/api/api-contract.js';
import { datasetDetail } from '../datasets/dataset-detail.js';
import { TraceImportPanel } from '../datasets/trace-import-panel.js';
import { h, replace } from '../dom.js';
import { formatDuration, formatNumber } from '../format.js';
import type { Page } from '../page.js';
import { routeHash } from '../router.js';

/**
 * The Datasets page, `#/datasets[?name=NAME]` (`datasets.list`): every dataset a workload can
 * use, the built-in traces and length files and the user's imported traces, with their size and
 * token percentiles; the chosen one in full (histograms, arrival rate, its spec entry); and the
 * import of a new trace with a column mapping (TraceImportPanel).
 */
export const datasetsPage: Page = async (ctx) => {
  const listBox = h('div', { class: 'scroll-box', 'aria-busy': 'true' });
  const detailBox = h('div', { class: 'dataset-detail-box' });
  let destroyDetail = (): void => undefined;
  ctx.onDispose(() => destroyDetail());

  const importPanel = new TraceImportPanel(ctx.api, {
    imported: (dataset) => {
      ctx.navigate(routeHash('datasets', { name: dataset.name }));
    },
    showError: (e, context) => ctx.showError(e, context),
  });
  ctx.root.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Datasets')),
    h(
      'p',
      { class: 'hint' },
      'The workloads a sweep can replay or draw lengths from. Built-in ones ship in data/ (data/README.md: origin, license, checksums); imported traces are copied beside the database.',
    ),
    listBox,
    detailBox,
    importPanel.element,
  );

  const datasets = await ctx.api.call('datasets.list', {});
  if (!ctx.active) return;
  const chosen = datasets.find((d) => d.name === ctx.route.params.get('name')) ?? datasets[0];
  listBox.removeAttribute('aria-busy');
  replace(listBox, datasetsTable(datasets, chosen?.name));
  listBox.dataset.ready = '';
  if (chosen) {
    const detail = datasetDetail(chosen, (d) => {
      const question = `Remove the imported dataset "${d.name}" from the list? Its copy is deleted unless a stored sweep still needs it; the results of runs on it stay.`;
      if (!window.confirm(question)) return;
      ctx.api
        .call('datasets.remove', { name: d.name })
        .then(() => ctx.navigate(routeHash('datasets')))
        .catch((e: unknown) => ctx.showError(e, `removing ${d.name}`));
    });
    destroyDetail = detail.destroy.bind(detail);
    replace(detailBox, detail.element);
  }
};

/** One row per dataset; a row links to its detail, the chosen one is marked. */
function datasetsTable(datasets: DatasetOut[], chosen: string | undefined): HTMLElement {
  const cell = (value: number | null | undefined) => h('td', { class: 'num' }, formatNumber(value ?? null));
  return h(
    'table',
    { class: 'datasets striped' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        [
          'Dataset',
          'Kind',
          'Requests',
          'Duration',
          'Mean rate (req/s)',
          'Prompt p50',
          'Prompt p99',
          'Output p50',
          'Output p99',
          'Source',
        ].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      datasets.map((d) => {
        const s = d.summary;
        return h(
          'tr',
          { 'data-dataset': d.name, class: d.name === chosen ? 'chosen' : '' },
          h('th', { scope: 'row' }, h('a', { href: routeHash('datasets', { name: d.name }) }, d.label)),
          h('td', {}, d.kind),
          s ? cell(s.requests) : h('td', { class: 'bad', title: d.problem ?? '' }, 'unreadable'),
          h('td', { class: 'num' }, s?.arrival ? formatDuration(s.arrival.durationS) : '-'),
          cell(s?.arrival?.meanRateRps),
          cell(s?.promptTokens.p50),
          cell(s?.promptTokens.p99),
          cell(s?.outputTokens.p50),
          cell(s?.outputTokens.p99),
          h('td', {}, d.builtIn ? 'built-in' : 'imported'),
        );
      }),
    ),
  );
}
