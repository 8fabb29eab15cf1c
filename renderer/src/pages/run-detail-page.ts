import type { RunDetail } from '../../../runner/api/api-contract.js';
import { createLineChart, type LineChartSpec } from '../charts/line-chart.js';
import { h, replace } from '../dom.js';
import type { Page, PageContext } from '../page.js';
import { routeHash } from '../router.js';
import {
  distributionCharts,
  REQUESTS_MAX_POINTS,
  timeSeriesCharts,
} from '../run-detail/run-detail-charts.js';
import {
  metricsTables,
  replicaLoadTable,
  runFacts,
  stabilityFacts,
  verdictText,
  warningsList,
} from '../run-detail/run-facts.js';

/**
 * One run, `#/runs/ID` (`runs.get`): what it is (sweep, policy and parameters, workload, seed,
 * nominal and offered rate, machine), its status, stability verdict with its reason and warnings,
 * its metrics (latency percentiles, throughput, goodput when it had an SLO, scheduling), for a run
 * on a cluster what each replica served (replicaLoadTable), the CDFs
 * of its requests' TTFT, TPOT and E2E latency (`runs.requests`) and its time series (`runs.timeSeries`:
 * waiting and running requests, KV usage, batch mix). A run without results (queued, running,
 * failed) shows what it is and its status only; one queued or running is shown again, whole,
 * once it ends (its sweep's progress events say when).
 *
 * The page root's `data-run-state` is `loading`, then `ready` once everything is drawn, or
 * `error` when the run cannot be loaded (the banner says why); tests wait for it.
 */
