import { describe, expect, it } from 'vitest';
import {
  REPORT_MAX_SAMPLES,
  REPORT_SAMPLE_BUDGET,
  renderHtmlReport,
} from '../../../runner/reports/html-report.js';
import { pointsPerSeries } from '../../../runner/reports/point-budget.js';
import { METRIC_KEYS } from '../../../runner/metrics/metric-keys.js';
import type { ReportData } from '../../../runner/reports/report-data.js';
import { roundSignificant } from '../../../runner/reports/significant-digits.js';
import { sampleFluidOverlay, sampleReportData } from './report-data-fixture.js';

const EVIL = '<script>alert(1)</script>';

function embeddedJson(html: string, id: string): unknown {
  const open = `<script type="application/json" id="${id}">`;
  const start = html.indexOf(open);
  expect(start).toBeGreaterThan(0);
  const end = html.indexOf('</script>', start);
  return JSON.parse(html.slice(start + open.length, end));
}

function evilData(): ReportData {
  const data = sampleReportData({ workloads: [`w"><img src=x onerror=alert(1)>${EVIL}`], samples: 20 });
  data.title = EVIL;
  data.sweep.name = EVIL;
  data.sweep.specYaml = `name: "${EVIL}"\n# <!-- comment\nsource: https://example.com/trace.csv\n`;
  data.machine.name = EVIL;
  data.machine.description = EVIL;
  data.machine.details = { [EVIL]: EVIL };
  data.runs[0].policy = EVIL;
  data.runs[0].params = { evil: `</script><!--${EVIL}` };
  const failed = data.runs.find((run) => run.status === 'failed');
  if (failed) failed.error = `${EVIL} & <b>bold</b>`;
  const done = data.runs[0];
  done.stability = { ...done.stability!, reason: `${EVIL}" onmouseover="alert(1)` };
  data.fluid = { [data.runs[0].workload]: { ...sampleFluidOverlay([2, 4, 8], 100, 5), note: EVIL } };
  return data;
}

