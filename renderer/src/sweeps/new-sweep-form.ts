import type { DatasetOut, MachinesOut } from '../../../runner/api/api-contract.js';
import { h } from '../dom.js';
import { oneOrList, parseNumberList } from './number-list.js';
import { POLICY_CHOICES } from './policy-choices.js';
import { specYaml, type SpecDocument, type YamlValue } from './spec-yaml.js';

/** The form's YAML, or the first form field that is not filled in right. */
export type FormSpec = { ok: true; yaml: string } | { ok: false; field: string; message: string };

/**
 * The "New sweep" form: a name, a machine (`machines.list`: simulated machines and calibrated
 * profiles), one workload (a trace of `datasets.list`, built-in or imported, rescaled to the
 * given rates or replayed as recorded; or Poisson arrivals at the given rates with fixed,
 * uniform or a length file's lengths),
 * policies with their main parameter, seeds and requests per run. It writes the sweep spec as
 * YAML (specYaml); the YAML editor takes it from there.
 */
export class NewSweepForm {
  readonly element: HTMLFormElement;
  private readonly traces: DatasetOut[];
  private readonly lengthFiles: DatasetOut[];

  /**
   * @param datasets `datasets.list` (summaries not needed): its traces and length files are offered
   * @param initialDataset the name of a dataset to choose at the start (`#/sweeps?dataset=NAME`)
   */
  constructor(machines: MachinesOut, datasets: DatasetOut[], onChange: () => void, initialDataset?: string) {
    const usable = datasets.filter((d) => d.problem === null);
    this.traces = usable.filter((d) => d.kind === 'trace');
    this.lengthFiles = usable.filter((d) => d.kind === 'lengths');
    const initial = usable.find((d) => d.name === initialDataset);
    const machineOptions = [
      ...machines.simulated.map((m) =>
        h(
          'option',
          { value: m.name, selected: m.name === 'a100-llama2-7b' },
          `${m.name}${m.gpu ? ` (${m.gpu})` : ''}`,
        ),
      ),
      ...machines.calibrations.map((c) =>
        h('option', { value: c.machineRef }, `${c.machineRef} (calibrated ${c.gpu})`),
      ),
    ];
    const field = (label: string, control: HTMLElement, hint?: string): HTMLElement =>
      h('label', {}, label, control, hint ? h('small', {}, hint) : null);
    const sourceRadio = (value: string, label: string, checked: boolean) =>
      h('label', {}, h('input', { type: 'radio', name: 'source', value, checked }), label);

    const policies = POLICY_CHOICES.map((choice) => {
      const p = choice.param;
      const control =
        p.kind === 'choice'
          ? h(
              'select',
              { name: `param-${choice.policy}`, 'aria-label': `${choice.policy} ${p.label}` },
              p.options.map((o) => h('option', { value: o, selected: o === p.default }, o)),
            )
          : h('input', {
              name: `param-${choice.policy}`,
              value: p.default,
              'aria-label': `${choice.policy} ${p.label}`,
              inputmode: 'decimal',
            });
      return h(
        'div',
        { class: 'policy-choice' },
        h(
          'label',
          {},
          h('input', {
            type: 'checkbox',
            name: 'policy',
            value: choice.policy,
            checked: choice.policy === 'vllm' || choice.policy === 'sarathi',
          }),
          h('strong', {}, choice.label),
          ` (${choice.policy})`,
        ),
        h('label', { class: 'param' }, h('small', {}, p.label), control),
      );
    });

    this.element = h(
      'form',
      { class: 'new-sweep-form', novalidate: true },
      h(
        'div',
        { class: 'grid' },
        field('Name', h('input', { name: 'name', value: 'my-sweep', required: true })),
        field('Machine', h('select', { name: 'machine' }, machineOptions)),
        field(
          'Requests per run',
          h('input', { name: 'requests', type: 'number', min: 1, step: 1, value: 500 }),
          'empty: all of the trace',
        ),
        field(
          'Seeds',
          h('input', { name: 'seeds', value: '1' }),
          'comma list: each seed is one request list shared by every policy',
        ),
      ),
      h(
        'fieldset',
        { class: 'workload' },
        h('legend', {}, 'Workload'),
        h(
          'div',
          { class: 'source-choice' },
          sourceRadio('trace', 'Recorded trace', initial?.kind !== 'lengths'),
          sourceRadio('poisson', 'Poisson arrivals', initial?.kind === 'lengths'),
        ),
        h(
          'div',
          { class: 'grid' },
          field(
            'Workload name',
            h('input', { name: 'workloadName', value: '', placeholder: 'default: from the source' }),
          ),
          field(
            'Rates (req/s)',
            h('input', { name: 'rates', value: '2, 4', placeholder: 'e.g. 2, 4, 8' }),
            'trace: rescaled to these mean rates (empty: as recorded); Poisson: required',
          ),
        ),
        h(
          'div',
          { class: 'grid source-trace' },
          field(
            'Trace',
            h(
              'select',
              { name: 'trace' },
              this.traces.map((t) =>
                h(
                  'option',
                  { value: t.name, selected: t.name === initial?.name },
                  t.builtIn ? t.label : `${t.label} (imported)`,
                ),
              ),
            ),
          ),
        ),
        h(
          'div',
          { class: 'grid source-poisson' },
          field(
            'Lengths',
            h(
              'select',
              { name: 'lengths' },
              h('option', { value: 'synthetic' }, 'Synthetic (below)'),
              this.lengthFiles.map((l) =>
                h('option', { value: l.name, selected: l.name === initial?.name }, l.label),
              ),
            ),
          ),
          field(
            'Prompt tokens',
            h('input', { name: 'promptTokens', value: '50..400' }),
            'a number (fixed) or min..max (uniform)',
          ),
          field(
            'Output tokens',
            h('input', { name: 'outputTokens', value: '20..200' }),
            'a number (fixed) or min..max (uniform)',
          ),
        ),
      ),
      h(
        'fieldset',
        { class: 'policies' },
        h('legend', {}, 'Policies (a comma list in a parameter sweeps it)'),
        h('div', { class: 'policy-grid' }, policies),
      ),
    );
    this.element.addEventListener('input', () => {
      this.showSource();
      onChange();
    });
    this.element.addEventListener('change', () => {
      this.showSource();
      onChange();
    });
    this.element.addEventListener('submit', (e) => e.preventDefault());
    this.showSource();
  }