export const runDetailPage: Page = async (ctx) => {
  const runId = Number(ctx.route.rest[0]);
  ctx.root.dataset.runState = 'loading';
  const head = h('div', { class: 'page-head' }, h('h1', {}, `Run #${ctx.route.rest[0]}`));
  const body = h('div', { class: 'run-detail', 'aria-busy': 'true' });
  ctx.root.replaceChildren(head, body);
  if (!Number.isSafeInteger(runId) || runId < 1) {
    body.removeAttribute('aria-busy');
    body.replaceChildren(
      h('p', { class: 'note' }, 'No such run. ', h('a', { href: routeHash('runs') }, 'Go to the runs')),
    );
    ctx.root.dataset.runState = 'error';
    return;
  }

  let run: RunDetail;
  try {
    run = await ctx.api.call('runs.get', { runId });
  } catch (e) {
    if (!ctx.active) return;
    body.removeAttribute('aria-busy');
    body.replaceChildren(
      h(
        'p',
        { class: 'note' },
        `Run #${runId} could not be loaded (see the message above). `,
        h('a', { href: routeHash('runs') }, 'Go to the runs'),
      ),
    );
    ctx.root.dataset.runState = 'error';
    throw e;
  }
  if (!ctx.active) return;

  const verdict = verdictText(run.stable);
  replace(
    head,
    h(
      'h1',
      {},
      `Run #${run.id} `,
      h(
        'small',
        {},
        `${run.policy} \u00b7 ${run.workload} \u00b7 ${run.rate === null ? 'trace timing' : `rate ${run.rate}`} \u00b7 seed ${run.seed}`,
      ),
    ),
    h('span', { class: `status status-${run.status}` }, run.status),
    run.status === 'done'
      ? h('span', { class: `badge verdict-${verdict.replace(' ', '-')}` }, verdict)
      : null,
    h(
      'div',
      { class: 'toolbar' },
      h(
        'a',
        {
          href: routeHash('runs', { sweep: String(run.sweepId) }),
          role: 'button',
          class: 'secondary outline',
        },
        'Runs of its sweep',
      ),
      h(
        'a',
        { href: routeHash(`sweeps/${run.sweepId}`), role: 'button', class: 'secondary outline' },
        `Sweep #${run.sweepId}`,
      ),
      run.status === 'done'
        ? h(
            'a',
            {
              href: routeHash('compare', { runs: String(run.id) }),
              role: 'button',
              class: 'secondary',
              'data-action': 'compare',
            },
            'Compare',
          )
        : null,
    ),
  );

  const overview = h(
    'div',
    { class: 'run-overview' },
    h('section', {}, h('h2', {}, 'The run'), runFacts(run)),
    h(
      'section',
      {},
      h('h2', {}, 'Stability'),
      stabilityFacts(run),
      h('h2', {}, 'Warnings'),
      warningsList(run),
    ),
  );
  if (run.status !== 'done' || run.metrics === null) {
    body.removeAttribute('aria-busy');
    body.replaceChildren(
      overview,
      h(
        'p',
        { class: 'note', 'data-testid': 'no-results' },
        `No results: the run is ${run.status}. Its metrics, distributions and time series appear once it is done.`,
      ),
    );
    ctx.root.dataset.runState = 'ready';
    if (run.status === 'queued' || run.status === 'running') followUntilEnded(ctx, run);
    return;
  }

  const distributions = h('div', { class: 'chart-grid', 'aria-busy': 'true' });
  const series = h('div', { class: 'chart-grid run-series', 'aria-busy': 'true' });
  const replicas = replicaLoadTable(run);
  body.replaceChildren(
    overview,
    h('section', {}, h('h2', {}, 'Metrics'), metricsTables(run.metrics)),
    ...(replicas === null
      ? []
      : [h('section', { 'data-testid': 'replicas' }, h('h2', {}, 'Replicas'), replicas)]),
    h(
      'section',
      { class: 'charts' },
      h('h2', {}, 'Distributions over requests'),
      h('p', { class: 'hint' }, 'Requests that never got there (no first token, unfinished) are left out.'),
      distributions,
    ),
    h('section', { class: 'charts' }, h('h2', {}, 'Over time'), series),
  );
  body.removeAttribute('aria-busy');

  let requests;
  let timeSeries;
  try {
    [requests, timeSeries] = await Promise.all([
      ctx.api.call('runs.requests', { runId, maxPoints: REQUESTS_MAX_POINTS }),
      ctx.api.call('runs.timeSeries', { runId }),
    ]);
  } catch (e) {
    if (ctx.active) ctx.root.dataset.runState = 'error';
    throw e;
  }
  if (!ctx.active) return;
  const drawn: { destroy(): void }[] = [];
  ctx.onDispose(() => drawn.forEach((chart) => chart.destroy()));
  const place = (grid: HTMLElement, spec: LineChartSpec): void => {
    const card = h(
      'article',
      { class: 'chart-card', 'data-card': spec.name },
      h('header', {}, h('h3', {}, spec.title), spec.note ? h('small', {}, spec.note) : null),
    );
    grid.appendChild(card);
    if (spec.series.every((s) => s.points.length === 0)) {
      card.appendChild(h('p', { class: 'note' }, 'No data for this run.'));
      return;
    }
    const canvas = h('canvas', { 'data-chart': spec.name, role: 'img', 'aria-label': spec.title });
    card.appendChild(h('div', { class: 'chart-box' }, canvas));
    drawn.push(createLineChart(canvas, spec));
  };
  distributionCharts(requests).forEach((spec) => place(distributions, spec));
  timeSeriesCharts(timeSeries).forEach((spec) => place(series, spec));
  distributions.removeAttribute('aria-busy');
  series.removeAttribute('aria-busy');
  ctx.root.dataset.runState = 'ready';
};

/**
 * Follows a queued or running run: on each progress event of its sweep that changes how many
 * runs ended, asks `runs.get` again, and once the run has ended shows the page again (with its
 * results when it is done).
 */
function followUntilEnded(ctx: PageContext, run: RunDetail): void {
  let ended = -1;
  let asking = false;
  const off = ctx.api.onEvent('progress', (p) => {
    const now = p.counts.done + p.counts.failed;
    if (p.sweepId !== run.sweepId || now === ended || asking) return;
    ended = now;
    asking = true;
    ctx.api
      .call('runs.get', { runId: run.id })
      .then((fresh) => {
        if (!ctx.active || fresh.status === 'queued' || fresh.status === 'running') return;
        off();
        return runDetailPage(ctx);
      })
      .catch((e: unknown) => ctx.showError(e, `following run #${run.id}`))
      .finally(() => (asking = false));
  });
  ctx.onDispose(off);
}
