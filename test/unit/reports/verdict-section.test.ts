import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../../runner/metrics/paired-verdicts.js';
import { VERDICT_METRIC_INFO } from '../../../runner/metrics/paired-verdicts.js';
import { escapeHtml } from '../../../runner/reports/html-escape.js';
import { renderHtmlReport } from '../../../runner/reports/html-report.js';
import { answerVerdicts } from '../../../runner/reports/verdict-sentence.js';
import { verdictSectionHtml } from '../../../runner/reports/verdict-section.js';
import { sweepVerdicts, verdictSentence } from '../../../runner/reports/verdicts.js';
import { sampleReportData } from './report-data-fixture.js';

/** The `<section id="verdict">` of a report, and the text of its list items in order. */
function verdictSection(html: string): { section: string; items: string[]; index: number } {
  const index = html.indexOf('<section id="verdict">');
  expect(index).toBeGreaterThan(0);
  const section = html.slice(index, html.indexOf('</section>', index) + '</section>'.length);
  const items = [...section.matchAll(/<li\b[^>]*>(.*?)<\/li>/g)].map((m) => m[1]);
  return { section, items, index };
}

const capacityVerdict: Verdict = {
  workload: 'azure-conv',
  rate_rps: null,
  nominal_rate_rps: null,
  metric: 'max_rate_rps',
  direction: 'higher',
  best_policy: 'sarathi chunkSize=512',
  seeds: 2,
  comparisons: [{ policy: 'vllm', ratio: 0.9, ci_low: 0.85, ci_high: 0.95, significant: true }],
  note: null,
};

describe('the verdict section of the HTML report', () => {
  it('opens the report with the sentences of the paired verdicts of its runs', () => {
    const data = sampleReportData({ seeds: [1, 2, 3], samples: 10 });
    const html = renderHtmlReport(data);
    const { section, items, index } = verdictSection(html);
    // Before the first workload section, and first in the navigation.
    expect(index).toBeLessThan(html.indexOf('<section class="workload"'));
    expect(html).toContain('<nav><ul><li><a href="#verdict">Verdict</a></li>');
    const verdicts = sweepVerdicts(data.runs);
    expect(verdicts.length).toBeGreaterThan(0);
    expect(items).toEqual(verdicts.map((v) => escapeHtml(verdictSentence(v))));
    expect(section).toContain('<ul class="verdicts verdicts-paired">');
    expect(section).not.toContain('verdicts-capacity');
  });

  it('states given verdicts (a sweep summary) with the capacity verdicts first, and its notes', () => {
    const data = sampleReportData({ seeds: [1, 2], samples: 10 });
    const paired = sweepVerdicts(data.runs);
    const html = renderHtmlReport(data, {
      verdicts: { verdicts: [...paired, capacityVerdict], notes: ['searches of <w> not judged'] },
    });
    const { section, items } = verdictSection(html);
    expect(items).toEqual([capacityVerdict, ...paired].map((v) => escapeHtml(verdictSentence(v))));
    expect(items[0]).toBe(
      'On azure-conv, sarathi chunkSize=512 has the highest capacity (2 seeds): vllm is 10.0 % lower (bracket range 5.0–15.0 %).',
    );
    expect(section.indexOf('verdicts-capacity')).toBeLessThan(section.indexOf('verdicts-paired'));
    expect(section).toContain('<p class="note verdict-note">Note: searches of &#60;w&#62; not judged</p>');
  });

  it('says why there is no verdict when one policy ran, and escapes policy names', () => {
    const one = sampleReportData({ policies: [{ policy: 'vllm', params: {} }], samples: 10 });
    expect(verdictSection(renderHtmlReport(one)).section).toContain('class="note no-verdict"');
    const evil = sampleReportData({
      policies: [
        { policy: '<script>x</script>', params: {} },
        { policy: 'vllm', params: {} },
      ],
      samples: 10,
    });
    const html = verdictSectionHtml({ verdicts: sweepVerdicts(evil.runs), notes: [] });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;x&#60;/script&#62;');
  });

  it('orders verdicts capacity first, and names every metric as the verdicts do', () => {
    const paired = sweepVerdicts(sampleReportData({ seeds: [1, 2], samples: 10 }).runs);
    expect(answerVerdicts([...paired, capacityVerdict])).toEqual({ capacity: [capacityVerdict], paired });
    // The sentence names the metric as the verdicts' table does (one table: verdict-metrics.ts).
    expect(verdictSentence(capacityVerdict)).toContain(
      `the highest ${VERDICT_METRIC_INFO.max_rate_rps.name}`,
    );
    for (const v of paired) expect(verdictSentence(v)).toContain(VERDICT_METRIC_INFO[v.metric].name);
  });
});
