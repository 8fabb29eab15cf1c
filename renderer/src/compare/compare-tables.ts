import type { CompareCell, CompareConfiguration, CompareOut } from '../../../runner/api/api-contract.js';
import { METRIC_KEYS } from '../../../runner/metrics/metric-keys.js';
import { replicaSharesText } from '../../../runner/reports/replica-loads-table.js';
import { escapeHtml } from '../dom.js';
import { formatNumber, formatPercent } from '../format.js';
import { rateText, type ConfigurationStyle } from './compare-view.js';
import { changeVerdict } from './metric-direction.js';

/**
 * The Compare page's two tables, built as HTML strings (one innerHTML beats many nodes): the
 * configurations with the fields that differ between them, and the metrics of every configuration
 * at one rate, against the baseline configuration at that rate.
 */

/** The SVG of a marker shape (Chart.js pointStyle) centred at (13, 5). */
function markerSvg(marker: ConfigurationStyle['marker'], color: string): string {
  const fill = `fill="${color}"`;
  switch (marker) {
    case 'triangle':
      return `<polygon points="13,1.5 16.5,8 9.5,8" ${fill}/>`;
    case 'rect':
      return `<rect x="10" y="2" width="6" height="6" ${fill}/>`;
    case 'rectRounded':
      return `<rect x="10" y="2" width="6" height="6" rx="1.5" ${fill}/>`;
    case 'rectRot':
      return `<polygon points="13,1 17,5 13,9 9,5" ${fill}/>`;
    case 'star':
      return `<polygon points="13,1 14.2,3.8 17,4 14.8,6 15.5,9 13,7.4 10.5,9 11.2,6 9,4 11.8,3.8" ${fill}/>`;
    case 'crossRot':
      return `<path d="M10 2 L16 8 M16 2 L10 8" stroke="${color}" stroke-width="1.6"/>`;
    default:
      return `<circle cx="13" cy="5" r="3" ${fill}/>`;
  }
}

/** A swatch of a configuration's style: its color, dash and marker, as a small SVG. */
export function swatchHtml(style: ConfigurationStyle): string {
  const dash = style.dash.length > 0 ? ` stroke-dasharray="${style.dash.join(' ')}"` : '';
  return `<svg class="swatch-line" width="26" height="10" viewBox="0 0 26 10" aria-hidden="true" data-color="${style.color}" data-marker="${style.marker}"><line x1="1" y1="5" x2="25" y2="5" stroke="${style.color}" stroke-width="2.5"${dash}/>${markerSvg(style.marker, style.color)}</svg>`;
}

/** A configuration's heading cell text: swatch and label. */
function configurationHeading(c: CompareConfiguration, style: ConfigurationStyle): string {
  return `${swatchHtml(style)}<span class="config-label">${escapeHtml(c.label)}</span>`;
}

/** `1, 2, 4 req/s` (and `trace timing`). */
function ratesText(c: CompareConfiguration): string {
  const numeric = c.cells.filter((cell) => cell.rate !== null).map((cell) => formatNumber(cell.rate));
  const parts = numeric.length > 0 ? [`${numeric.join(', ')} req/s`] : [];
  if (c.cells.some((cell) => cell.rate === null)) parts.push('trace timing');
  return parts.join('; ');
}

/** Seeds as a compact list: `1–10`, `1, 3, 5`. */
function seedsText(c: CompareConfiguration): string {
  const seeds = [...new Set(c.cells.flatMap((cell) => cell.seeds))].sort((a, b) => a - b);
  const consecutive = seeds.length > 2 && seeds.every((s, i) => i === 0 || s === seeds[i - 1] + 1);
  return consecutive ? `${seeds[0]}\u2013${seeds[seeds.length - 1]}` : seeds.join(', ');
}

/**
 * The configuration table: one row per configuration (the baseline first and marked), one column
 * per configuration field that differs (`out.configurationFields`: policy, params as one
 * `key=value` text, workload, machine), then the rates and seeds it was run at and its run count.
 */
