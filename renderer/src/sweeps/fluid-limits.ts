import type { ValidateFluidOut } from '../../../runner/api/api-contract.js';
import { h } from '../dom.js';
import { formatNumber } from '../format.js';

/** One workload of a validated spec (on one machine) with its rates and fluid stability limit. */
interface WorkloadLimit {
  /** The workload's label, `on MACHINE` added when the spec lists several machines. */
  workload: string;
  limit: number | null;
  rates: number[];
  searches: { minRps: number; maxRps: number }[];
}

/**
 * The fluid stability limit of each workload of a validated spec (`sweeps.validate` fluid:
 * docs/fluid-benchmark.md) as a small table beside the rates asked for, and a warning for every
 * rate above it (its runs are expected to be unstable) or a capacity search that starts above it.
 * A spec over several machines has a line per workload and machine (the limit is the machine's).
 * @returns the table (null when there is no workload) and the warnings
 */
export function fluidLimitsView(rows: readonly ValidateFluidOut[]): {
  element: HTMLElement | null;
  warnings: string[];
} {
  const groups: WorkloadLimit[] = [];
  const machines = new Set(rows.map((row) => row.machine)).size > 1;
  for (const row of rows) {
    const limit = row.maxStableRateRps;
    const workload = machines ? `${row.workload} on ${row.machine}` : row.workload;
    let group = groups.find(
      (g) =>
        g.workload === workload &&
        (g.limit === limit ||
          (g.limit !== null && limit !== null && Math.abs(g.limit - limit) <= 1e-9 * Math.max(1, limit))),
    );
    if (!group) {
      group = { workload, limit, rates: [], searches: [] };
      groups.push(group);
    }
    if (row.rateRps !== null) group.rates.push(row.rateRps);
    if (row.search) group.searches.push(row.search);
  }
  if (groups.length === 0) return { element: null, warnings: [] };
  // Clusters: N replicas are bounded by N times one replica's limit (perfect balance). A rate is
  // flagged against the smallest cluster's bound, a search's reach against the largest's.
  const sizes = rows[0].replicas.length > 0 ? rows[0].replicas : [1];
  const clustered = sizes.some((n) => n > 1);
  const fewest = sizes[0];
  const most = sizes[sizes.length - 1];
  const rps = (v: number) => `${formatNumber(v)} req/s`;
  // Rates as the spec gives them (`0.5`, not formatNumber's `0.5000`).
  const asGiven = (v: number) => String(Number(v.toPrecision(6)));
  const warnings: string[] = [];
  const body = groups.map((g) => {
    const asked = [
      g.rates.length > 0 ? g.rates.map(asGiven).join(', ') : null,
      ...g.searches.map((s) => `search ${asGiven(s.minRps)} to ${asGiven(s.maxRps)}`),
    ]
      .filter(Boolean)
      .join('; ');
    const notes: string[] = [];
    if (g.limit !== null) {
      const low = g.limit * fewest;
      const of = fewest > 1 ? ` of ${fewest} replicas` : clustered ? ' of one replica' : '';
      const above = g.rates.filter((r) => r > low);
      if (above.length > 0) {
        notes.push(`${above.length} rate${above.length === 1 ? '' : 's'} above the limit${of}`);
        warnings.push(
          `${g.workload}: ${above.map(asGiven).join(', ')} req/s ${above.length === 1 ? 'is' : 'are'} above the fluid stability limit${of}, ${rps(low)}: expect unstable runs there (a queue that grows without bound).`,
        );
      }
      for (const s of g.searches) {
        if (s.minRps > low) {
          notes.push(`search starts above the limit${of}`);
          warnings.push(
            `${g.workload}: the capacity search starts at ${asGiven(s.minRps)} req/s, above the fluid stability limit${of}, ${rps(low)}: every probe${clustered ? ' there' : ''} will be unstable; start it below the limit.`,
          );
        } else if (s.maxRps < g.limit * most) {
          notes.push('search ends below the limit: a policy may sustain more than its max');
        }
      }
    }
    return h(
      'tr',
      { 'data-workload': g.workload, 'data-limit': g.limit ?? '' },
      h('td', {}, g.workload),
      h('td', { class: 'num' }, asked || 'as recorded'),
      h(
        'td',
        { class: 'num', 'data-fluid-limit': g.limit ?? '' },
        g.limit === null
          ? 'none (unbounded, or no linear model)'
          : clustered
            ? `${rps(g.limit)} per replica (${sizes
                .filter((n) => n > 1)
                .map((n) => `${n} replicas: ${formatNumber(n * g.limit!)}`)
                .join(', ')})`
            : rps(g.limit),
      ),
      h(
        'td',
        { class: notes.some((n) => n.includes('above')) ? 'fluid-note above' : 'fluid-note' },
        notes.join('; '),
      ),
    );
  });
  const element = h(
    'div',
    { class: 'fluid-limits' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Workload'),
          h('th', {}, 'Rates (req/s)'),
          h('th', { title: 'docs/fluid-benchmark.md' }, 'Fluid stability limit'),
          h('th', {}, ''),
        ),
      ),
      h('tbody', {}, body),
    ),
    h(
      'small',
      {},
      "The fluid benchmark (docs/fluid-benchmark.md): the arrival rate at which the request mix's load reaches 1 on the machine's linear iteration-time model; above it, runs are expected to be unstable." +
        (clustered
          ? " A cluster of N replicas is bounded by N times one replica's limit (perfect balance)."
          : ''),
    ),
  );
  return { element, warnings };
}
