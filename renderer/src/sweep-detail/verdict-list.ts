import type { SweepSummaryData } from '../../../runner/api/api-contract.js';
import { answerVerdicts, verdictSentence } from '../../../runner/reports/verdict-sentence.js';
import { h } from '../dom.js';

type Verdict = SweepSummaryData['verdicts'][number];

/** Above this many paired verdicts (a capacity search's probe rates, many rates) they start collapsed. */
export const PAIRED_SHOWN_MAX = 12;

/** How many (workload, rate) groups the verdicts cover. */
function groups(verdicts: readonly Verdict[]): number {
  return new Set(verdicts.map((v) => `${v.workload}\u0000${v.nominal_rate_rps}`)).size;
}

/**
 * The verdict that opens a sweep's page: one sentence per verdict (verdictSentence, the words of
 * `schedbench summary` and of the HTML report's verdict section), the capacity verdicts of a
 * capacity search first (`ul.verdicts-capacity`), then the paired verdicts per workload, rate and
 * key metric (`ul.verdicts-paired`; collapsed in a `<details>` above PAIRED_SHOWN_MAX of them),
 * then the notes (what could not be judged). Each item carries `data-workload` and `data-metric`.
 *
 * @param verdicts `sweeps.summary`'s verdicts (paired, then capacity)
 * @param notes `sweeps.summary`'s notes
 * @param why the sentence shown when there is no verdict at all
 */
export function verdictBlock(
  verdicts: readonly Verdict[],
  notes: readonly string[],
  why: string,
): HTMLElement {
  const { capacity, paired } = answerVerdicts(verdicts);
  const list = (cls: string, items: readonly Verdict[]): HTMLElement =>
    h(
      'ul',
      { class: `verdicts ${cls}` },
      items.map((v) => h('li', { 'data-workload': v.workload, 'data-metric': v.metric }, verdictSentence(v))),
    );
  return h(
    'section',
    { class: 'sweep-verdict', 'data-section': 'verdict' },
    h('h2', {}, 'Verdict'),
    capacity.length > 0
      ? [
          h('h3', {}, 'Capacity'),
          h(
            'p',
            { class: 'hint' },
            'The largest offered rate each policy sustains (stable and, with an SLO, meeting it), from the capacity search; the range is what the brackets allow.',
          ),
          list('verdicts-capacity', capacity),
        ]
      : null,
    paired.length > 0
      ? [
          capacity.length > 0 ? h('h3', {}, 'At each rate') : null,
          h(
            'p',
            { class: 'hint' },
            'Per workload, rate and key metric: the best policy and every other one against it, paired over seeds (95 % t interval of the log ratio; docs/metrics.md, Verdicts).',
          ),
          paired.length > PAIRED_SHOWN_MAX
            ? h(
                'details',
                { class: 'paired-verdicts' },
                h(
                  'summary',
                  {},
                  `${paired.length} verdicts at ${groups(paired)} workload and rate pairs: show them`,
                ),
                list('verdicts-paired', paired),
              )
            : list('verdicts-paired', paired),
        ]
      : null,
    capacity.length === 0 && paired.length === 0 ? h('p', { class: 'note no-verdict' }, why) : null,
    notes.map((note) => h('p', { class: 'note verdict-note' }, `Note: ${note}`)),
  );
}
