import type { CompareOut, RunSummary } from '../../../runner/api/api-contract.js';
import { escapeHtml } from '../dom.js';
import { formatNumber, formatPercent } from '../format.js';
import { changeVerdict } from './metric-direction.js';

/**
 * The Compare page's two tables, built as HTML strings for a window of the runs (`shown`:
 * indices into `out.runs`, the baseline first): the page shows a dozen runs at a time in the
 * tables (all of them in the charts), so that 200 runs lay out as fast as ten.
 */

/** A run's heading: `#12 vllm`. */
function runHeading(run: RunSummary): string {
  return `#${run.id} ${run.policy}`;
}

/** A run's parameters in one line, for a tooltip. */
function runTitle(run: RunSummary): string {
  return `run ${run.id}: ${run.policy}, ${run.workload}, rate ${run.rate ?? 'trace'}, seed ${run.seed}, ${run.machine} (${run.sweepName})`;
}

/**
 * The parameter table: one row per shown run, one column per parameter whose value differs
 * across ALL the compared runs (`differing`); the baseline row is marked.
 */
export function paramTableHtml(out: CompareOut, shown: readonly number[]): string {
  if (out.differing.length === 0) {
    return '<p class="note">The runs have the same parameters (policy, its parameters, workload, rate, seed, machine).</p>';
  }
  const head = out.differing.map((d) => `<th scope="col">${escapeHtml(d.key)}</th>`).join('');
  const rows = shown
    .map((i) => {
      const run = out.runs[i];
      const base = run.id === out.baselineId;
      const cells = out.differing.map((d) => `<td>${escapeHtml(d.values[i])}</td>`).join('');
      return `<tr data-run="${run.id}"${base ? ' class="baseline"' : ''}><th scope="row" title="${escapeHtml(runTitle(run))}">#${run.id}${base ? ' <small class="baseline-tag">baseline</small>' : ''}</th>${cells}</tr>`;
    })
    .join('');
  return `<table class="compare-params striped"><thead><tr><th scope="col">run</th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * The HTML of one metric cell: the value, its change (colored by verdict, sign written), its
 * spread (`± sd`; `± n/a (identical)` for a spread of exactly 0, which `runs.compare` reports
 * only when the seeds' values are all identical: no spread was measured, so none is shown as 0).
 */
export function metricCellHtml(
  key: string,
  value: number | null,
  change: number | null,
  spread: number | null,
): string {
  const changeHtml =
    change === null
      ? ''
      : `<span class="change change-${changeVerdict(key, change)}" data-sign="${change > 0 ? '+' : change < 0 ? '-' : '0'}">${escapeHtml(formatPercent(change))}</span>`;
  const spreadHtml =
    spread === null
      ? ''
      : spread === 0
        ? '<span class="spread identical" title="every seed gave the same value: no seed-to-seed spread was measured">\u00b1 n/a (identical)</span>'
        : `<span class="spread" title="seed-to-seed standard deviation">\u00b1 ${escapeHtml(formatNumber(spread))}</span>`;
  return `<span class="value">${escapeHtml(formatNumber(value))}</span>${changeHtml}${spreadHtml}`;
}

/**
 * The metric table: one row per metric, one column per shown run: the value, its change against
 * the baseline in percent (green better, red worse, grey for metrics without a direction) and
 * the seed-to-seed spread (± the standard deviation over the compared runs that differ only in
 * seed), as `runs.compare` computed them over all the compared runs.
 */
export function metricTableHtml(out: CompareOut, shown: readonly number[]): string {
  const head = shown
    .map((i) => {
      const run = out.runs[i];
      const base = run.id === out.baselineId;
      return `<th scope="col" data-run="${run.id}"${base ? ' class="baseline"' : ''} title="${escapeHtml(runTitle(run))}">${escapeHtml(runHeading(run))}${base ? '<br><small class="baseline-tag">baseline</small>' : ''}</th>`;
    })
    .join('');
  const rows = out.metrics
    .map((m) => {
      const cells = shown
        .map((i) => {
          const base = out.runs[i].id === out.baselineId;
          return `<td${base ? ' class="baseline"' : ''}>${metricCellHtml(m.key, m.values[i], m.changePct[i], m.seedSpread[i])}</td>`;
        })
        .join('');
      return `<tr data-metric="${escapeHtml(m.key)}"><th scope="row">${escapeHtml(m.key)}</th>${cells}</tr>`;
    })
    .join('');
  return `<table class="compare-metrics"><thead><tr><th scope="col">metric</th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** Runs shown per page of the tables. */
export const TABLE_PAGE_SIZE = 12;

/**
 * The run indices of table page `page` (0-based): the baseline first, then the page's other
 * runs in order; pages cut the non-baseline runs into TABLE_PAGE_SIZE - 1.
 */
export function tablePage(out: CompareOut, page: number): number[] {
  const base = out.runs.findIndex((r) => r.id === out.baselineId);
  const others = out.runs.map((_, i) => i).filter((i) => i !== base);
  const size = TABLE_PAGE_SIZE - 1;
  return [base, ...others.slice(page * size, (page + 1) * size)];
}

/** Number of table pages for the compared runs. */
export function tablePages(out: CompareOut): number {
  return Math.max(1, Math.ceil((out.runs.length - 1) / (TABLE_PAGE_SIZE - 1)));
}
