import type { SweepSummaryData } from '../../../runner/api/api-contract.js';
import { formatMeanWithInterval } from '../../../runner/reports/verdict-sentence.js';
import { h } from '../dom.js';
import { formatNumber } from '../format.js';

type SummaryRow = SweepSummaryData['rows'][number];

/** Column titles of the seed summary's metrics (its keys otherwise). */
const METRIC_TITLES: Record<string, string> = {
  throughput_tok_s: 'Throughput (tok/s)',
  e2e_mean_s: 'E2E mean (s)',
  e2e_p99_s: 'E2E p99 (s)',
  ttft_mean_s: 'TTFT mean (s)',
  ttft_p99_s: 'TTFT p99 (s)',
  tpot_mean_s: 'TPOT mean (s)',
  evictions: 'Evictions',
  preemptions: 'Preemptions',
  kv_peak_frac: 'KV peak (fraction)',
  prefix_cache_hit_rate: 'Prefix cache hit rate',
  load_imbalance: 'Load imbalance (max / mean replica)',
};

/** A rate as a column or cell: the number, or `trace` for a trace's own timing. */
function rateText(rate: number | null): string {
  return rate === null ? 'trace' : formatNumber(rate);
}

/**
 * The summary by configuration (`sweeps.summary`'s rows): one row per workload, rate and policy
 * with its seeds, and each metric as its mean over the seeds ± the 95 % interval's half-width
 * (formatMeanWithInterval: the same text as `schedbench summary`). Rows carry `data-workload`,
 * `data-rate` and `data-policy` (and `data-machine` for a sweep over several machines, which adds
 * a Machine column); cells `data-metric`.
 */
export function summaryTable(rows: readonly SummaryRow[]): HTMLElement {
  const metrics = rows.length > 0 ? Object.keys(rows[0].metrics) : [];
  const machines = rows.some((row) => row.machine !== undefined);
  return h(
    'div',
    { class: 'scroll-box' },
    h(
      'table',
      { class: 'compact summary-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Workload'),
          h('th', { class: 'num' }, 'Rate (req/s)'),
          machines ? h('th', {}, 'Machine') : [],
          h('th', {}, 'Policy'),
          h('th', { class: 'num' }, 'Seeds'),
          metrics.map((key) => h('th', { class: 'num', 'data-metric': key }, METRIC_TITLES[key] ?? key)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            {
              'data-workload': row.workload,
              'data-rate': JSON.stringify(row.rate),
              'data-policy': row.policy,
              'data-machine': row.machine,
            },
            h('td', {}, row.workload),
            h('td', { class: 'num' }, rateText(row.rate)),
            machines ? h('td', { class: 'machine' }, row.machine ?? '') : [],
            h('td', { class: 'policy' }, row.policy),
            h('td', { class: 'num' }, String(row.seeds.length)),
            metrics.map((key) =>
              h('td', { class: 'num', 'data-metric': key }, formatMeanWithInterval(row.metrics[key] ?? null)),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * Stability per configuration and rate, from the summary's rows: per workload, one row per policy
 * and one column per rate run, each cell `stable / runs` (the done runs of that configuration and
 * rate judged stable, out of all of them; the title names the unstable and unjudged ones).
 * Cells are classed `stable-all`, `stable-some`, `stable-none` (no run judged stable while some
 * were unstable) or `stable-unjudged`, and carry `data-stable` and `data-runs`.
 */
export function stabilityTables(rows: readonly SummaryRow[]): HTMLElement[] {
  // A sweep over several machines: a line per policy and machine (`vllm on h100`).
  const lineOf = (r: SummaryRow): string =>
    r.machine === undefined ? r.policy : `${r.policy} on ${r.machine}`;
  const workloads = [...new Set(rows.map((r) => r.workload))];
  return workloads.map((workload) => {
    const own = rows.filter((r) => r.workload === workload);
    const rates = [...new Set(own.map((r) => r.rate))].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
    const policies = [...new Set(own.map(lineOf))];
    return h(
      'div',
      { class: 'scroll-box flow stability-box', 'data-workload': workload },
      h(
        'table',
        { class: 'compact stability-table' },
        h(
          'caption',
          {},
          workloads.length > 1 ? `${workload}: ` : '',
          'runs judged stable / runs, per policy and arrival rate (req/s)',
        ),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Policy'),
            rates.map((rate) => h('th', { class: 'num' }, rateText(rate))),
          ),
        ),
        h(
          'tbody',
          {},
          policies.map((policy) =>
            h(
              'tr',
              { 'data-policy': policy },
              h('td', { class: 'policy' }, policy),
              rates.map((rate) => {
                const row = own.find((r) => lineOf(r) === policy && r.rate === rate);
                if (!row) return h('td', { class: 'num stable-absent' }, '\u00b7');
                const { stable, unstable, unjudged } = row.stability;
                const runs = stable + unstable + unjudged;
                const cls =
                  unstable === 0 && unjudged === 0
                    ? 'stable-all'
                    : stable === 0 && unstable > 0
                      ? 'stable-none'
                      : unstable > 0
                        ? 'stable-some'
                        : 'stable-unjudged';
                const title = [
                  `${stable} stable`,
                  unstable > 0 ? `${unstable} unstable` : '',
                  unjudged > 0 ? `${unjudged} not judged (too short, or stored before the test)` : '',
                ]
                  .filter((part) => part !== '')
                  .join(', ');
                return h(
                  'td',
                  {
                    class: `num ${cls}`,
                    'data-rate': JSON.stringify(rate),
                    'data-stable': stable,
                    'data-runs': runs,
                    title,
                  },
                  `${stable}/${runs}`,
                );
              }),
            ),
          ),
        ),
      ),
    );
  });
}
