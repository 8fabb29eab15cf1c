import type { RunDetail } from '../../../runner/api/api-contract.js';
import type { MetricKey, RunMetrics } from '../../../runner/metrics/metric-keys.js';
import { replicaShares } from '../../../runner/metrics/replica-loads.js';
import { h, type Child } from '../dom.js';
import { formatDate, formatNumber, formatParams } from '../format.js';
import { routeHash } from '../router.js';

/** One row of a definition list: a term and its value; `name` is the `data-fact` attribute (tests). */
function fact(name: string, term: string, ...value: Child[]): HTMLElement[] {
  return [h('dt', {}, term), h('dd', { 'data-fact': name }, ...value)];
}

/** A number with a unit, or `-`. */
function withUnit(value: number | null | undefined, unit: string): string {
  return value === null || value === undefined ? '-' : `${formatNumber(value)} ${unit}`;
}

/** The machine's KV cache as its sweep stored it: `7424 blocks x 16 tokens`, or null when unknown. */
function kvCapacity(info: Record<string, unknown> | null): string | null {
  const blocks = info?.kvCapacityBlocks;
  const size = info?.blockSize;
  if (typeof blocks !== 'number' || typeof size !== 'number') return null;
  return `KV cache ${formatNumber(blocks)} blocks \u00d7 ${size} token${size === 1 ? '' : 's'}`;
}

/**
 * What the run is: its sweep (a link), policy and parameters, workload (name and stored
 * description), seed, nominal and offered arrival rates, machine and KV capacity, host, run key,
 * status (with the error of a failed run) and timestamps.
 */
export function runFacts(run: RunDetail): HTMLElement {
  const kv = kvCapacity(run.machineInfo);
  const offered = run.metrics?.offered_rate_rps ?? null;
  return h(
    'dl',
    { class: 'facts run-facts' },
    fact(
      'sweep',
      'Sweep',
      h('a', { href: routeHash(`sweeps/${run.sweepId}`) }, `${run.sweepName} (#${run.sweepId})`),
    ),
    fact('policy', 'Policy', run.policy),
    fact(
      'params',
      'Parameters',
      Object.keys(run.params).length > 0 ? formatParams(run.params) : '(defaults)',
    ),
    fact('workload', 'Workload', run.workload),
    fact(
      'workload-spec',
      'Workload spec',
      h('code', { class: 'workload-spec' }, JSON.stringify(run.workloadSpec)),
    ),
    fact('seed', 'Seed', String(run.seed)),
    fact(
      'rate',
      'Rate (nominal)',
      run.rate === null ? 'as recorded (the trace\u2019s own timing)' : withUnit(run.rate, 'req/s'),
    ),
    fact(
      'offered-rate',
      'Rate (offered)',
      offered === null ? '-' : withUnit(offered, 'req/s'),
      offered !== null ? h('small', {}, ' arrivals generated per second') : null,
    ),
    fact('machine', 'Machine', run.machine, kv ? h('small', {}, ` \u00b7 ${kv}`) : null),
    fact('origin-host', 'Origin host', run.originHost ?? '-'),
    fact('run-key', 'Run key', h('code', {}, run.runKey)),
    fact(
      'status',
      'Status',
      h('span', { class: `status status-${run.status}` }, run.status),
      run.error ? h('span', { class: 'bad run-error' }, ` ${run.error}`) : null,
    ),
    fact('created', 'Created', formatDate(run.createdAt)),
    fact('started', 'Started', formatDate(run.startedAt)),
    fact('finished', 'Finished', formatDate(run.finishedAt)),
  );
}

/** The verdict's word: `stable`, `unstable` or `no verdict`. */
export function verdictText(stable: boolean | null): string {
  return stable === null ? 'no verdict' : stable ? 'stable' : 'unstable';
}

/**
 * The stability verdict (docs/metrics.md, "Stability"): stable, unstable or none, its reason,
 * and the trend test behind it (window, arrivals, batches, slope with its standard error and
 * lower bound, p-value, growth, mean in system).
 */
