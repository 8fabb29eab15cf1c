import type { DatasetOut, MachinesOut, PolicyOut } from '../../../runner/api/api-contract.js';
import { h } from '../dom.js';
import { oneOrList, parseNumberList } from './number-list.js';
import { DEFAULT_POLICIES, POLICY_LABELS } from './policy-choices.js';
import { PolicyParamField } from './policy-param-field.js';
import { specYaml, type SpecDocument, type YamlValue } from './spec-yaml.js';

/** The form's YAML, or the first form field that is not filled in right. */
export type FormSpec = { ok: true; yaml: string } | { ok: false; field: string; message: string };

/** The SLO bounds a spec takes (docs/metrics.md, "Goodput and SLO"), with their labels. */
const SLO_FIELDS = [
  { key: 'ttft_s', label: 'TTFT (s)', hint: 'time to first token' },
  { key: 'tpot_s', label: 'TPOT (s)', hint: 'time per output token' },
  { key: 'e2e_s', label: 'E2E latency (s)', hint: 'arrival to last token' },
] as const;

/** A capacity search's settings and their defaults (runner/sweeps/rate-search.ts). */
const SEARCH_DEFAULTS = { precision: 0.02, attainment: 0.99 };

/** The control of a capacity search's setting. */
const SEARCH_FIELDS: Record<string, string> = {
  min: 'searchMin',
  max: 'searchMax',
  precision: 'searchPrecision',
  attainment: 'searchAttainment',
};

/**
 * A Poisson workload's prefix sharing (docs/sweep-spec.schema.json, a workload's `sharedPrefix`
 * and `sessions`): none, shared system prompts or multi-turn sessions; a trace has none.
 */
type PrefixSharing = 'none' | 'shared' | 'sessions';

/** The one-line hint under the prefix-sharing choice: what the option models (`trace`: why none). */
const PREFIX_HINTS: Record<PrefixSharing | 'trace', string> = {
  none: 'Independent prompts: no common prefix, so prefix caching has nothing to reuse.',
  shared:
    "K system prompts of L tokens, one prepended to a share f of the requests (an app's fixed " +
    'instructions); prefix caching (policy parameter, on by default for vllm-v1) reuses them.',
  sessions:
    'Chats: each turn resends the history (prompts and answers) plus a new message, a think time ' +
    'after the answer; prefix caching (policy parameter, on by default for vllm-v1) reuses it.',
  trace:
    "Not for a recorded trace: it has its own prompts (Mooncake's hash ids carry their shared " +
    'prefixes). Choose Poisson arrivals to model sharing.',
};

/** The controls of `sharedPrefix`'s fields, with the numbers each takes (upper bounds: the runner's). */
const SHARED_PREFIX_FIELDS = [
  { key: 'prompts', control: 'sharedPrompts', bounds: { integer: true, min: 1 } },
  { key: 'tokens', control: 'sharedTokens', bounds: { integer: true, min: 1 } },
  { key: 'fraction', control: 'sharedFraction', bounds: { min: 0, max: 1 } },
] as const;

/** The controls of `sessions`' fields. */
const SESSIONS_FIELDS: Record<string, string> = { turns: 'sessionTurns', thinkTimeS: 'sessionThinkTime' };

/**
 * The "New sweep" form: a name, a machine (`machines.list`: simulated machines and calibrated
 * profiles), one workload (a trace of `datasets.list`, built-in or imported, rescaled to the
 * given rates or replayed as recorded; or Poisson arrivals with fixed, uniform or a length file's
 * lengths, and for Poisson arrivals optionally shared system prompts (`sharedPrefix`) or
 * multi-turn sessions (`sessions`)), its rate as a list of rates or a capacity search
 * (`{search: {min, max}}`), a length cap (`maxTokens`), an SLO, what to do with requests that can never fit (`oversize`), and the
 * policies with every parameter of their spec schemas (`machines.list` policies: the main one
 * beside the policy, the others under "more"; a comma list of numbers sweeps them). It writes the
 * sweep spec as YAML (specYaml); the YAML editor takes it from there.
 *
 * Problems are shown beside the control that caused them (showProblem): the form's own checks,
 * and the runner's, whose spec field fieldOfProblem maps back to a control.
 */
