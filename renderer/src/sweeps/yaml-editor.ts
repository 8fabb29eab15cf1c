import { h, replace } from '../dom.js';

/**
 * A plain textarea for sweep specs with line numbers and a marked problem line: `showProblem`
 * highlights the line in the gutter and behind the text, selects it and scrolls it into view,
 * and names the field under the editor. Any edit clears the mark.
 *
 * The gutter's numbers sit in one absolutely placed column (so they never make the editor
 * taller than the textarea) that follows the textarea's scroll with a translation, with the
 * textarea's own top padding and line height: number N stays beside text line N at any length
 * and any scroll position.
 */
export class YamlEditor {
  readonly element: HTMLElement;
  readonly textarea: HTMLTextAreaElement;
  private readonly gutter: HTMLElement;
  private readonly numbers: HTMLElement;
  private readonly band: HTMLElement;
  private readonly problem: HTMLElement;
  private errorLine: number | null = null;

  constructor(onEdit: () => void) {
    this.textarea = h('textarea', {
      name: 'yaml',
      spellcheck: 'false',
      wrap: 'off',
      autocapitalize: 'off',
      autocomplete: 'off',
      'aria-label': 'Sweep spec (YAML)',
      rows: 18,
    });
    this.numbers = h('div', { class: 'yaml-gutter-lines' });
    this.gutter = h('div', { class: 'yaml-gutter', 'aria-hidden': 'true' }, this.numbers);
    this.band = h('div', { class: 'yaml-error-band', hidden: true });
    this.problem = h('p', { class: 'yaml-problem', role: 'status', hidden: true });
    this.element = h(
      'div',
      { class: 'yaml-editor' },
      h(
        'div',
        { class: 'yaml-frame' },
        this.gutter,
        h('div', { class: 'yaml-code' }, this.band, this.textarea),
      ),
      this.problem,
    );
    this.textarea.addEventListener('input', () => {
      this.clearProblem();
      this.renderGutter();
      onEdit();
    });
    this.textarea.addEventListener('scroll', () => this.syncScroll());
    this.renderGutter();
  }

  get value(): string {
    return this.textarea.value;
  }

  set value(text: string) {
    this.textarea.value = text;
    this.clearProblem();
    this.renderGutter();
  }

  /**
   * Marks a problem: the message, the field it names, and the 1-based line (null: no line known,
   * then only the message shows).
   */
  showProblem(message: string, line: number | null, field: string | null): void {
    this.errorLine = line;
    this.problem.hidden = false;
    replace(
      this.problem,
      h('strong', {}, line !== null ? `Line ${line}` : 'Problem'),
      field ? h('span', {}, ' \u2014 field ', h('code', { class: 'yaml-field' }, field)) : null,
      h('span', {}, `: ${message}`),
    );
    this.element.dataset.errorLine = line === null ? '' : String(line);
    this.element.dataset.errorField = field ?? '';
    this.renderGutter();
    if (line === null) return;
    // Select the line and scroll it to about a third of the editor's height.
    const lines = this.textarea.value.split('\n');
    const index = Math.min(Math.max(1, line), lines.length) - 1;
    const start = lines.slice(0, index).reduce((n, l) => n + l.length + 1, 0);
    this.textarea.focus({ preventScroll: true });
    this.textarea.setSelectionRange(start, start + lines[index].length);
    const lineHeight = this.lineHeight();
    this.textarea.scrollTop = Math.max(0, index * lineHeight - this.textarea.clientHeight / 3);
    this.syncScroll();
    this.element.scrollIntoView({ block: 'nearest' });
  }

  /** Removes the problem mark. */
  clearProblem(): void {
    if (this.errorLine === null && this.problem.hidden) return;
    this.errorLine = null;
    this.problem.hidden = true;
    this.band.hidden = true;
    delete this.element.dataset.errorLine;
    delete this.element.dataset.errorField;
    this.renderGutter();
  }

  private lineHeight(): number {
    return parseFloat(getComputedStyle(this.textarea).lineHeight) || 20;
  }

  private renderGutter(): void {
    const count = this.textarea.value.split('\n').length;
    const numbers: HTMLElement[] = [];
    for (let i = 1; i <= count; i++) {
      numbers.push(
        h('div', i === this.errorLine ? { class: 'error', 'data-line': i } : { 'data-line': i }, String(i)),
      );
    }
    this.numbers.replaceChildren(...numbers);
    // Wide enough for the largest number (the column is out of the flow, so it cannot size the gutter).
    this.gutter.style.setProperty('--digits', String(Math.max(2, String(count).length)));
    this.syncScroll();
  }

  /** Lines the gutter and the error band up with the textarea's text after a scroll or a change. */
  syncScroll(): void {
    const style = getComputedStyle(this.textarea);
    const lineHeight = this.lineHeight();
    const scrollTop = this.textarea.scrollTop;
    this.numbers.style.paddingTop = style.paddingTop;
    this.numbers.style.lineHeight = `${lineHeight}px`;
    this.numbers.style.transform = `translateY(${-scrollTop}px)`;
    if (this.errorLine === null) {
      this.band.hidden = true;
      return;
    }
    const top = parseFloat(style.paddingTop) + (this.errorLine - 1) * lineHeight - scrollTop;
    this.band.hidden = false;
    this.band.style.top = `${top}px`;
    this.band.style.height = `${lineHeight}px`;
  }
}
