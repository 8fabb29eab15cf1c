import type { ApiClient } from '../api-client.js';
import { ApiError } from '../api-client.js';
import type { DatasetOut, MachinesOut } from '../../../runner/api/api-contract.js';
import { h, replace } from '../dom.js';
import { routeHash } from '../router.js';
import { NewSweepForm } from './new-sweep-form.js';
import { YamlEditor } from './yaml-editor.js';

/** What the editor tells its page. */
export interface NewSweepEvents {
  /** A sweep was started (or resumed, for a spec already stored). */
  started(sweepId: number, resumed: boolean): void;
  showError(error: unknown, context?: string): void;
}

/**
 * "New sweep": the form, or the YAML editor it writes into (tabs), with Validate
 * (`sweeps.validate`: the run count, or the problem marked at its line and field) and Start
 * (`sweeps.start`). Switching from the form to YAML writes the form's spec into the editor when
 * the form changed since; edits in the editor are kept otherwise.
 */
export class NewSweepEditor {
  readonly element: HTMLElement;
  private readonly form: NewSweepForm;
  private readonly editor: YamlEditor;
  private readonly result: HTMLElement;
  private readonly tabs: Record<'form' | 'yaml', HTMLButtonElement>;
  private mode: 'form' | 'yaml' = 'form';
  private formChanged = true;

  /**
   * @param datasets `datasets.list` output, for the form's traces and length files
   * @param initialDataset a dataset the form chooses at the start (`#/sweeps?dataset=NAME`)
   */
  constructor(
    private readonly api: ApiClient,
    machines: MachinesOut,
    datasets: DatasetOut[],
    private readonly events: NewSweepEvents,
    initialDataset?: string,
  ) {
    this.form = new NewSweepForm(
      machines,
      datasets,
      () => {
        this.formChanged = true;
        this.form.markInvalid(null);
        this.clearResult();
      },
      initialDataset,
    );
    this.editor = new YamlEditor(() => this.clearResult());
    this.result = h('div', { class: 'validate-result', 'aria-live': 'polite' });
    const tab = (mode: 'form' | 'yaml', label: string) =>
      h(
        'button',
        { type: 'button', role: 'tab', class: 'outline', 'data-tab': mode, onclick: () => this.show(mode) },
        label,
      );
    this.tabs = { form: tab('form', 'Form'), yaml: tab('yaml', 'YAML') };
    const busy = (button: HTMLButtonElement, work: () => Promise<void>) => async () => {
      button.setAttribute('aria-busy', 'true');
      button.disabled = true;
      try {
        await work();
      } finally {
        button.removeAttribute('aria-busy');
        button.disabled = false;
      }
    };
    const validate: HTMLButtonElement = h(
      'button',
      { type: 'button', class: 'secondary', 'data-action': 'validate' },
      'Validate',
    );
    const start: HTMLButtonElement = h('button', { type: 'button', 'data-action': 'start' }, 'Start');
    validate.addEventListener(
      'click',
      busy(validate, () => this.validate()),
    );
    start.addEventListener(
      'click',
      busy(start, () => this.start()),
    );
    this.element = h(
      'div',
      { class: 'new-sweep' },
      h('div', { role: 'tablist', class: 'tabs' }, this.tabs.form, this.tabs.yaml),
      h('div', { class: 'tab-form' }, this.form.element),
      h(
        'div',
        { class: 'tab-yaml', hidden: true },
        h(
          'p',
          { class: 'hint' },
          'The full sweep spec (docs/sweep-spec.schema.json); relative paths resolve in the directory the runner was started in (the form writes absolute ones).',
        ),
        this.editor.element,
      ),
      h('div', { class: 'toolbar' }, validate, start),
      this.result,
    );
    this.show('form');
  }

  /** Shows the form or the YAML editor (writing the form's spec into it when the form changed). */
  show(mode: 'form' | 'yaml'): void {
    if (mode === 'yaml' && this.formChanged) {
      const spec = this.form.spec();
      if (spec.ok) {
        this.editor.value = spec.yaml;
        this.formChanged = false;
      } else if (this.mode === 'form') {
        this.showFormProblem(spec.field, spec.message);
        return;
      }
    }
    this.mode = mode;
    this.element.querySelector<HTMLElement>('.tab-form')!.hidden = mode !== 'form';
    this.element.querySelector<HTMLElement>('.tab-yaml')!.hidden = mode !== 'yaml';
    for (const [name, button] of Object.entries(this.tabs)) {
      button.setAttribute('aria-selected', String(name === mode));
      button.classList.toggle('outline', name !== mode);
    }
  }

  /** The YAML to send: the editor's, or the form's (written into the editor too). */
  private yaml(): string | null {
    if (this.mode === 'yaml') return this.editor.value;
    const spec = this.form.spec();
    if (!spec.ok) {
      this.showFormProblem(spec.field, spec.message);
      return null;
    }
    this.editor.value = spec.yaml;
    this.formChanged = false;
    return spec.yaml;
  }

  private async validate(): Promise<void> {
    const yaml = this.yaml();
    if (yaml === null) return;
    try {
      const out = await this.api.call('sweeps.validate', { yaml });
      if (out.ok) {
        this.result.className = 'validate-result ok';
        replace(
          this.result,
          h(
            'p',
            {},
            h('strong', {}, '\u2713 Valid: '),
            `${out.runs} run${out.runs === 1 ? '' : 's'} on ${out.machine}; workloads ${out.workloads.join(', ')}; policies ${out.policies.join(', ')}.`,
          ),
          out.warnings.length > 0
            ? h(
                'ul',
                { class: 'warnings' },
                out.warnings.map((w) => h('li', {}, w)),
              )
            : null,
        );
      } else {
        this.showSpecProblem(out.problem.message, out.problem.line, out.problem.field);
      }
    } catch (e) {
      this.events.showError(e, 'validating the spec');
    }
  }

  private async start(): Promise<void> {
    const yaml = this.yaml();
    if (yaml === null) return;
    try {
      const out = await this.api.call('sweeps.start', { yaml });
      this.result.className = 'validate-result ok';
      this.result.replaceChildren(
        h(
          'p',
          { 'data-started': out.sweepId },
          h('strong', {}, out.resumed ? '\u2713 Resumed ' : '\u2713 Started '),
          h('a', { href: routeHash(`sweeps/${out.sweepId}`) }, `sweep #${out.sweepId}`),
          out.resumed ? ' (this spec was already stored: its runs not done run now).' : '.',
        ),
      );
      this.events.started(out.sweepId, out.resumed);
    } catch (e) {
      this.events.showError(e, 'starting the sweep');
      if (e instanceof ApiError && e.code === 'bad-input') {
        this.showSpecProblem(e.message, e.line ?? null, e.field ?? null);
      }
    }
  }

  private showFormProblem(field: string, message: string): void {
    this.form.markInvalid(field);
    this.result.className = 'validate-result bad';
    this.result.replaceChildren(h('p', {}, h('strong', {}, 'Fix the form: '), message));
  }

  private showSpecProblem(message: string, line: number | null, field: string | null): void {
    this.show('yaml');
    this.editor.showProblem(message, line, field);
    this.result.className = 'validate-result bad';
    this.result.replaceChildren(
      h(
        'p',
        {},
        h('strong', {}, '\u2717 Not valid'),
        line !== null ? ` (line ${line}${field ? `, ${field}` : ''})` : '',
        ': see the editor.',
      ),
    );
  }

  private clearResult(): void {
    this.result.className = 'validate-result';
    this.result.replaceChildren();
  }
}
