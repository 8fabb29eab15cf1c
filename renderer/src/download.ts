/**
 * Saves text as a file through the browser's download (a Blob URL on a temporary link), as the
 * Export buttons do with the runner's `export.report` output.
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
