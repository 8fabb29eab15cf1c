import type { ApiClient } from '../api-client.js';
import { ApiError } from '../api-client.js';
import type { DatasetOut, MachinesOut, SpecProblem } from '../../../runner/api/api-contract.js';
import { h, replace } from '../dom.js';
import { routeHash } from '../router.js';
import { fluidLimitsView } from './fluid-limits.js';
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
 * (`sweeps.validate`: the run count and each workload's fluid stability limit, with a warning
 * for rates above it; or the problem) and Start (`sweeps.start`). Switching from the form to YAML
 * writes the form's spec into the editor when the form changed since; edits in the editor are
 * kept otherwise.
 *
 * A problem is shown where it was made, in plain words (the runner's message without its
 * `spec.yaml:LINE: field:` prefix, never an error code): beside the form control its spec field
 * maps to when the form is shown (the YAML editor then marks its line too, for when it is
 * opened), at its line in the editor when the YAML is shown.
 */
export class NewSweepEditor {
  readonly element: HTMLElement;
  private readonly form: NewSweepForm;
  private readonly editor: YamlEditor;
  private readonly result: HTMLElement;
  private readonly tabs: Record<'form' | 'yaml', HTMLButtonElement>;
  private mode: 'form' | 'yaml' = 'form';
  private formChanged = true;
  /** A problem of the form's spec to mark in the editor when it is opened (it is hidden now). */
  private pendingProblem: SpecProblem | null = null;
  /** The directory of a spec opened from a file (openSpec); null for the form's or a typed spec. */
  private openedDir: string | null = null;

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
        this.openedDir = null;
        this.pendingProblem = null;
        this.form.clearProblems();
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

  /**
   * Puts a spec opened from a file (File › Open spec… in the desktop app) in the YAML editor and
   * shows it; Validate and Start then resolve its relative paths in `dir`, the file's directory,
   * until the form is used again.
   */
  openSpec(yaml: string, dir: string): void {
    this.editor.value = yaml;
    this.formChanged = false;
    this.openedDir = dir;
    this.clearResult();
    this.show('yaml');
  }

  /** `{dir}` of an opened spec while the YAML editor holds it, else nothing (the runner's directory). */
  private specDir(): { dir?: string } {
    return this.mode === 'yaml' && this.openedDir !== null ? { dir: this.openedDir } : {};
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
    if (mode === 'yaml') {
      this.editor.syncScroll();
      const pending = this.pendingProblem;
      this.pendingProblem = null;
      if (pending) this.editor.showProblem(plainProblem(pending), pending.line, pending.field);
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
      const out = await this.api.call('sweeps.validate', { yaml, ...this.specDir() });
      if (out.ok) {
        const fluid = fluidLimitsView(out.fluid);
        const warnings = [...out.warnings, ...fluid.warnings];
        this.result.className = 'validate-result ok';
        replace(
          this.result,
          h(
            'p',
            {},
            h('strong', {}, '\u2713 Valid: '),
            `${out.runs} run${out.runs === 1 ? '' : 's'}`,
            out.searches > 0
              ? ` and ${out.searches} capacity search${out.searches === 1 ? '' : 'es'} (their probes run as each search goes)`
              : '',
            ` on ${out.machine}; workloads ${out.workloads.join(', ')}; policies ${out.policies.join(', ')}.`,
          ),
          fluid.element,
          warnings.length > 0
            ? h(
                'ul',
                { class: 'warnings' },
                warnings.map((w) => h('li', {}, w)),
              )
            : null,
        );
      } else {
        this.showSpecProblem(out.problem);
      }
    } catch (e) {
      this.events.showError(e, 'validating the spec');
    }
  }

  private async start(): Promise<void> {
    const yaml = this.yaml();
    if (yaml === null) return;
    try {
      const out = await this.api.call('sweeps.start', { yaml, ...this.specDir() });
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
      if (e instanceof ApiError && e.code === 'bad-input') {
        this.showSpecProblem({ message: e.message, line: e.line ?? null, field: e.field ?? null });
      } else if (e instanceof ApiError && e.code === 'conflict') {
        this.result.className = 'validate-result bad';
        replace(this.result, h('p', {}, h('strong', {}, '\u2717 Not started: '), e.message));
      } else {
        this.events.showError(e, 'starting the sweep');
      }
    }
  }

  /** A problem of a form control (the form's own check, or the runner's mapped to it). */
  private showFormProblem(field: string, message: string): void {
    const shown = this.form.showProblem(field, message);
    this.result.className = 'validate-result bad';
    replace(
      this.result,
      h('p', {}, h('strong', {}, '\u2717 Not valid: '), shown ? 'see the marked field above.' : message),
    );
  }

  /**
   * A problem the runner found: beside its form control (form shown, a control matches; the
   * editor marks the line when opened), else at its line in the YAML editor (YAML shown), else
   * under the buttons with its line.
   */
  private showSpecProblem(problem: SpecProblem): void {
    const message = plainProblem(problem);
    if (this.mode === 'form') {
      this.pendingProblem = problem;
      const control = this.form.fieldOfProblem(problem.field, problem.message);
      if (control !== null && this.form.showProblem(control, message)) {
        this.result.className = 'validate-result bad';
        replace(
          this.result,
          h('p', {}, h('strong', {}, '\u2717 Not valid: '), 'see the marked field above.'),
        );
        return;
      }
      this.form.clearProblems();
      this.result.className = 'validate-result bad';
      replace(
        this.result,
        h(
          'p',
          {},
          h('strong', {}, '\u2717 Not valid: '),
          message,
          problem.line !== null ? ` (line ${problem.line} of the spec: see the YAML tab)` : '',
        ),
      );
      return;
    }
    this.editor.showProblem(message, problem.line, problem.field);
    this.result.className = 'validate-result bad';
    replace(
      this.result,
      h(
        'p',
        {},
        h('strong', {}, '\u2717 Not valid'),
        problem.line !== null ? ` (line ${problem.line}${problem.field ? `, ${problem.field}` : ''})` : '',
        ': see the editor.',
      ),
    );
  }

  private clearResult(): void {
    this.result.className = 'validate-result';
    this.result.replaceChildren();
  }
}

/**
 * A runner's problem message in plain words: without the `spec.yaml:LINE:` location, the field
 * path the form or the editor already shows, and zod's `Invalid input:` preamble.
 */
export function plainProblem(problem: SpecProblem): string {
  let text = problem.message.replace(/^[^\s:]+\.ya?ml(?::\d+)?: /, '');
  const field = problem.field;
  if (field && text.startsWith(`${field}: `)) text = text.slice(field.length + 2);
  else text = text.replace(/^(?:workloads|policies|slo|seeds|machine)(?:\[\d+\]|\.[\w-]+)*: /, '');
  text = text.replace(/^Invalid input: /, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
