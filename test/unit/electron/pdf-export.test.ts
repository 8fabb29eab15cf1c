import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DESKTOP_INPUTS } from '../../../electron/desktop-bridge.js';
import { localDateTime, PDF_MARGINS_IN, pdfOptions } from '../../../electron/pdf-export.js';
import { REPO } from '../../helpers/cli.js';

/** The desktop's PDF: printToPDF's options with the header and footer (electron/pdf-export.ts). */
describe('PDF export options', () => {
  const date = new Date(2025, 2, 4, 9, 5);
  const options = pdfOptions({
    title: 'Compare 4 runs',
    sweep: 'paper-low-demand, ablation',
    database: '/home/me/.local/share/schedbench/schedbench.db',
    date,
  });

  it('prints A4 landscape with backgrounds, a header and a footer', () => {
    expect(options).toMatchObject({
      printBackground: true,
      landscape: true,
      pageSize: 'A4',
      displayHeaderFooter: true,
      margins: PDF_MARGINS_IN,
    });
  });

  it('puts the title, the sweep and the date in the header; the database and pages in the footer', () => {
    expect(localDateTime(date)).toBe('2025-03-04 09:05');
    expect(options.headerTemplate).toContain('<b>Compare 4 runs</b>');
    expect(options.headerTemplate).toContain('Sweep: paper-low-demand, ablation');
    expect(options.headerTemplate).toContain('2025-03-04 09:05');
    expect(options.footerTemplate).toContain('Database: /home/me/.local/share/schedbench/schedbench.db');
    expect(options.footerTemplate).toContain(
      'Page <span class="pageNumber"></span> of <span class="totalPages"></span>',
    );
    // Chromium's templates get no page styles: each sets a readable font size itself.
    expect(options.headerTemplate).toMatch(/font-size: 8px/);
    expect(options.footerTemplate).toMatch(/font-size: 8px/);
  });

  it('escapes what the user wrote, and has defaults', () => {
    const hostile = pdfOptions({
      title: '<img src=x onerror=alert(1)>',
      sweep: 'a & "b"',
      database: "/tmp/<db>'s.db",
      date,
    });
    expect(hostile.headerTemplate).not.toContain('<img');
    expect(hostile.headerTemplate).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(hostile.headerTemplate).toContain('a &amp; &quot;b&quot;');
    expect(hostile.footerTemplate).toContain('/tmp/&lt;db&gt;&#39;s.db');
    const bare = pdfOptions({ database: 'x.db', date });
    expect(bare.headerTemplate).toContain('<b>Schedbench</b>');
    expect(bare.headerTemplate).not.toContain('Sweep:');
  });

  it('has the margins print.css gives the page, so both modes lay out alike', () => {
    const css = readFileSync(join(REPO, 'renderer/src/styles/print.css'), 'utf8');
    const margin = /@page\s*{[^}]*margin:\s*([\d.]+)mm\s+([\d.]+)mm;/.exec(css);
    expect(margin).not.toBeNull();
    const [vertical, horizontal] = [Number(margin![1]), Number(margin![2])];
    expect(Math.abs(vertical - PDF_MARGINS_IN.top * 25.4)).toBeLessThan(0.5);
    expect(Math.abs(vertical - PDF_MARGINS_IN.bottom * 25.4)).toBeLessThan(0.5);
    expect(Math.abs(horizontal - PDF_MARGINS_IN.left * 25.4)).toBeLessThan(0.5);
    expect(Math.abs(horizontal - PDF_MARGINS_IN.right * 25.4)).toBeLessThan(0.5);
  });

  it('takes the title and the sweep from the page, validated in the main process', () => {
    const schema = DESKTOP_INPUTS['schedbench:save-pdf'];
    expect(schema.safeParse({ suggestedName: 'a.pdf', title: 'Compare', sweep: 's' }).success).toBe(true);
    expect(schema.safeParse({ suggestedName: 'a.pdf' }).success).toBe(true);
    expect(schema.safeParse({ suggestedName: 'a.pdf', title: 'x'.repeat(301) }).success).toBe(false);
    expect(schema.safeParse({ suggestedName: 'a.pdf', database: '/etc/passwd' }).success).toBe(false);
  });
});