describe('renderHtmlReport', () => {
  it('is one document with the CSP, the data, Chart.js and the chart script', () => {
    const html = renderHtmlReport(sampleReportData({ samples: 20 }));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;unsafe-inline&#39;; style-src &#39;unsafe-inline&#39;; img-src data:`,
    );
    expect(html).toContain('Chart.js v4');
    expect(html.match(/<script\b/gi)).toHaveLength(4);
    expect(html.match(/<canvas\b/g)).toHaveLength(10);
    expect(html).toContain('data-chart="latency-e2e:azure-conv"');
    expect(html).toContain('data-chart="cdf-e2e:sharegpt-synth"');
    expect(html).toContain('18 done</span>, <span class="status-failed">2 failed');
  });

  it('escapes user text: a sweep named <script> makes no script element', () => {
    const data = evilData();
    const html = renderHtmlReport(data);
    // Only the 4 script elements of the report itself.
    expect(html.match(/<script\b/gi)).toHaveLength(4);
    expect(html).not.toContain(EVIL);
    expect(html).not.toMatch(/<img\b/i);
    expect(html).not.toMatch(/<b>bold/);
    expect(html).toContain('<title>&#60;script&#62;alert(1)&#60;/script&#62;</title>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#60;b&#62;bold&#60;/b&#62;');
    // The embedded JSON cannot close its script element or open a comment.
    const dataScript = html.slice(html.indexOf('id="report-data">'), html.indexOf('id="report-charts">'));
    expect(dataScript.match(/<\/script/gi)).toHaveLength(1);
    expect(dataScript).not.toContain('<!--');
  });

  it('embeds the report data as JSON that round-trips', () => {
    const data = evilData();
    const html = renderHtmlReport(data);
    // Everything but the latency samples, which are rounded to CHART_SIGNIFICANT_DIGITS.
    const embedded = embeddedJson(html, 'report-data') as ReportData;
    expect({ ...embedded, distributions: {} }).toEqual({ ...data, distributions: {} });
    for (const [id, dist] of Object.entries(data.distributions)) {
      expect(embedded.distributions[Number(id)]).toEqual({
        ttft: dist.ttft.map((x) => roundSignificant(x)),
        e2e: dist.e2e.map((x) => roundSignificant(x)),
      });
    }
    const charts = embeddedJson(html, 'report-charts') as { workloads: unknown[] };
    expect(charts.workloads).toHaveLength(1);
  });

  it('downsamples latency samples beyond REPORT_MAX_SAMPLES, keeping min and max', () => {
    const data = sampleReportData({ workloads: ['w'], rates: [2], samples: 5000, withFailed: false });
    const embedded = embeddedJson(renderHtmlReport(data), 'report-data') as ReportData;
    for (const run of data.runs) {
      const ttft = embedded.distributions[run.id].ttft;
      expect(ttft).toHaveLength(REPORT_MAX_SAMPLES);
      expect(ttft[0]).toBe(roundSignificant(Math.min(...data.distributions[run.id].ttft)));
      expect(ttft[ttft.length - 1]).toBe(roundSignificant(Math.max(...data.distributions[run.id].ttft)));
      // The cut samples still stand for every completed request (pooledCdf weighs them by it).
      expect(embedded.distributions[run.id].finished).toBe(5000);
    }
  });

  it('shares REPORT_SAMPLE_BUDGET among many runs, each keeping its min, max and request count', () => {
    const rates = Array.from({ length: 10 }, (_, i) => i + 1);
    const data = sampleReportData({
      workloads: ['w'],
      rates,
      seeds: [1, 2, 3, 4],
      samples: 2000,
      withFailed: false,
    });
    const runs = Object.keys(data.distributions).length;
    expect(runs).toBe(120);
    const perRun = pointsPerSeries(runs, REPORT_MAX_SAMPLES, REPORT_SAMPLE_BUDGET);
    expect(perRun).toBe(Math.floor(REPORT_SAMPLE_BUDGET / runs));
    const embedded = embeddedJson(renderHtmlReport(data), 'report-data') as ReportData;
    let total = 0;
    for (const [id, dist] of Object.entries(data.distributions)) {
      const cut = embedded.distributions[Number(id)];
      expect(cut.e2e).toHaveLength(perRun);
      expect(cut.finished).toBe(2000);
      expect(cut.e2e[0]).toBe(roundSignificant(Math.min(...dist.e2e)));
      expect(cut.e2e[perRun - 1]).toBe(roundSignificant(Math.max(...dist.e2e)));
      total += cut.e2e.length;
    }
    expect(total).toBeLessThanOrEqual(REPORT_SAMPLE_BUDGET);
  });

  it('references no network resource', () => {
    const html = renderHtmlReport(evilData());
    // Attributes that load something: none points at http(s) or a protocol-relative URL.
    expect(html).not.toMatch(
      /\b(?:src|href|action|poster|srcset|data|xlink:href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?\/\//i,
    );
    expect(html).not.toMatch(/url\(\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    // Every href in the page is an in-page anchor.
    for (const [, href] of html.matchAll(/\bhref="([^"]*)"/g)) expect(href.startsWith('#')).toBe(true);
    // The URL from the spec YAML appears only as escaped text inside the <pre>.
    expect(html).toContain('source: https://example.com/trace.csv');
  });

  it('lists failed runs with their error in the runs table', () => {
    const data = sampleReportData({ workloads: ['w'], samples: 5 });
    const html = renderHtmlReport(data);
    const failed = data.runs.find((run) => run.status === 'failed');
    expect(html).toContain(`<tr class="run run-failed"><td class="num">${failed?.id}</td>`);
    expect(html).toContain(`<strong>Run ${failed?.id} error:</strong> KV capacity violated`);
  });
});

describe('renderHtmlReport: stability', () => {
  const data = sampleReportData({ workloads: ['w'], samples: 5, fluid: true });
  const html = renderHtmlReport(data);

  it('shows each run stable yes / no / - with the reason as a tooltip', () => {
    const unstable = data.runs.filter((run) => run.stable === false);
    expect(unstable.length).toBeGreaterThan(0);
    // Once in the screen table, once in the first printed block (the identity columns repeat in every block).
    const blocks = Math.ceil(METRIC_KEYS.length / 10);
    expect(
      html.match(/<td class="stable stable-no" title="unstable: requests in system grow">no<\/td>/g),
    ).toHaveLength(unstable.length * (1 + blocks));
    expect(html).toContain('<td class="stable stable-none">-</td>'); // the failed run
    expect(html).toMatch(/<th scope="col">status<\/th><th scope="col">stable<\/th>/);
  });

  it('states the largest stable rate per policy and the fluid limit, with the overlay note', () => {
    const summary = html.slice(
      html.indexOf('<table class="stable-rates">'),
      html.indexOf('</table>', html.indexOf('<table class="stable-rates">')),
    );
    expect(summary).toContain('vllm</td><td class="num">4</td><td>unstable from 8 req/s</td>');
    expect(summary).toContain(
      'sarathi</td><td class="num">\u2265 8</td><td>stable at every rate tested</td>',
    );
    expect(summary).toContain('<tr class="fluid-limit"><td>fluid benchmark</td><td class="num">10</td>');
    expect(html).toContain(`<p class="note fluid-note">${data.fluid!.w.note}</p>`);
    expect(html).toContain('A cross (&times;) marks a point with a run judged unstable (1 run here)');
  });

  it('has no fluid note or limit row without an overlay', () => {
    const plain = renderHtmlReport(sampleReportData({ workloads: ['w'], samples: 5 }));
    expect(plain).not.toContain('class="note fluid-note"');
    expect(plain).not.toContain('<tr class="fluid-limit">');
    expect(plain).toContain('<table class="stable-rates">');
  });
});
