import type { ApiRequest, DatasetOut, TracePreview } from '../../../runner/api/api-contract.js';
import type { ApiClient } from '../api-client.js';
import { h, replace } from '../dom.js';
import { formatDuration, formatNumber } from '../format.js';

/** The mapping roles, in the order of the form. */
const ROLES = [
  { key: 'arrival', label: 'Arrival time' },
  { key: 'prompt', label: 'Prompt tokens' },
  { key: 'output', label: 'Output tokens' },
] as const;

/** Timestamp choices: numbers in a unit, or datetimes. */
const TIMESTAMPS = [
  { value: 's', label: 'numbers, seconds' },
  { value: 'ms', label: 'numbers, milliseconds' },
  { value: 'us', label: 'numbers, microseconds' },
  { value: 'datetime', label: 'datetimes (2024-05-01 10:00:00.123)' },
] as const;

/** What the panel tells its page. */
export interface TraceImportEvents {
  imported(dataset: DatasetOut): void;
  showError(error: unknown, context?: string): void;
}

/**
 * "Import a trace": a path on the runner's machine and a format, then a preview
 * (`datasets.preview`): the file's fields and first rows, a mapping of its fields to arrival
 * time, prompt tokens and output tokens (guessed, for BurstGPT, LMSYS-Chat-1M, Azure, Mooncake
 * or Vidur-style exports; every choice can be changed), and the whole file read with the
 * mapping: its request count and duration, or the first bad line and column, shown at once.
 * Import (`datasets.import`) is possible once the file reads; it stores a copy beside the
 * database.
 */
export class TraceImportPanel {
  readonly element: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly previewBox: HTMLElement;
  private preview: TracePreview | null = null;
  private requestNo = 0;