export class NewSweepForm {
  readonly element: HTMLFormElement;
  private readonly traces: DatasetOut[];
  private readonly lengthFiles: DatasetOut[];
  private readonly policies: { policy: PolicyOut; fields: PolicyParamField[]; primary: string | null }[];
  /** The policies of the last spec written, in entry order (to map `policies[i]` back). */
  private written: string[] = [];

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
      h('label', { class: 'field' }, label, control, hint ? h('small', {}, hint) : null);
    const radio = (name: string, value: string, label: string, checked: boolean) =>
      h('label', {}, h('input', { type: 'radio', name, value, checked }), label);
    const number = (name: string, attrs: Record<string, string> = {}) =>
      h('input', { name, inputmode: 'decimal', ...attrs });

    this.policies = machines.policies.map((policy) => {
      const fields = policy.params.flatMap((param) => PolicyParamField.of(policy.policy, param) ?? []);
      const wanted = POLICY_LABELS[policy.policy]?.primary;
      const primary = fields.find((f) => f.param.key === wanted) ?? fields[0] ?? null;
      return { policy, fields, primary: primary?.param.key ?? null };
    });
    const policyRows = this.policies.map(({ policy, fields, primary }) => {
      const name = policy.policy;
      const main = fields.find((f) => f.param.key === primary);
      const more = fields.filter((f) => f !== main);
      return h(
        'div',
        { class: 'policy-choice', 'data-policy': name },
        h(
          'label',
          { class: 'policy-name' },
          h('input', {
            type: 'checkbox',
            name: 'policy',
            value: name,
            checked: DEFAULT_POLICIES.includes(name),
          }),
          h('strong', {}, POLICY_LABELS[name]?.label ?? name),
          ` (${name})`,
        ),
        main ? main.element : h('span'),
        more.length > 0
          ? h(
              'details',
              { class: 'more-params' },
              h('summary', {}, `more (${more.map((f) => f.param.key).join(', ')})`),
              h(
                'div',
                { class: 'more-params-grid' },
                more.map((f) => f.element),
              ),
            )
          : null,
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
          radio('source', 'trace', 'Recorded trace', initial?.kind !== 'lengths'),
          radio('source', 'poisson', 'Poisson arrivals', initial?.kind === 'lengths'),
        ),
        h(
          'div',
          { class: 'grid' },
          field(
            'Workload name',
            h('input', { name: 'workloadName', value: '', placeholder: 'default: from the source' }),
          ),
          field(
            'Max tokens per request',
            number('maxTokens', { placeholder: 'no cap' }),
            'caps prompt + output (e.g. 32768): lets long traces fit the KV cache',
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
        h(
          'div',
          { class: 'prefix-sharing' },
          h(
            'div',
            { class: 'source-choice prefix-choice' },
            h('span', { class: 'choice-label' }, 'Prefix sharing:'),
            radio('prefixSharing', 'none', 'None', true),
            radio('prefixSharing', 'shared', 'Shared system prompts', false),
            radio('prefixSharing', 'sessions', 'Multi-turn sessions', false),
          ),
          h('p', { class: 'prefix-hint' }),
          h(
            'div',
            { class: 'grid prefix-shared' },
            field(
              'System prompts (K)',
              number('sharedPrompts', { value: '4' }),
              'distinct prompts; each sharing request gets one at random',
            ),
            field(
              'Tokens each (L)',
              number('sharedTokens', { value: '1024' }),
              'length of every system prompt',
            ),
            field(
              'Share of requests (f)',
              number('sharedFraction', { value: '0.5' }),
              '0 to 1; a comma list in any of the three sweeps it',
            ),
          ),
          h(
            'div',
            { class: 'grid prefix-sessions' },
            field(
              'Turns per session',
              h('input', { name: 'sessionTurns', value: '2..6' }),
              'a number (fixed) or min..max (uniform)',
            ),
            field(
              'Mean think time (s)',
              number('sessionThinkTime', { value: '10' }),
              'user pause after each answer (exponential; 0: at once)',
            ),
            h(
              'p',
              { class: 'prefix-note' },
              'The rate is in requests/s: sessions start at rate / mean turns.',
            ),
          ),
        ),
        h(
          'div',
          { class: 'source-choice rate-choice' },
          h('span', { class: 'choice-label' }, 'Rate:'),
          radio('rateMode', 'fixed', 'Fixed rates', true),
          radio('rateMode', 'search', 'Capacity search (largest sustained rate per policy)', false),
        ),
        h(
          'div',
          { class: 'grid rate-fixed' },
          field(
            'Rates (req/s)',
            h('input', { name: 'rates', value: '2, 4', placeholder: 'e.g. 2, 4, 8' }),
            'trace: rescaled to these mean rates (empty: as recorded); Poisson: required',
          ),
        ),
        h(
          'div',
          { class: 'grid rate-search' },
          field('Search from (req/s)', number('searchMin', { value: '1' }), 'lowest rate probed'),
          field('up to (req/s)', number('searchMax', { value: '8' }), 'highest rate probed'),
          field(
            'Precision',
            number('searchPrecision', { value: String(SEARCH_DEFAULTS.precision) }),
            'relative: stop when the bracket is this narrow',
          ),
          field(
            'SLO attainment',
            number('searchAttainment', { value: String(SEARCH_DEFAULTS.attainment) }),
            'share of requests within the SLO (with an SLO)',
          ),
        ),
      ),
      h(
        'fieldset',
        { class: 'slo' },
        h('legend', {}, 'Service-level objective and oversize requests'),
        h(
          'div',
          { class: 'grid' },
          SLO_FIELDS.map((s) => field(s.label, number(`slo-${s.key}`, { placeholder: 'no bound' }), s.hint)),
          field(
            'Requests that never fit',
            h(
              'select',
              { name: 'oversize' },
              h('option', { value: 'refuse' }, 'refuse the sweep'),
              h('option', { value: 'skip' }, 'skip them (as rejected)'),
            ),
            'longer than the KV cache can ever hold',
          ),
        ),
      ),
      h(
        'fieldset',
        { class: 'policies' },
        h('legend', {}, 'Policies (a comma list in a number parameter sweeps it)'),
        h('div', { class: 'policy-grid' }, policyRows),
      ),
    );
    const changed = () => {
      this.showSource();
      onChange();
    };
    this.element.addEventListener('input', changed);
    this.element.addEventListener('change', changed);
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
    this.section('.source-trace').hidden = !trace;
    this.section('.source-poisson').hidden = trace;
    const search = this.value('rateMode') === 'search';
    this.section('.rate-fixed').hidden = search;
    this.section('.rate-search').hidden = !search;
    // A trace has its own prompts: the choice stays visible, disabled, with the reason.
    for (const input of this.element.querySelectorAll<HTMLInputElement>('input[name="prefixSharing"]'))
      input.disabled = trace;
    const sharing = this.prefixSharing();
    this.section('.prefix-sharing').dataset.sharing = sharing ?? 'unavailable';
    this.section('.prefix-shared').hidden = sharing !== 'shared';
    this.section('.prefix-sessions').hidden = sharing !== 'sessions';
    const hint = this.section('.prefix-hint');
    hint.dataset.hint = sharing ?? 'trace';
    hint.textContent = PREFIX_HINTS[sharing ?? 'trace'];
    const synthetic = this.value('lengths') === 'synthetic';
    for (const name of ['promptTokens', 'outputTokens']) {
      const input = this.element.elements.namedItem(name) as HTMLInputElement;
      input.disabled = !synthetic;
    }
  }

  /** The prefix sharing chosen; null for a trace source (which has none). */
  private prefixSharing(): PrefixSharing | null {
    if (this.value('source') === 'trace') return null;
    const chosen = this.value('prefixSharing');
    return chosen === 'shared' || chosen === 'sessions' ? chosen : 'none';
  }

  private section(selector: string): HTMLElement {
    return this.element.querySelector<HTMLElement>(selector)!;
  }

  /** The control a problem's name stands for: a control name, or `policy:NAME` (its checkbox). */
  private control(name: string): HTMLElement | null {
    const policy = /^policy:(.+)$/.exec(name)?.[1];
    const selector = policy
      ? `input[name="policy"][value="${CSS.escape(policy)}"]`
      : `[name="${CSS.escape(name)}"]`;
    return this.element.querySelector<HTMLElement>(selector);
  }

  /**
   * Shows a problem beside a control (`policy:NAME` for a policy's checkbox): marks it
   * aria-invalid, writes the message under it, opens the "more" section holding it, focuses it.
   * Other problems shown before are cleared.
   * @returns false when the form has no such control (nothing is shown)
   */
  showProblem(name: string, message: string): boolean {
    this.clearProblems();
    const control = this.control(name);
    if (!control) return false;
    const details = control.closest('details');
    if (details) details.open = true;
    control.setAttribute('aria-invalid', 'true');
    const host = control.closest('label') ?? control.parentElement!;
    host.append(h('small', { class: 'field-error', role: 'alert', 'data-field': name }, message));
    control.focus({ preventScroll: true });
    host.scrollIntoView({ block: 'nearest' });
    return true;
  }

  /** Removes every problem shown. */
  clearProblems(): void {
    for (const el of this.element.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const el of this.element.querySelectorAll('.field-error')) el.remove();
  }

  /**
   * The control a problem the runner found in the form's spec belongs to, from the spec field it
   * names (`workloads[0].arrival.rate.search.max`, `policies[1].maxNumSeqs[0]`, `slo.ttft_s`).
   * @param message the runner's message (a problem of a whole workload entry that names
   *   `maxTokens`, such as requests that can never fit, goes to the length cap)
   * @returns a control name for showProblem, or null when no control matches
   */
  fieldOfProblem(field: string | null, message: string): string | null {
    if (!field) return null;
    const path = field
      .replace(/\[(\d+)\]/g, '.$1')
      .split('.')
      .filter(Boolean);
    const [head, ...rest] = path;
    switch (head) {
      case 'name':
      case 'machine':
      case 'requests':
      case 'seeds':
      case 'oversize':
        return head;
      case 'slo':
        return SLO_FIELDS.some((s) => s.key === rest[0]) ? `slo-${rest[0]}` : 'slo-ttft_s';
      case 'workloads':
        return this.workloadFieldOf(rest.slice(1), message);
      case 'policies': {
        const policy = this.written[Number(rest[0])];
        if (policy === undefined) return null;
        const key = rest[1];
        if (key && key !== 'policy' && this.control(`param-${policy}-${key}`))
          return `param-${policy}-${key}`;
        return `policy:${policy}`;
      }
      default:
        return null;
    }
  }

  private workloadFieldOf(path: string[], message: string): string | null {
    const trace = this.value('source') === 'trace';
    const search = this.value('rateMode') === 'search';
    switch (path[0]) {
      case undefined:
        if (/maxTokens/.test(message)) return 'maxTokens';
        return trace ? 'trace' : 'lengths';
      case 'name':
        return 'workloadName';
      case 'maxTokens':
      case 'requests':
      case 'promptTokens':
      case 'outputTokens':
      case 'trace':
      case 'lengths':
        return path[0];
      case 'sharedPrefix':
        return SHARED_PREFIX_FIELDS.find((f) => f.key === path[1])?.control ?? 'sharedPrompts';
      case 'sessions':
        return SESSIONS_FIELDS[path[1]] ?? 'sessionTurns';
      case 'rate':
      case 'arrival': {
        const at = path.indexOf('search');
        if (at >= 0) return SEARCH_FIELDS[path[at + 1]] ?? 'searchMin';
        return search ? 'searchMin' : 'rates';
      }
      default:
        return null;
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
      return fail('requests', 'a positive integer, or empty for all of the trace');
    const seeds = parseNumberList(this.value('seeds'), { integer: true, min: 0 });
    if (!seeds.ok) return fail('seeds', seeds.message);

    const slo: Record<string, number> = {};
    for (const s of SLO_FIELDS) {
      const text = this.value(`slo-${s.key}`);
      if (text === '') continue;
      const bound = parseNumberList(text, { min: 0, exclusiveMin: true });
      if (!bound.ok || bound.values.length !== 1)
        return fail(`slo-${s.key}`, bound.ok ? 'one number of seconds' : bound.message);
      slo[s.key] = bound.values[0];
    }

    const maxTokensText = this.value('maxTokens');
    let maxTokens: YamlValue | undefined;
    if (maxTokensText !== '') {
      const cap = parseNumberList(maxTokensText, { integer: true, min: 2 });
      if (!cap.ok) return fail('maxTokens', cap.message);
      maxTokens = oneOrList(cap.values);
    }

    const source = this.value('source');
    let rate: YamlValue | undefined;
    if (this.value('rateMode') === 'search') {
      const search: Record<string, number> = {};
      for (const [key, control] of Object.entries(SEARCH_FIELDS)) {
        const text = this.value(control);
        const bounds = key === 'precision' ? { max: 0.5 } : key === 'attainment' ? { max: 1 } : {};
        const parsed = parseNumberList(text, { min: 0, exclusiveMin: true, ...bounds });
        if (!parsed.ok || parsed.values.length !== 1) {
          return fail(control, parsed.ok ? 'one number' : parsed.message);
        }
        const value = parsed.values[0];
        if (key in SEARCH_DEFAULTS && value === SEARCH_DEFAULTS[key as keyof typeof SEARCH_DEFAULTS])
          continue;
        search[key] = value;
      }
      if (search.max < search.min)
        return fail('searchMax', `must be at least the lowest rate, ${search.min}`);
      rate = { search };
    } else {
      const ratesText = this.value('rates');
      if (ratesText !== '') {
        const rates = parseNumberList(ratesText, { min: 0, exclusiveMin: true });
        if (!rates.ok) return fail('rates', rates.message);
        rate = oneOrList(rates.values);
      }
    }

    let workload: Record<string, YamlValue | undefined>;
    if (source === 'trace') {
      const trace = this.traces.find((t) => t.name === this.value('trace'));
      if (!trace) return fail('trace', 'no trace to choose: import one on the Datasets page');
      workload = {
        name: this.value('workloadName') || trace.name,
        ...(trace.workload as Record<string, YamlValue>),
        maxTokens,
        rate,
      };
    } else {
      if (rate === undefined) return fail('rates', 'Poisson arrivals need at least one rate');
      if (requests === undefined) return fail('requests', 'Poisson arrivals need a count');
      const lengthsId = this.value('lengths');
      const file = this.lengthFiles.find((l) => l.name === lengthsId);
      let lengths: Record<string, YamlValue | undefined>;
      if (file) {
        lengths = file.workload as Record<string, YamlValue>;
      } else {
        const prompt = lengthDistribution(this.value('promptTokens'));
        if (typeof prompt === 'string') return fail('promptTokens', prompt);
        const output = lengthDistribution(this.value('outputTokens'));
        if (typeof output === 'string') return fail('outputTokens', output);
        lengths = { promptTokens: prompt, outputTokens: output };
      }
      let sharedPrefix: Record<string, YamlValue> | undefined;
      let sessions: Record<string, YamlValue> | undefined;
      const sharing = this.prefixSharing();
      if (sharing === 'shared') {
        sharedPrefix = {};
        for (const f of SHARED_PREFIX_FIELDS) {
          const parsed = parseNumberList(this.value(f.control), f.bounds);
          if (!parsed.ok) return fail(f.control, parsed.message);
          sharedPrefix[f.key] = oneOrList(parsed.values);
        }
      } else if (sharing === 'sessions') {
        const turns = sessionTurns(this.value('sessionTurns'));
        if (typeof turns === 'string') return fail('sessionTurns', turns);
        const think = parseNumberList(this.value('sessionThinkTime'), { min: 0 });
        if (!think.ok) return fail('sessionThinkTime', think.message);
        sessions = { turns, thinkTimeS: oneOrList(think.values) };
      }
      workload = {
        name: this.value('workloadName') || (file ? file.name : 'synthetic'),
        ...lengths,
        maxTokens,
        sharedPrefix,
        sessions,
        arrival: { process: 'poisson', rate },
      };
    }

    const chosen = [...this.element.querySelectorAll<HTMLInputElement>('input[name="policy"]:checked')].map(
      (i) => i.value,
    );
    if (chosen.length === 0) {
      const first = this.policies[0]?.policy.policy;
      return fail(first ? `policy:${first}` : 'name', 'choose at least one policy');
    }
    const policies: Record<string, YamlValue | undefined>[] = [];
    for (const policy of chosen) {
      const entry = this.policies.find((p) => p.policy.policy === policy)!;
      const written: Record<string, YamlValue | undefined> = { policy };
      // The main parameter first, then the others in the schema's order.
      const fields = [
        ...entry.fields.filter((f) => f.param.key === entry.primary),
        ...entry.fields.filter((f) => f.param.key !== entry.primary),
      ];
      for (const f of fields) {
        const read = f.read();
        if (!read.ok) return fail(f.name, read.message);
        // The main parameter always (the entry reads as before); the others when changed.
        if (f.param.key === entry.primary || read.changed) written[f.param.key] = read.value;
      }
      policies.push(written);
    }
    const doc: SpecDocument = {
      name,
      machine: this.value('machine'),
      ...(requests === undefined ? {} : { requests }),
      seeds: seeds.values,
      ...(Object.keys(slo).length > 0 ? { slo } : {}),
      ...(this.value('oversize') === 'skip' ? { oversize: 'skip' as const } : {}),
      workloads: [workload],
      policies,
    };
    this.written = chosen;
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

/** `4` as a fixed number of turns, `2..6` (or `2-6`) as a uniform one; else why not. */
function sessionTurns(text: string): YamlValue | string {
  const range = /^(\d+)\s*(?:\.\.|-)\s*(\d+)$/.exec(text);
  if (range) {
    const [min, max] = [Number(range[1]), Number(range[2])];
    if (min < 1 || max < min) return `${text}: need 1 <= min <= max`;
    return { dist: 'uniform', min, max };
  }
  if (/^\d+$/.test(text) && Number(text) >= 1) return Number(text);
  return `"${text}" is neither a positive integer nor min..max`;
}
