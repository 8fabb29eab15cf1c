import type { Verdict } from '../metrics/paired-verdicts.js';
import { escapeHtml } from './html-escape.js';
import { answerVerdicts, verdictSentence } from './verdict-sentence.js';

/** What the verdict section of an HTML report states: a sweep's verdicts and what could not be judged. */
export interface ReportVerdicts {
  /**
   * Paired verdicts (docs/metrics.md, "Verdicts") and, for a sweep with capacity searches, the
   * capacity verdicts (metric `max_rate_rps`), in any order: capacity verdicts are told first.
   */
  verdicts: readonly Verdict[];
  /** What could not be judged and why (the `notes` of `sweeps.summary`); may be empty. */
  notes: readonly string[];
}

/**
 * The `<section id="verdict">` that opens an HTML report (and so its printed PDF): one sentence
 * per verdict (verdictSentence, the same words as `schedbench summary` and the app's sweep page),
 * capacity verdicts first (`ul.verdicts-capacity`), then the paired ones (`ul.verdicts-paired`),
 * then the notes. Without any verdict it says why there is none. All text is HTML-escaped.
 */
export function verdictSectionHtml({ verdicts, notes }: ReportVerdicts): string {
  const { capacity, paired } = answerVerdicts(verdicts);
  const list = (cls: string, items: readonly Verdict[]): string =>
    `<ul class="verdicts ${cls}">\n${items
      .map(
        (v) =>
          `<li data-workload="${escapeHtml(v.workload)}" data-metric="${escapeHtml(v.metric)}">${escapeHtml(verdictSentence(v))}</li>`,
      )
      .join('\n')}\n</ul>`;
  const parts = ['<section id="verdict">', '<h2>Verdict</h2>'];
  if (capacity.length > 0) {
    parts.push(
      '<h3>Capacity</h3>',
      '<p class="note">The largest offered rate each policy sustains (stable and, with an SLO, meeting it), found by a capacity search; the range is what the searches\u2019 brackets allow (docs/metrics.md, Capacity).</p>',
      list('verdicts-capacity', capacity),
    );
  }
  if (paired.length > 0) {
    parts.push(
      capacity.length > 0 ? '<h3>At each rate</h3>' : '',
      '<p class="note">Per workload, rate and key metric: the best policy and every other one against it, paired over seeds (a seed gives every policy the same requests; 95 % t interval of the log ratio, docs/metrics.md, Verdicts).</p>',
      list('verdicts-paired', paired),
    );
  }
  if (capacity.length === 0 && paired.length === 0) {
    parts.push(
      '<p class="note no-verdict">No verdict: a verdict compares two or more policies on the same workload, rate and seeds, and these runs do not have such a group with results.</p>',
    );
  }
  for (const note of notes) parts.push(`<p class="note verdict-note">Note: ${escapeHtml(note)}</p>`);
  parts.push('</section>');
  return parts.filter((part) => part !== '').join('\n');
}
