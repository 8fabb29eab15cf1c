import { desktopBridge } from './api/preload-transport.js';

/**
 * Saving what the page exports: in the desktop app through the native Save dialog (the preload's
 * `saveFile`, `savePdf`), in a browser as a download (a Blob URL on a temporary link) or the
 * browser's print.
 */

/**
 * Saves text as a file through the browser's download (a Blob URL on a temporary link), as the
 * Export buttons do with the runner's `export.report` output in browser mode.
 */
export function downloadText(filename: string, mime: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: mime }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoke after the download has started (revoking at once cancels it in some browsers).
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** An exported file (`export.report`'s output). */
export interface ExportedFile {
  filename: string;
  mime: string;
  content: string;
}

/**
 * Saves an exported file: the native Save dialog in the desktop app (offering the runner's file
 * name), a download in a browser.
 * @returns false when the user cancelled the dialog
 */
export async function saveExport(file: ExportedFile, kind: 'html' | 'csv' | 'json'): Promise<boolean> {
  const bridge = desktopBridge(window.schedbench);
  if (!bridge) {
    downloadText(file.filename, file.mime, file.content);
    return true;
  }
  const result = await bridge.saveFile({ suggestedName: file.filename, content: file.content, kind });
  return result.saved;
}

/** The runner's database and host, for printed pages (main.ts sets them once `health` answers). */
const reportContext = { database: '', host: '' };

/** Records the database and the runner's host for printed pages. */
export function setReportContext(database: string, host: string): void {
  reportContext.database = database;
  reportContext.host = host;
}

/** What a printed page is about. */
export interface PrintHeading {
  /** What the page shows (`Compare 4 runs`). */
  title: string;
  /** The sweep name(s) of the runs shown. */
  sweep: string;
  /** The PDF's file name (`schedbench-NAME-DATE.pdf`). */
  suggestedName: string;
}

/**
 * Prints the page to PDF. In the desktop app, Electron's printToPDF with a header (title,
 * sweep, date) and a footer (database, page numbers) on every page, then the Save dialog
 * (electron/pdf-export.ts). In a browser, `window.print()`: the page gets a print-only heading
 * with the same facts (the browser's own header and footer are the user's choice), and the
 * document title is the file name while printing, which browsers offer as the PDF's name.
 * Both print with renderer/src/styles/print.css.
 * @returns false when the user cancelled the desktop's Save dialog
 */
export async function printReport(heading: PrintHeading): Promise<boolean> {
  const bridge = desktopBridge(window.schedbench);
  if (bridge) {
    const result = await bridge.savePdf({
      suggestedName: heading.suggestedName,
      title: heading.title,
      sweep: heading.sweep,
    });
    return result.saved;
  }
  document.querySelectorAll('.print-meta').forEach((el) => el.remove());
  const meta = document.createElement('div');
  meta.className = 'print-meta print-only';
  const line = (label: string, value: string): void => {
    if (!value) return;
    const p = document.createElement('p');
    const b = document.createElement('b');
    b.textContent = `${label}: `;
    p.append(b, value);
    meta.appendChild(p);
  };
  const title = document.createElement('p');
  title.className = 'print-title';
  title.textContent = heading.title;
  meta.appendChild(title);
  line('Sweep', heading.sweep);
  line(
    'Database',
    reportContext.host ? `${reportContext.database} (on ${reportContext.host})` : reportContext.database,
  );
  line('Printed', new Date().toLocaleString());
  const page = document.getElementById('page') ?? document.body;
  page.prepend(meta);
  const documentTitle = document.title;
  document.title = heading.suggestedName.replace(/\.pdf$/, '');
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    document.title = documentTitle;
    meta.remove();
  };
  window.addEventListener('afterprint', restore, { once: true });
  window.print();
  // Browsers take the page as it is when print() is called (Chromium returns once the dialog
  // closes); where no afterprint comes (a headless browser), restore on the next turn.
  setTimeout(restore, 0);
  return true;
}
