/**
 * The desktop app's PDF (File › Save report as PDF, the Compare page's PDF button): Chromium's
 * `webContents.printToPDF` with the print stylesheet (renderer/src/styles/print.css), A4
 * landscape, and on every page a header (what is shown, the sweep, the date) and a footer (the
 * database, page N of M). main.ts passes these options; they are built here, under plain Node,
 * so the test sees them without Electron.
 *
 * The header and footer are Chromium's templates: small HTML documents rendered in the page
 * margins, where `<span class="pageNumber">` and `<span class="totalPages">` are filled in. They
 * get no stylesheet of the page, so they carry their own (inline) styles and a font size (the
 * default is too small to read). Every value put in them is HTML-escaped: sweep names and paths
 * are the user's text.
 */

/** What the header and footer show. */
export interface PdfHeading {
  /** What the page shows (`Compare 4 runs`); default `Schedbench`. */
  title?: string;
  /** The sweep name(s) of the runs shown. */
  sweep?: string;
  /** The database file the runs are in. */
  database: string;
  /** When the PDF is made. */
  date: Date;
}

/**
 * Page margins, inches (Electron's unit). The header and footer are drawn inside the top and
 * bottom margins, so those are tall enough for a line of 8 px text; print.css declares the same
 * margins in its `@page` rule, so the page and the browser's print agree.
 */
export const PDF_MARGINS_IN = { top: 0.55, bottom: 0.55, left: 0.4, right: 0.4 } as const;

/** The options of `webContents.printToPDF` (Electron's PrintToPDFOptions, the fields we set). */
export interface PdfOptions {
  printBackground: true;
  landscape: true;
  pageSize: 'A4';
  margins: { top: number; bottom: number; left: number; right: number };
  displayHeaderFooter: true;
  headerTemplate: string;
  footerTemplate: string;
}

/** Text as HTML (element content and attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** `YYYY-MM-DD HH:MM` in the local time zone (the person saving the PDF reads it). */
export function localDateTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}`
  );
}

const BAR =
  'font-family: system-ui, sans-serif; font-size: 8px; color: #444; width: 100%; ' +
  'margin: 0 10mm; display: flex; gap: 6mm; justify-content: space-between; white-space: nowrap;';
const CELL = 'overflow: hidden; text-overflow: ellipsis;';

/** A header or footer: cells left to right, already HTML. */
function bar(cells: string[]): string {
  return `<div style="${BAR}">${cells.map((cell) => `<span style="${CELL}">${cell}</span>`).join('')}</div>`;
}

/** See the module comment. */
export function pdfOptions(heading: PdfHeading): PdfOptions {
  const title = heading.title?.trim() || 'Schedbench';
  const sweep = heading.sweep?.trim();
  return {
    printBackground: true,
    landscape: true,
    pageSize: 'A4',
    margins: { ...PDF_MARGINS_IN },
    displayHeaderFooter: true,
    headerTemplate: bar([
      `<b>${escapeHtml(title)}</b>`,
      sweep ? `Sweep: ${escapeHtml(sweep)}` : '',
      escapeHtml(localDateTime(heading.date)),
    ]),
    footerTemplate: bar([
      `Database: ${escapeHtml(heading.database)}`,
      'Page <span class="pageNumber"></span> of <span class="totalPages"></span>',
    ]),
  };
}
