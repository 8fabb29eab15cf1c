import type { CapacityOut } from '../../../runner/api/api-contract.js';
import { h } from '../dom.js';
import { formatNumber, formatParams } from '../format.js';

type CapacityRow = CapacityOut['searches'][number];

/** What failed at the upper end of a bracket, in words. */
const LIMITING_TEXT: Record<string, string> = {
  stability: 'stability (the queue grew)',
  ttft: 'TTFT SLO',
  tpot: 'TPOT SLO',
  e2e: 'E2E SLO',
};

/**
 * The capacity table of a sweep with capacity searches (`sweeps.capacity`): per workload and
 * policy the largest offered rate sustained, its bracket (highest sustained – lowest failing
 * offered rate), the probes run, what failed at the upper end, the fluid stability limit of the
 * workload's mix, and how the search ended. Each row carries the API's values as data attributes
 * (`data-max-rate`, `data-lower`, `data-upper`, `data-probes`, `data-limiting`,
 * `data-fluid-limit`: the number as JSON, `null` for none).
 */
export function capacityTable(searches: readonly CapacityRow[]): HTMLElement {
  const raw = (value: number | string | null): string => JSON.stringify(value);
  const rows = searches.map((s) =>
    h(
      'tr',
      {
        'data-workload': s.workload,
        'data-policy': s.policy,
        'data-params': JSON.stringify(s.params),
        'data-max-rate': raw(s.max_rate_rps),
        'data-lower': raw(s.lower_rps),
        'data-upper': raw(s.upper_rps),
        'data-probes': raw(s.probes),
        'data-limiting': raw(s.limiting),
        'data-fluid-limit': raw(s.fluid_max_stable_rate_rps),
        'data-status': s.status,
      },
      h('td', {}, s.workload),
      h(
        'td',
        {},
        h('strong', {}, s.policy),
        Object.keys(s.params).length > 0
          ? h('small', { class: 'params' }, ` ${formatParams(s.params)}`)
          : null,
      ),
      h('td', { class: 'num max-rate' }, maxRateText(s)),
      h('td', { class: 'num bracket' }, bracketText(s)),
      h('td', { class: 'num probes' }, `${s.probes} \u00d7 ${s.seeds} seed${s.seeds === 1 ? '' : 's'}`),
      h('td', { class: 'limiting' }, s.limiting === null ? '-' : (LIMITING_TEXT[s.limiting] ?? s.limiting)),
      h('td', { class: 'num fluid-limit' }, formatNumber(s.fluid_max_stable_rate_rps)),
      h('td', { class: 'outcome' }, outcomeText(s)),
    ),
  );
  return h(
    'div',
    { class: 'scroll-box flow' },
    h(
      'table',
      { class: 'compact capacity-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Workload'),
          h('th', {}, 'Policy'),
          h('th', { class: 'num' }, 'Max rate (req/s)'),
          h('th', { class: 'num' }, 'Bracket (req/s)'),
          h('th', { class: 'num' }, 'Probes'),
          h('th', {}, 'Limiting'),
          h('th', { class: 'num' }, 'Fluid limit (req/s)'),
          h('th', {}, 'Search'),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

/** The largest sustained offered rate; `≥ x` when even `max` was sustained; `none` below `min`. */
function maxRateText(s: CapacityRow): string {
  if (s.max_rate_rps === null) return s.status === 'done' ? 'none' : '-';
  return s.outcome === 'above-max' ? `\u2265 ${formatNumber(s.max_rate_rps)}` : formatNumber(s.max_rate_rps);
}

/** `lower – upper`, with `-` for a missing end. */
function bracketText(s: CapacityRow): string {
  return `${formatNumber(s.lower_rps)} \u2013 ${formatNumber(s.upper_rps)}`;
}

function outcomeText(s: CapacityRow): string {
  if (s.status === 'incomplete') return 'incomplete (still needs probes)';
  switch (s.outcome) {
    case 'bracketed':
      return `bracketed to ${formatNumber(s.precision * 100)} %`;
    case 'below-min':
      return 'even the minimum rate fails';
    case 'above-max':
      return 'the maximum rate is sustained';
    default:
      return s.outcome ?? '-';
  }
}
