import type { DatasetOut } from '../../../runner/api/api-contract.js';
import { createHistogramChart } from '../charts/histogram-chart.js';
import { createLineChart } from '../charts/line-chart.js';
import { h } from '../dom.js';
import { formatDate, formatDuration, formatNumber } from '../format.js';
import { routeHash } from '../router.js';
import { yamlFlow, type YamlValue } from '../sweeps/spec-yaml.js';

/** Colors of the prompt and output histograms and of the rate line (Tableau 10, as the charts). */
const PROMPT_COLOR = '#4e79a7';
const OUTPUT_COLOR = '#f28e2b';
const RATE_COLOR = '#59a14f';

/**
 * One dataset in full: where it comes from, its statistics, the histograms of its prompt and
 * output tokens, its arrival rate over time (traces), the workload entry that uses it in a spec,
 * a link to a new sweep on it, and for an imported dataset a Remove button (`onRemove`).
 * Returns the element and `destroy` for its charts.
 */
export function datasetDetail(
  d: DatasetOut,
  onRemove: (d: DatasetOut) => void,
): { element: HTMLElement; destroy(): void } {
  const charts: { destroy(): void }[] = [];
  const grid = h('div', { class: 'chart-grid' });
  const card = (name: string, title: string, note: string): HTMLCanvasElement => {
    const canvas = h('canvas', { 'data-chart': name, role: 'img', 'aria-label': title });
    grid.appendChild(
      h(
        'article',
        { class: 'chart-card', 'data-card': name },
        h('header', {}, h('h3', {}, title), h('small', {}, note)),
        h('div', { class: 'chart-box' }, canvas),
      ),
    );
    return canvas;
  };
  const entry = Object.entries(d.workload)
    .map(([key, value]) => `${key}: ${yamlFlow(value as YamlValue)}`)
    .join('\n');
  const element = h(
    'article',
    { class: 'dataset-detail', 'data-dataset': d.name },
    h(
      'header',
      {},
      h('h2', {}, d.label, ' ', h('small', { class: 'chip' }, d.kind === 'trace' ? 'trace' : 'lengths only')),
      h('p', { class: 'hint' }, d.description),
    ),
    d.problem
      ? h('p', { class: 'bad', 'data-problem': '' }, `This dataset cannot be read: ${d.problem}`)
      : null,
    d.summary ? statsTable(d) : null,
    grid,
    h(
      'section',
      {},
      h('h3', {}, 'In a sweep spec'),
      h(
        'p',
        { class: 'hint' },
        d.kind === 'trace'
          ? 'A workload entry; add `rate: [2, 4]` to rescale the arrivals to those mean rates (omit it to replay the trace as recorded).'
          : 'A workload entry; a length file needs arrivals, e.g. `arrival: { process: poisson, rate: [2, 4] }`.',
      ),
      h('pre', { class: 'workload-entry' }, `- name: ${d.name}\n  ${entry.replace(/\n/g, '\n  ')}`),
      h(
        'p',
        {},
        h(
          'a',
          { href: routeHash('sweeps', { dataset: d.name }), role: 'button', 'data-action': 'new-sweep' },
          'New sweep with this dataset',
        ),
        d.builtIn
          ? null
          : h(
              'button',
              {
                type: 'button',
                class: 'secondary outline remove-dataset',
                'data-action': 'remove-dataset',
                onclick: () => onRemove(d),
              },
              'Remove from the list',
            ),
      ),
      d.importedFrom
        ? h(
            'p',
            { class: 'hint' },
            `Imported ${formatDate(d.importedAt)} from ${d.importedFrom}; stored as ${d.path}.`,
          )
        : h('p', { class: 'hint' }, `File: ${d.path}`),
    ),
  );
  const s = d.summary;
  if (s) {
    charts.push(
      createHistogramChart(
        card('prompt-histogram', 'Prompt tokens', 'requests per bin (bins about √2 apart)'),
        {
          name: 'prompt-histogram',
          xTitle: 'Prompt tokens',
          yTitle: 'Requests',
          edges: s.promptTokens.histogram.edges,
          counts: s.promptTokens.histogram.counts,
          color: PROMPT_COLOR,
        },
      ),
      createHistogramChart(
        card('output-histogram', 'Output tokens', 'requests per bin (bins about √2 apart)'),
        {
          name: 'output-histogram',
          xTitle: 'Output tokens',
          yTitle: 'Requests',
          edges: s.outputTokens.histogram.edges,
          counts: s.outputTokens.histogram.counts,
          color: OUTPUT_COLOR,
        },
      ),
    );
    const a = s.arrival;
    if (a) {
      charts.push(
        createLineChart(
          card(
            'arrival-rate',
            'Arrival rate',
            `arrivals per second in ${formatNumber(a.binS)} s bins, as recorded`,
          ),
          {
            name: 'arrival-rate',
            title: 'Arrival rate',
            xTitle: 'Time since the first arrival (s)',
            yTitle: 'Requests per second',
            legend: false,
            series: [
              {
                label: 'arrival rate',
                color: RATE_COLOR,
                points: a.tS.map((t, i) => ({ x: t, y: a.rateRps[i] })),
              },
            ],
          },
        ),
      );
    }
  }
  return { element, destroy: () => charts.forEach((c) => c.destroy()) };
}

/** Requests, percentiles of both token counts and, for a trace, duration, rates and burstiness. */
function statsTable(d: DatasetOut): HTMLElement {
  const s = d.summary!;
  const row = (label: string, t: typeof s.promptTokens) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, label),
      [t.min, t.mean, t.p50, t.p90, t.p99, t.max].map((v) => h('td', {}, formatNumber(v))),
    );
  const a = s.arrival;
  const zeros =
    s.zeroPromptRows + s.zeroOutputRows > 0
      ? `; ${s.zeroPromptRows} prompt and ${s.zeroOutputRows} output counts of 0 are read as 1`
      : '';
  return h(
    'div',
    { class: 'dataset-stats' },
    h(
      'p',
      {},
      h('strong', { 'data-stat': 'requests' }, s.requests.toLocaleString('en-US')),
      ' requests',
      a
        ? [
            ' over ',
            h('strong', {}, formatDuration(a.durationS)),
            ', mean rate ',
            h('strong', { 'data-stat': 'mean-rate' }, formatNumber(a.meanRateRps)),
            ' req/s, peak ',
            formatNumber(a.peakRateRps),
            ` req/s (${formatNumber(a.binS)} s bins), inter-arrival CV `,
            h(
              'strong',
              { title: '1 for Poisson arrivals; above 1 is burstier' },
              formatNumber(a.interArrivalCv),
            ),
          ]
        : ' (no arrival times: pair it with an arrival process)',
      zeros,
      '.',
    ),
    h(
      'table',
      { class: 'striped compact' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'tokens'),
          ['min', 'mean', 'p50', 'p90', 'p99', 'max'].map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h('tbody', {}, row('prompt', s.promptTokens), row('output', s.outputTokens)),
    ),
  );
}
