import { escapeHtml } from './html-escape.js';
import { formatNumber } from './format-number.js';
import type { ReportRun } from './report-data.js';
import { replicaShares } from '../metrics/replica-loads.js';

/** Replicas whose shares are listed one by one; a larger cluster shows its smallest and largest. */
const LISTED_REPLICAS = 8;

/**
 * Replicas' shares of a cluster's work as text: `25.1 · 24.9 · 25.0 · 25.0 %` (percent, in replica
 * order), or for more than 8 replicas the smallest and largest, `23.0 to 27.1 % over 16 replicas`.
 * @param shares fractions in [0, 1], in replica order (replicaShares)
 */
export function replicaSharesText(shares: readonly number[]): string {
  const percent = (x: number): string => formatNumber(100 * x);
  return shares.length <= LISTED_REPLICAS
    ? `${shares.map(percent).join(' \u00b7 ')} %`
    : `${percent(Math.min(...shares))} to ${percent(Math.max(...shares))} % over ${shares.length} replicas`;
}

/**
 * A report section's "Replica load" table: one row per done run on a cluster of replicas
 * (ReportRun.replicaLoads), by policy label, rate and seed, with its label, rate, seed, routing, load imbalance (max / mean
 * replica tokens) and each replica's share of the prompt + output tokens routed
 * (`25.1 · 24.9 · 25.0 · 25.0 %`; for more than 8 replicas the smallest and largest share), so a
 * reader sees whether the router kept the replicas even. Empty when no run ran on a cluster.
 *
 * @param runs the section's runs
 * @param labels each run's policy label (runLabels)
 * @returns HTML, or '' when no run has replica loads
 */
export function replicaLoadsHtml(runs: readonly ReportRun[], labels: Map<number, string>): string {
  // By policy label, then rate (a trace's last), then seed.
  const clusters = runs
    .filter((r) => r.replicaLoads !== undefined && r.replicaLoads.length > 1)
    .sort(
      (a, b) =>
        (labels.get(a.id) ?? a.policy).localeCompare(labels.get(b.id) ?? b.policy) ||
        (a.rate ?? Infinity) - (b.rate ?? Infinity) ||
        a.seed - b.seed,
    );
  if (clusters.length === 0) return '';
  const rows = clusters.map((run) => {
    const shares = replicaShares(run.replicaLoads!);
    const text = replicaSharesText(shares);
    const routing = typeof run.params.routing === 'string' ? run.params.routing : 'round-robin';
    const cells = [
      `<td class="num">${run.id}</td>`,
      `<td class="policy">${escapeHtml(labels.get(run.id) ?? run.policy)}</td>`,
      `<td class="num">${escapeHtml(run.rate === null ? 'trace' : formatNumber(run.rate))}</td>`,
      `<td class="num">${run.seed}</td>`,
      `<td>${escapeHtml(routing)}</td>`,
      `<td class="num">${escapeHtml(formatNumber(run.metrics?.load_imbalance ?? null))}</td>`,
      `<td class="num" title="an even share is ${escapeHtml(formatNumber(100 / shares.length))} %">${escapeHtml(text)}</td>`,
    ];
    return `<tr data-run="${run.id}">${cells.join('')}</tr>`;
  });
  const head = [
    'id',
    'policy',
    'rate (req/s)',
    'seed',
    'routing',
    'load imbalance',
    'token share per replica',
  ]
    .map((c) => `<th scope="col">${escapeHtml(c)}</th>`)
    .join('');
  return (
    '<h3>Replica load</h3>' +
    '<p class="note">Runs on a cluster of replicas: each replica\u2019s share of the prompt + output tokens ' +
    'routed to it, and the load imbalance (largest replica\u2019s tokens over the mean; 1 is even).</p>' +
    `<div class="table-wrap"><table class="replica-loads"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`
  );
}