export function configurationTableHtml(
  out: CompareOut,
  configurations: readonly CompareConfiguration[],
  baseline: number,
  styles: readonly ConfigurationStyle[],
): string {
  const fields = out.configurationFields;
  const head = fields.map((f) => `<th scope="col">${escapeHtml(f.key)}</th>`).join('');
  const order = [baseline, ...configurations.map((_, i) => i).filter((i) => i !== baseline)];
  const rows = order
    .map((i) => {
      const c = configurations[i];
      const base = i === baseline;
      const cells = fields
        .map((f) => {
          const title = f.key === 'params' ? ` title="${escapeHtml(`${c.policy} ${c.paramsText}`)}"` : '';
          return `<td data-field="${escapeHtml(f.key)}"${title}>${escapeHtml(f.values[i])}</td>`;
        })
        .join('');
      const sweeps =
        c.sweepIds.length > 1 ? ` <small class="muted">(${c.sweepIds.length} sweeps)</small>` : '';
      return `<tr data-configuration="${i}"${base ? ' class="baseline"' : ''}><th scope="row">${configurationHeading(c, styles[i])}${base ? ' <small class="baseline-tag">baseline</small>' : ''}</th>${cells}<td>${escapeHtml(ratesText(c))}</td><td>${escapeHtml(seedsText(c))}</td><td>${c.runIds.length}${sweeps}</td></tr>`;
    })
    .join('');
  return `<table class="compare-configs striped"><thead><tr><th scope="col">configuration</th>${head}<th scope="col">rates</th><th scope="col">seeds</th><th scope="col">runs</th></tr></thead><tbody>${rows}</tbody></table>`;
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

/** The stability cell: `2 / 2 stable`, colored by how many were stable. */
export function stabilityCellHtml(cell: CompareCell, baseline = false): string {
  const judged = cell.stable + cell.unstable;
  const unjudged = cell.measured - judged;
  const kind =
    cell.measured === 0
      ? 'absent'
      : cell.stable === cell.measured
        ? 'all'
        : cell.unstable === 0
          ? 'unjudged'
          : cell.stable === 0
            ? 'none'
            : 'some';
  const note = unjudged > 0 ? `<span class="spread">${unjudged} without a verdict</span>` : '';
  return `<td class="stability stable-${kind}${baseline ? ' baseline' : ''}" data-stable="${cell.stable}" data-runs="${cell.measured}"><span class="value">${cell.stable} / ${cell.measured}</span>${note}</td>`;
}

/** The configurations shown at `rate`, the baseline first: those with runs at that rate. */
export function configurationsAtRate(
  configurations: readonly CompareConfiguration[],
  baseline: number,
  rate: number | null,
): number[] {
  const order = [baseline, ...configurations.map((_, i) => i).filter((i) => i !== baseline)];
  return order.filter((i) => configurations[i].cells.some((cell) => cell.rate === rate));
}

/**
 * The row under `load_imbalance`: each replica's share of a cluster configuration's work (mean
 * over its seeds; CompareCell.replicaShares) as the report writes them (replicaSharesText); `-`
 * for a configuration on one replica.
 */
function replicaSharesRowHtml(
  cells: readonly CompareCell[],
  shown: readonly number[],
  baseline: number,
): string {
  if (!cells.some((cell) => cell.replicaShares !== undefined)) return '';
  const tds = cells
    .map((cell, k) => {
      const shares = cell.replicaShares;
      const text = shares === undefined ? '-' : replicaSharesText(shares);
      const even =
        shares === undefined ? '' : ` title="an even share is ${formatNumber(100 / shares.length)} %"`;
      return `<td${shown[k] === baseline ? ' class="baseline"' : ''}${even}>${escapeHtml(text)}</td>`;
    })
    .join('');
  return `<tr data-metric="replica_shares"><th scope="row" title="prompt + output tokens routed to each replica / the cluster's, mean over seeds">replica shares</th>${tds}</tr>`;
}

/**
 * The metric table at `rate`: one column per configuration run at that rate (the baseline first),
 * one row for stability (stable runs / runs) and one per metric any of them has a value for (so
 * goodput and SLO attainment only with an SLO). A cell is the mean over the configuration's seeds
 * at that rate, its change against the baseline configuration AT THE SAME RATE (green better, red
 * worse, grey without a direction) and the seed-to-seed spread.
 */
export function metricTableHtml(
  configurations: readonly CompareConfiguration[],
  baseline: number,
  rate: number | null,
  styles: readonly ConfigurationStyle[],
): string {
  const shown = configurationsAtRate(configurations, baseline, rate);
  const cells = shown.map((i) => configurations[i].cells.find((cell) => cell.rate === rate)!);
  const head = shown
    .map((i, k) => {
      const c = configurations[i];
      const base = i === baseline;
      return `<th scope="col" data-configuration="${i}"${base ? ' class="baseline"' : ''} title="${escapeHtml(`${c.policy} ${c.paramsText} \u00b7 ${c.workload} @ ${c.machine}`)}">${configurationHeading(c, styles[i])}<small class="machine">${escapeHtml(c.machine)} \u00b7 ${cells[k].seeds.length} seed${cells[k].seeds.length === 1 ? '' : 's'}</small>${base ? '<small class="baseline-tag">baseline</small>' : ''}</th>`;
    })
    .join('');
  const stability = `<tr data-metric="stability"><th scope="row" title="runs judged stable by the trend test (docs/metrics.md, Stability) / runs with results">stable runs</th>${cells.map((cell, k) => stabilityCellHtml(cell, shown[k] === baseline)).join('')}</tr>`;
  const rows = METRIC_KEYS.filter((key) => cells.some((cell) => (cell.mean[key] ?? null) !== null))
    .map((key) => {
      const tds = cells
        .map((cell, k) => {
          const base = shown[k] === baseline;
          return `<td${base ? ' class="baseline"' : ''}>${metricCellHtml(key, cell.mean[key] ?? null, cell.changePct[key] ?? null, cell.spread[key] ?? null)}</td>`;
        })
        .join('');
      const row = `<tr data-metric="${escapeHtml(key)}"><th scope="row">${escapeHtml(key)}</th>${tds}</tr>`;
      return key === 'load_imbalance' ? row + replicaSharesRowHtml(cells, shown, baseline) : row;
    })
    .join('');
  return `<table class="compare-metrics" data-rate="${rate ?? 'trace'}"><thead><tr><th scope="col">metric at ${escapeHtml(rateText(rate))}</th>${head}</tr></thead><tbody>${stability}${rows}</tbody></table>`;
}