  private value(name: string): string {
    const control = this.element.elements.namedItem(name) as
      HTMLInputElement | HTMLSelectElement | RadioNodeList | null;
    return control ? control.value.trim() : '';
  }

  private showSource(): void {
    const trace = this.value('source') === 'trace';
    this.element.querySelector<HTMLElement>('.source-trace')!.hidden = !trace;
    this.element.querySelector<HTMLElement>('.source-poisson')!.hidden = trace;
    const synthetic = this.value('lengths') === 'synthetic';
    for (const name of ['promptTokens', 'outputTokens']) {
      const input = this.element.elements.namedItem(name) as HTMLInputElement;
      input.disabled = !synthetic;
    }
  }

  /** Marks a field as wrong (aria-invalid) and focuses it. */
  markInvalid(name: string | null): void {
    for (const el of this.element.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    if (!name) return;
    const control = this.element.querySelector<HTMLElement>(`[name="${CSS.escape(name)}"]`);
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      control.focus();
    }
  }

  /** The spec the form describes, as YAML; or the first field at fault. */
  spec(): FormSpec {
    const fail = (fieldName: string, message: string): FormSpec => ({ ok: false, field: fieldName, message });
    const name = this.value('name');
    if (!name) return fail('name', 'give the sweep a name');
    // Empty: every request of a trace (a Poisson workload needs a count).
    const requestsText = this.value('requests');
    const requests = requestsText === '' ? undefined : Number(requestsText);
    if (requests !== undefined && (!Number.isInteger(requests) || requests < 1))
      return fail('requests', 'requests per run: a positive integer');
    const seeds = parseNumberList(this.value('seeds'), { integer: true, min: 0 });
    if (!seeds.ok) return fail('seeds', `seeds: ${seeds.message}`);

    const source = this.value('source');
    const ratesText = this.value('rates');
    const rates = ratesText === '' ? null : parseNumberList(ratesText, { min: 0, exclusiveMin: true });
    if (rates && !rates.ok) return fail('rates', `rates: ${rates.message}`);
    const rateValues = rates?.ok ? rates.values : null;
    let workload: Record<string, YamlValue | undefined>;
    if (source === 'trace') {
      const trace = this.traces.find((t) => t.name === this.value('trace'));
      if (!trace) return fail('trace', 'no trace to choose: import one on the Datasets page');
      workload = {
        name: this.value('workloadName') || trace.name,
        ...(trace.workload as Record<string, YamlValue>),
        rate: rateValues ? oneOrList(rateValues) : undefined,
      };
    } else {
      if (!rateValues) return fail('rates', 'rates: Poisson arrivals need at least one rate');
      if (requests === undefined) return fail('requests', 'requests per run: Poisson arrivals need a count');
      const lengthsId = this.value('lengths');
      const file = this.lengthFiles.find((l) => l.name === lengthsId);
      let lengths: Record<string, YamlValue | undefined>;
      if (file) {
        lengths = file.workload as Record<string, YamlValue>;
      } else {
        const prompt = lengthDistribution(this.value('promptTokens'));
        if (typeof prompt === 'string') return fail('promptTokens', `prompt tokens: ${prompt}`);
        const output = lengthDistribution(this.value('outputTokens'));
        if (typeof output === 'string') return fail('outputTokens', `output tokens: ${output}`);
        lengths = { promptTokens: prompt, outputTokens: output };
      }
      workload = {
        name: this.value('workloadName') || (file ? file.name : 'synthetic'),
        ...lengths,
        arrival: { process: 'poisson', rate: oneOrList(rateValues) },
      };
    }

    const chosen = [...this.element.querySelectorAll<HTMLInputElement>('input[name="policy"]:checked')].map(
      (i) => i.value,
    );
    if (chosen.length === 0) return fail('policy', 'choose at least one policy');
    const policies: Record<string, YamlValue>[] = [];
    for (const policy of chosen) {
      const choice = POLICY_CHOICES.find((c) => c.policy === policy)!;
      const p = choice.param;
      const raw = this.value(`param-${policy}`);
      if (p.kind === 'choice') {
        policies.push({ policy, [p.key]: raw });
        continue;
      }
      const values = parseNumberList(raw, { integer: p.kind === 'count' || p.integer, min: 0 });
      if (!values.ok) return fail(`param-${policy}`, `${policy} ${p.label}: ${values.message}`);
      policies.push({
        policy,
        [p.key]: p.kind === 'count' ? { [p.wrap]: oneOrList(values.values) } : oneOrList(values.values),
      });
    }
    const doc: SpecDocument = {
      name,
      machine: this.value('machine'),
      ...(requests === undefined ? {} : { requests }),
      seeds: seeds.values,
      workloads: [workload],
      policies,
    };
    return { ok: true, yaml: specYaml(doc) };
  }
}

/** `200` as a fixed length, `50..400` (or `50-400`) as a uniform one; else why not. */
function lengthDistribution(text: string): YamlValue | string {
  const range = /^(\d+)\s*(?:\.\.|-)\s*(\d+)$/.exec(text);
  if (range) {
    const [min, max] = [Number(range[1]), Number(range[2])];
    if (min < 1 || max < min) return `${text}: need 1 <= min <= max`;
    return { dist: 'uniform', min, max };
  }
  if (/^\d+$/.test(text) && Number(text) >= 1) return { dist: 'fixed', value: Number(text) };
  return `"${text}" is neither a positive integer nor min..max`;
}
