import type {
  CapacityOut,
  CompareOut,
  RunSummary,
  SweepDetail,
  SweepSummaryData,
} from '../../../runner/api/api-contract.js';
import { ApiError } from '../api-client.js';
import { createLineChart, type LineChartSpec } from '../charts/line-chart.js';
import { h, replace } from '../dom.js';
import { downloadText } from '../download.js';
import type { PageContext } from '../page.js';
import { capacityTable } from './capacity-table.js';
import { sweepRateCharts } from './rate-charts.js';
import { stabilityTables, summaryTable } from './summary-tables.js';
import { verdictBlock } from './verdict-list.js';

/** Most runs asked of `runs.compare` / `export.report` (the contract's limit). */
export const MAX_RUN_IDS = 5000;

/** Points per run asked of `runs.compare`: the page draws only the rate charts (one point per rate). */
const COMPARE_POINTS_PER_RUN = 10;

/**
 * Whether a spec (YAML or JSON text) has a capacity search (`rate: {search: ...}`): a `search`
 * key anywhere. Only decides whether `sweeps.capacity` is asked (a false alarm costs one call:
 * it answers no searches).
 */
export function specMentionsSearch(specText: string): boolean {
  return /(^|[\s{,])["']?search["']?\s*:/m.test(specText);
}

/** What the answer of one sweep is made of, as the API gives it. */
interface AnswerData {
  summary: SweepSummaryData;
  /** null when the sweep has no search, or its searches could not be replayed (`capacityProblem`). */
  capacity: CapacityOut | null;
  capacityProblem: string | null;
  runs: RunSummary[];
}

/**
 * The answer a sweep's page opens with (`sweeps.summary`, `sweeps.capacity`, `runs.compare` of its
 * done runs): the verdict sentences (capacity first), the capacity table when the sweep has
 * searches, the summary by configuration (mean ± 95 % interval over seeds), stability per
 * configuration and rate, and the charts against the arrival rate with the fluid bound. Its
 * element gets `data-answer-state` (`loading`, `ready` or `error`); charts are destroyed on the
 * next load and when the page is left.
 */
export class SweepAnswer {
  readonly element = h('div', { class: 'sweep-answer', 'data-answer-state': 'loading', 'aria-busy': 'true' });
  private charts: { destroy(): void }[] = [];
  /** Ids of every run of the sweep (the exports' runIds), as of the last load. */
  private runIds: number[] = [];
  private generation = 0;

  constructor(private readonly ctx: PageContext) {
    ctx.onDispose(() => this.destroyCharts());
  }

  /** The sweep's run ids (all statuses, at most MAX_RUN_IDS), for `export.report`. */
  exportRunIds(): number[] {
    return this.runIds;
  }

  /** (Re)loads and draws the answer of `sweep`; a later call supersedes an earlier one still loading. */
  async load(sweep: SweepDetail): Promise<void> {
    const generation = ++this.generation;
    const current = (): boolean => this.ctx.active && generation === this.generation;
    this.element.dataset.answerState = 'loading';
    this.element.setAttribute('aria-busy', 'true');
    let data: AnswerData;
    try {
      data = await this.fetch(sweep);
    } catch (e) {
      if (!current()) return;
      this.element.dataset.answerState = 'error';
      this.element.removeAttribute('aria-busy');
      replace(
        this.element,
        h('p', { class: 'note' }, 'The answer could not be loaded (see the message above).'),
      );
      throw e;
    }
    if (!current()) return;
    this.runIds = data.runs.slice(0, MAX_RUN_IDS).map((r) => r.id);
    const done = data.runs.filter((r) => r.status === 'done');
    const chartsSection = h(
      'section',
      { class: 'charts', 'data-section': 'charts' },
      h('h2', {}, 'Against the arrival rate'),
    );
    this.destroyCharts();
    replace(
      this.element,
      verdictBlock(data.summary.verdicts, data.summary.notes, noVerdictReason(data.summary, done.length)),
      data.capacity && data.capacity.searches.length > 0
        ? h(
            'section',
            { class: 'sweep-capacity', 'data-section': 'capacity' },
            h('h2', {}, 'Capacity search'),
            h(
              'p',
              { class: 'hint' },
              'Per workload and policy, the largest offered rate sustained (stable, and meeting the SLO when there is one), between the highest sustained and the lowest failing probe; what failed there; and the fluid benchmark\u2019s stability limit of the workload\u2019s request mix.',
            ),
            capacityTable(data.capacity.searches),
          )
        : null,
      data.capacityProblem === null
        ? null
        : h('p', { class: 'note capacity-problem' }, `Capacity searches not shown: ${data.capacityProblem}`),
      h(
        'section',
        { class: 'sweep-summary', 'data-section': 'summary' },
        h('h2', {}, 'Summary by configuration'),
        data.summary.rows.length === 0
          ? h('p', { class: 'note' }, 'No run has finished yet.')
          : [
              h(
                'p',
                { class: 'hint' },
                'Done runs grouped by workload, rate and policy (and machine, for a sweep over several): each metric\u2019s mean over the seeds \u00b1 the half-width of its 95 % t interval.',
              ),
              summaryTable(data.summary.rows),
            ],
      ),
      data.summary.rows.length === 0
        ? null
        : h(
            'section',
            { class: 'sweep-stability', 'data-section': 'stability' },
            h('h2', {}, 'Stability'),
            h(
              'p',
              { class: 'hint' },
              'A run is unstable when its backlog of requests kept growing while requests arrived (a trend test at 95 %; docs/metrics.md, Stability).',
            ),
            stabilityTables(data.summary.rows),
          ),
      chartsSection,
    );
    try {
      await this.drawCharts(chartsSection, done, data.capacity?.searches ?? [], current);
    } catch (e) {
      if (!current()) return;
      chartsSection.appendChild(
        h('p', { class: 'note' }, 'The charts could not be loaded (see the message above).'),
      );
      this.ctx.showError(e, 'loading the charts of the sweep');
    }
    if (!current()) return;
    this.element.removeAttribute('aria-busy');
    this.element.dataset.answerState = 'ready';
  }

  private async fetch(sweep: SweepDetail): Promise<AnswerData> {
    const api = this.ctx.api;
    const search = specMentionsSearch(sweep.specYaml);
    const capacity = search
      ? api.call('sweeps.capacity', { sweepId: sweep.id }).then(
          (value) => ({ value, problem: null }),
          (e: unknown) => {
            // A search that cannot be replayed (its trace moved) is a note, not a failure.
            if (e instanceof ApiError && e.code === 'bad-input') return { value: null, problem: e.message };
            throw e;
          },
        )
      : Promise.resolve({ value: null, problem: null });
    const [summary, runs, cap] = await Promise.all([
      api.call('sweeps.summary', { sweepId: sweep.id }),
      api.call('runs.list', { sweepIds: [sweep.id] }),
      capacity,
    ]);
    return { summary, runs, capacity: cap.value, capacityProblem: cap.problem };
  }

  private async drawCharts(
    section: HTMLElement,
    done: RunSummary[],
    searches: CapacityOut['searches'],
    current: () => boolean,
  ): Promise<void> {
    const rated = done.filter((r) => r.rate !== null);
    if (rated.length === 0) {
      section.appendChild(
        h(
          'p',
          { class: 'note' },
          done.length === 0
            ? 'No run has finished yet: nothing to chart.'
            : 'Every finished run replays a trace at its own timing: there is no arrival rate to chart against.',
        ),
      );
      return;
    }
    const ids = done.slice(0, MAX_RUN_IDS).map((r) => r.id);
    const out: CompareOut = await this.ctx.api.call('runs.compare', {
      runIds: ids,
      maxPointsPerRun: COMPARE_POINTS_PER_RUN,
    });
    if (!current()) return;
    const charts = sweepRateCharts(out, searches);
    const grid = h('div', { class: 'chart-grid' });
    section.append(
      h(
        'p',
        { class: 'hint' },
        done.length > ids.length ? `The first ${ids.length} of ${done.length} finished runs. ` : '',
        'Mean over seeds per configuration and rate; the fluid Throughput* bound in grey (arXiv 2504.11320v2 \u00a73).',
      ),
      grid,
    );
    for (const spec of charts) this.place(grid, spec);
  }

  private place(grid: HTMLElement, spec: LineChartSpec): void {
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
    this.charts.push(createLineChart(canvas, spec));
  }

  private destroyCharts(): void {
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
  }
}

/** Why a sweep has no verdict yet (shown in place of the sentences). */
function noVerdictReason(summary: SweepSummaryData, done: number): string {
  if (done === 0) return 'No verdict yet: no run has finished.';
  const policies = new Set(summary.rows.map((r) => `${r.workload}\u0000${r.policy}`));
  const workloads = new Set(summary.rows.map((r) => r.workload));
  if (policies.size <= workloads.size)
    return 'No verdict: one policy per workload, so there is nothing to compare it with. The summary below gives its metrics.';
  return 'No verdict: no workload and rate has two or more policies with results on the same seeds.';
}

/**
 * Export buttons of a sweep's page: the runner's HTML report, CSV and JSON of the sweep's runs
 * (`export.report`, downloaded), and PDF by printing the page. `runIds` is read when a button is
 * pressed; with no run the exports say so.
 */
export function exportButtons(ctx: PageContext, runIds: () => number[]): HTMLElement[] {
  const button = (label: string, action: string, run: () => Promise<void> | void): HTMLButtonElement => {
    const element: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        class: 'secondary outline',
        'data-action': action,
        onclick: async () => {
          element.setAttribute('aria-busy', 'true');
          try {
            await run();
          } catch (e) {
            ctx.showError(e, `export (${label})`);
          } finally {
            element.removeAttribute('aria-busy');
          }
        },
      },
      label,
    );
    return element;
  };
  const exportAs = async (format: 'html' | 'csv' | 'json'): Promise<void> => {
    const ids = runIds();
    if (ids.length === 0) throw new Error('the sweep has no run to export yet');
    const file = await ctx.api.call('export.report', { runIds: ids, format });
    downloadText(file.filename, file.mime, file.content);
  };
  return [
    button('HTML report', 'export-html', () => exportAs('html')),
    button('CSV', 'export-csv', () => exportAs('csv')),
    button('JSON', 'export-json', () => exportAs('json')),
    button('PDF', 'export-pdf', () => window.print()),
  ];
}