export function stabilityFacts(run: RunDetail): HTMLElement {
  const s = run.stability;
  const verdict = verdictText(run.stable);
  const head = h(
    'p',
    { class: 'stability-verdict' },
    h('span', { class: `badge verdict-${verdict.replace(' ', '-')}`, 'data-fact': 'stability' }, verdict),
    ' ',
    h(
      'span',
      { 'data-fact': 'stability-reason' },
      s?.reason ?? (run.status === 'done' ? 'not assessed' : '-'),
    ),
  );
  if (!s) return h('div', {}, head);
  const window =
    s.windowStartS === null || s.windowEndS === null
      ? '-'
      : `${formatNumber(s.windowStartS)} s to ${formatNumber(s.windowEndS)} s`;
  const slope =
    s.slopePerS === null
      ? '-'
      : `${formatNumber(s.slopePerS)} \u00b1 ${formatNumber(s.slopeStdErrPerS)} requests/s`;
  return h(
    'div',
    {},
    head,
    h(
      'dl',
      { class: 'facts stability-facts' },
      fact('stability-method', 'Test', `${s.method}, one-sided at ${formatNumber(s.confidence * 100)} %`),
      fact('stability-window', 'Window', window),
      fact('stability-arrivals', 'Arrivals, batches', `${s.arrivals}, ${s.batches}`),
      fact('stability-slope', 'Trend of requests in system', slope),
      fact('stability-lower', 'Lower bound of the trend', withUnit(s.slopeLowerBoundPerS, 'requests/s')),
      fact('stability-p', 'p-value (trend > 0)', formatNumber(s.pValue)),
      fact(
        'stability-growth',
        'Growth over the window',
        s.growthFraction === null ? '-' : `${formatNumber(s.growthFraction * 100)} % of the arrivals`,
      ),
      fact('stability-mean', 'Mean requests in system', formatNumber(s.meanInSystem)),
    ),
  );
}

/** The run's warnings as a list, or a note that there are none. */
export function warningsList(run: RunDetail): HTMLElement {
  if (run.warnings.length === 0) return h('p', { class: 'note', 'data-fact': 'warnings' }, 'None.');
  return h(
    'ul',
    { class: 'run-warnings', 'data-fact': 'warnings' },
    run.warnings.map((w) => h('li', {}, w)),
  );
}

/** A latency row: a measure and its keys for mean, p50, p90 and p99 (null: not measured). */
interface LatencyRow {
  label: string;
  keys: [MetricKey | null, MetricKey | null, MetricKey | null, MetricKey | null];
}

/** The latency table's rows (seconds). */
export const LATENCY_ROWS: readonly LatencyRow[] = [
  { label: 'TTFT', keys: ['ttft_mean_s', 'ttft_p50_s', 'ttft_p90_s', 'ttft_p99_s'] },
  { label: 'TPOT', keys: ['tpot_mean_s', 'tpot_p50_s', null, 'tpot_p99_s'] },
  { label: 'E2E latency', keys: ['e2e_mean_s', 'e2e_p50_s', 'e2e_p90_s', 'e2e_p99_s'] },
  { label: 'Queueing delay', keys: ['queue_delay_mean_s', null, null, 'queue_delay_p99_s'] },
];

/** The title of the goodput group, whose absence the metrics note explains (no SLO). */
const GOODPUT_TITLE = 'Goodput (against the SLO)';

/**
 * The other metrics, by group: key and label (with its unit). `optional` groups hide null rows;
 * a group with `shownWith` is shown only when that metric has a value.
 */
export const METRIC_GROUPS: readonly {
  title: string;
  optional?: boolean;
  shownWith?: MetricKey;
  rows: readonly { key: MetricKey; label: string }[];
}[] = [
  {
    title: 'Throughput',
    rows: [
      { key: 'throughput_tok_s', label: 'Output throughput (tok/s)' },
      { key: 'total_token_throughput_tok_s', label: 'Total token throughput (tok/s)' },
      { key: 'request_throughput_rps', label: 'Request throughput (req/s)' },
      { key: 'offered_rate_rps', label: 'Offered rate (req/s)' },
    ],
  },
  {
    title: GOODPUT_TITLE,
    optional: true,
    rows: [
      { key: 'goodput_rps', label: 'Goodput (req/s)' },
      { key: 'goodput_tok_s', label: 'Goodput (tok/s)' },
      { key: 'slo_attainment', label: 'SLO attainment (fraction)' },
    ],
  },
  {
    title: 'Prefix cache',
    optional: true,
    rows: [{ key: 'prefix_cache_hit_rate', label: 'Hit rate (cached / prompt tokens, first admissions)' }],
  },
  {
    title: 'Cluster of replicas',
    optional: true,
    shownWith: 'load_imbalance',
    rows: [
      { key: 'replicas', label: 'Replicas' },
      { key: 'load_imbalance', label: 'Load imbalance (max / mean replica tokens; 1 = even)' },
    ],
  },
  {
    title: 'Requests',
    rows: [
      { key: 'requests', label: 'Requests' },
      { key: 'completed', label: 'Completed' },
      { key: 'unfinished', label: 'Unfinished' },
      { key: 'rejected', label: 'Rejected (never fit)' },
      { key: 'makespan_s', label: 'Makespan (s)' },
    ],
  },
  {
    title: 'Scheduling',
    rows: [
      { key: 'preemptions', label: 'Preemptions' },
      { key: 'evictions', label: 'Evictions' },
      { key: 'recomputed_tokens', label: 'Recomputed tokens' },
      { key: 'kv_peak_frac', label: 'KV usage, peak (fraction)' },
      { key: 'kv_mean_frac', label: 'KV usage, mean (fraction)' },
      { key: 'batch_size_mean', label: 'Batch size, mean' },
      { key: 'iterations', label: 'Iterations' },
      { key: 'sim_wall_s', label: 'Simulation wall time (s)' },
      { key: 'sim_cpu_s', label: 'Simulation CPU time (s)' },
    ],
  },
];