  constructor(
    private readonly api: ApiClient,
    private readonly events: TraceImportEvents,
  ) {
    const previewButton = h(
      'button',
      { type: 'submit', class: 'secondary', 'data-action': 'preview' },
      'Preview',
    );
    const pathInput = h('input', {
      name: 'path',
      placeholder: '/data/burstgpt.csv',
      required: true,
      autocomplete: 'off',
      spellcheck: 'false',
    });
    const pathHint = h(
      'small',
      {},
      'CSV with a header, or JSON Lines; a path on the machine the runner runs on',
    );
    // The desktop app also offers its native Open dialog; a browser cannot name a file's path.
    const chooseTrace = window.schedbench?.chooseTrace?.bind(window.schedbench);
    let pathField: HTMLElement;
    if (chooseTrace) {
      pathInput.id = 'trace-import-path';
      const browseButton: HTMLButtonElement = h(
        'button',
        { type: 'button', class: 'secondary outline', 'data-action': 'browse' },
        'Browse\u2026',
      );
      browseButton.addEventListener('click', () => void this.browse(chooseTrace, pathInput));
      pathField = h(
        'div',
        {},
        h('label', { for: pathInput.id }, 'Trace file'),
        h('fieldset', { role: 'group' }, pathInput, browseButton),
        pathHint,
      );
    } else {
      pathField = h('label', {}, 'Trace file', pathInput, pathHint);
    }
    this.form = h(
      'form',
      { class: 'trace-import-form grid' },
      pathField,
      h(
        'label',
        {},
        'Format',
        h(
          'select',
          { name: 'format' },
          h('option', { value: '' }, 'from the file'),
          h('option', { value: 'csv' }, 'CSV'),
          h('option', { value: 'jsonl' }, 'JSON Lines'),
        ),
      ),
      h('div', { class: 'form-action' }, previewButton),
    );
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.load(true);
    });
    this.previewBox = h('div', { class: 'trace-preview', 'aria-live': 'polite' });
    this.element = h(
      'section',
      { class: 'trace-import' },
      h('h2', {}, 'Import a trace'),
      h(
        'p',
        { class: 'hint' },
        'Any recorded trace with an arrival time and the prompt and output token counts of each request: a BurstGPT or LMSYS-Chat-1M export, your own serving logs. The whole file is checked before it is imported; the copy is kept beside the database.',
      ),
      this.form,
      this.previewBox,
    );
  }

  /**
   * Desktop only: lets the user pick the trace in the native Open dialog, puts its path in the
   * form and previews it, as Preview does.
   */
  private async browse(chooseTrace: () => Promise<string | null>, input: HTMLInputElement): Promise<void> {
    let path: string | null;
    try {
      path = await chooseTrace();
    } catch (e) {
      this.events.showError(e, 'choosing a trace');
      return;
    }
    if (!path) return;
    input.value = path;
    await this.load(true);
  }

  private field(name: string): string {
    const control = this.element.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`);
    return control ? control.value.trim() : '';
  }

  /**
   * Asks for a preview: of a new file (`fresh`: the guesses decide the mapping), or of the shown
   * one with the mapping chosen in the form.
   */
  private async load(fresh: boolean): Promise<void> {
    const path = this.field('path');
    if (!path) {
      this.element.querySelector<HTMLInputElement>('[name="path"]')?.focus();
      return;
    }
    const request: ApiRequest<'datasets.preview'> = { path };
    const format = this.field('format');
    if (format === 'csv' || format === 'jsonl') request.format = format;
    if (!fresh && this.preview) {
      const columns: Record<string, string> = {};
      for (const { key } of ROLES) {
        const value = this.field(`column-${key}`);
        if (value) columns[key] = value;
      }
      request.columns = columns;
      const timestamps = this.field('timestamps');
      if (timestamps === 'datetime') request.timestampFormat = 'datetime';
      else if (timestamps === 's' || timestamps === 'ms' || timestamps === 'us') {
        request.timestampFormat = 'seconds';
        request.timeUnit = timestamps;
      }
    }
    const no = ++this.requestNo;
    this.previewBox.setAttribute('aria-busy', 'true');
    try {
      const preview = await this.api.call('datasets.preview', request);
      if (no !== this.requestNo) return; // a later request is on its way
      const keepName = fresh ? '' : this.field('name');
      this.preview = preview;
      this.show(preview, keepName);
    } catch (e) {
      if (no !== this.requestNo) return;
      this.preview = null;
      replace(this.previewBox);
      this.events.showError(e, 'previewing the trace');
    } finally {
      if (no === this.requestNo) this.previewBox.removeAttribute('aria-busy');
    }
  }

  private show(p: TracePreview, name: string): void {
    const mapped = new Map<string, string>();
    for (const { key, label } of ROLES) {
      const field = p.mapping.columns[key];
      if (field) mapped.set(field, label);
    }
    const fieldOptions = (selected: string | undefined) => [
      h('option', { value: '', selected: selected === undefined }, '(choose a field)'),
      ...p.fields.map((f) => h('option', { value: f, selected: f === selected }, f)),
    ];
    const timestampValue =
      p.mapping.timestampFormat === 'datetime' ? 'datetime' : (p.mapping.timeUnit ?? 's');
    const mapping = h(
      'div',
      { class: 'trace-mapping grid' },
      ROLES.map(({ key, label }) =>
        h(
          'label',
          {},
          label,
          h('select', { name: `column-${key}`, 'data-role': key }, fieldOptions(p.mapping.columns[key])),
        ),
      ),
      h(
        'label',
        {},
        'Timestamps',
        h(
          'select',
          { name: 'timestamps' },
          TIMESTAMPS.map((t) =>
            h('option', { value: t.value, selected: t.value === timestampValue }, t.label),
          ),
        ),
      ),
    );
    mapping.addEventListener('change', () => void this.load(false));

    const badLine = p.check && !p.check.ok ? p.check.problem.line : null;
    const table = h(
      'table',
      { class: 'striped compact preview-rows' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'line'),
          p.fields.map((f) =>
            h(
              'th',
              { scope: 'col', class: mapped.has(f) ? 'mapped' : '', 'data-field': f },
              f,
              mapped.has(f) ? h('small', { class: 'role' }, mapped.get(f)!) : null,
            ),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        p.rows.map((r) =>
          h(
            'tr',
            { 'data-line': r.line, class: r.line === badLine ? 'bad-row' : '' },
            h('td', {}, String(r.line)),
            r.cells.map((c, i) => h('td', { class: mapped.has(p.fields[i]) ? 'mapped' : '' }, c ?? '')),
          ),
        ),
      ),
    );

    const defaultName = p.path
      .split('/')
      .pop()!
      .replace(/\.[^.]+$/, '');
    const nameInput = h('input', { name: 'name', value: name || defaultName, maxlength: 80, required: true });
    const importButton: HTMLButtonElement = h(
      'button',
      { type: 'button', 'data-action': 'import', disabled: !p.check?.ok },
      'Import',
    );
    importButton.addEventListener('click', () => void this.importTrace(importButton));

    replace(
      this.previewBox,
      h(
        'p',
        { class: 'hint' },
        `${p.path}: ${p.format === 'csv' ? 'CSV' : 'JSON Lines'}, ${formatNumber(p.sizeBytes / 1024)} KiB, ${p.fields.length} fields; the first ${p.rows.length} rows:`,
      ),
      h('div', { class: 'scroll-box' }, table),
      h('h3', {}, 'Mapping'),
      mapping,
      checkLine(p),
      h(
        'div',
        { class: 'grid import-row' },
        h('label', {}, 'Dataset name', nameInput),
        h('div', { class: 'form-action' }, importButton),
      ),
    );
  }

  private async importTrace(button: HTMLButtonElement): Promise<void> {
    const p = this.preview;
    if (!p?.check?.ok) return;
    const { arrival, prompt, output } = p.mapping.columns;
    if (!arrival || !prompt || !output) return;
    button.setAttribute('aria-busy', 'true');
    button.disabled = true;
    try {
      const dataset = await this.api.call('datasets.import', {
        name: this.field('name'),
        path: p.path,
        format: p.format,
        columns: { arrival, prompt, output },
        timestampFormat: p.mapping.timestampFormat,
        ...(p.mapping.timestampFormat === 'seconds' && p.mapping.timeUnit
          ? { timeUnit: p.mapping.timeUnit }
          : {}),
      });
      this.preview = null;
      this.form.reset();
      replace(
        this.previewBox,
        h('p', { class: 'import-done', 'data-imported': dataset.name }, `\u2713 Imported "${dataset.name}".`),
      );
      this.events.imported(dataset);
    } catch (e) {
      this.events.showError(e, 'importing the trace');
      button.disabled = false;
    } finally {
      button.removeAttribute('aria-busy');
    }
  }
}

/** The outcome of reading the whole file with the mapping. */
function checkLine(p: TracePreview): HTMLElement {
  if (!p.check) {
    return h(
      'p',
      { class: 'check-result pending', 'data-check': 'incomplete' },
      'Choose a field for every role.',
    );
  }
  if (!p.check.ok) {
    const { message, line, column } = p.check.problem;
    return h(
      'p',
      {
        class: 'check-result bad',
        'data-check': 'problem',
        'data-line': line ?? '',
        'data-column': column ?? '',
      },
      `\u2717 ${message}`,
    );
  }
  const s = p.check.summary;
  const a = s.arrival!;
  const zeros =
    s.zeroPromptRows + s.zeroOutputRows > 0
      ? ` ${s.zeroPromptRows + s.zeroOutputRows} token counts of 0 will be read as 1.`
      : '';
  return h(
    'p',
    { class: 'check-result ok', 'data-check': 'ok', 'data-requests': s.requests },
    `\u2713 ${s.requests.toLocaleString('en-US')} requests over ${formatDuration(a.durationS)} (mean ${formatNumber(a.meanRateRps)} req/s); prompt tokens p50 ${formatNumber(s.promptTokens.p50)}, output tokens p50 ${formatNumber(s.outputTokens.p50)}.${zeros}`,
  );
}