/**
 * What each replica of a cluster run served (`runs.get`'s replicaLoads): a table with a row per
 * replica (requests routed, completed, prompt + output tokens and their share of the cluster's,
 * drawn as a bar), rows carrying `data-replica`; null for a run on one replica.
 */
export function replicaLoadTable(run: RunDetail): HTMLElement | null {
  const loads = run.replicaLoads;
  if (loads === null || loads.length === 0) return null;
  const shares = replicaShares(loads);
  const even = 1 / loads.length;
  const routing = typeof run.params.routing === 'string' ? run.params.routing : 'round-robin';
  return h(
    'div',
    { class: 'replica-loads' },
    h(
      'p',
      { class: 'hint' },
      `${loads.length} replicas behind ${routing} routing, each with the machine's KV cache and its own ` +
        `${run.policy} scheduler. An even share is ${formatNumber(even * 100)} % of the tokens.`,
    ),
    h(
      'table',
      { class: 'run-metrics replica-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Replica', 'Requests', 'Completed', 'Tokens (prompt + output)', 'Share of tokens'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        loads.map((l) => {
          const share = shares[l.replica];
          return h(
            'tr',
            { 'data-replica': String(l.replica) },
            h('th', { scope: 'row' }, String(l.replica)),
            h('td', { class: 'value' }, formatNumber(l.requests)),
            h('td', { class: 'value' }, formatNumber(l.completed)),
            h('td', { class: 'value' }, formatNumber(l.tokens)),
            h(
              'td',
              { class: 'value share', 'data-share': String(share) },
              // The bar's full width is twice the even share: an even cluster fills half of each.
              h('meter', { min: 0, max: Math.min(1, 2 * even), value: share, 'aria-hidden': 'true' }),
              ` ${formatNumber(share * 100)} %`,
            ),
          );
        }),
      ),
    ),
  );
}

/** A metric's cell: the formatted value, the exact one in `data-value` (empty for null). */
function metricCell(metrics: RunMetrics, key: MetricKey | null): HTMLElement {
  if (key === null) return h('td', { class: 'value not-measured', title: 'not measured' }, '\u2013');
  const v = metrics[key];
  return h(
    'td',
    { class: 'value', 'data-metric': key, 'data-value': v === null ? '' : String(v) },
    formatNumber(v),
  );
}

/**
 * The run's metrics (docs/metrics.md): latency percentiles (TTFT, TPOT, E2E, queueing delay:
 * mean, p50, p90, p99, seconds), then throughput, goodput (when the run had an SLO), requests and
 * scheduling. Every value cell carries its metric key and exact value (`data-metric`, `data-value`).
 */
export function metricsTables(metrics: RunMetrics): HTMLElement {
  const latency = h(
    'table',
    { class: 'run-metrics latency-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Latency (s)', 'mean', 'p50', 'p90', 'p99'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      LATENCY_ROWS.map((row) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, row.label),
          row.keys.map((k) => metricCell(metrics, k)),
        ),
      ),
    ),
  );
  const groups = METRIC_GROUPS.map((group) => {
    if (group.shownWith !== undefined && metrics[group.shownWith] === null) return null;
    const rows = group.rows.filter((r) => !group.optional || metrics[r.key] !== null);
    if (rows.length === 0) return null;
    return h(
      'table',
      { class: 'run-metrics' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', colspan: 2 }, group.title))),
      h(
        'tbody',
        {},
        rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.label), metricCell(metrics, r.key))),
      ),
    );
  });
  const goodputShown = METRIC_GROUPS.some(
    (g) => g.title === GOODPUT_TITLE && g.rows.some((r) => metrics[r.key] !== null),
  );
  return h(
    'div',
    { class: 'run-metrics-grid' },
    latency,
    groups,
    goodputShown ? null : h('p', { class: 'note' }, 'No goodput: the run had no SLO.'),
  );
}
