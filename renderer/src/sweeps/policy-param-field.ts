import type { PolicyParamForm, PolicyParamOut } from '../../../runner/api/api-contract.js';
import { h } from '../dom.js';
import { oneOrList, parseNumberList, type NumberBounds } from './number-list.js';
import { paramLabel } from './policy-choices.js';
import type { YamlValue } from './spec-yaml.js';

/**
 * One way to give a parameter's value: a fixed word, a flag (on, off, or the policy's default:
 * left out), or a typed-in number, list or one-key object.
 */
type Alternative =
  | { kind: 'word'; label: string; word: string }
  | { kind: 'flag'; label: string; value: boolean | undefined }
  | { kind: 'number'; label: string; form: Extract<PolicyParamForm, { kind: 'number' }> }
  | { kind: 'list'; label: string; form: Extract<PolicyParamForm, { kind: 'list' }> }
  | { kind: 'object'; label: string; form: Extract<PolicyParamForm, { kind: 'object' }> };

/** A parameter's value as read from its controls. */
export type ParamValue =
  { ok: true; value: YamlValue | undefined; changed: boolean } | { ok: false; message: string };

/**
 * The controls of one policy parameter, built from its forms (`machines.list` policies): a number
 * is a text input taking a comma list (a grid axis in the spec), a choice of words or a boolean
 * (default, on, off: `prefixCaching`, whose default depends on the policy) a select; a
 * parameter of several forms (WAIT's `thresholds`: a word or a list of integers; Nested WAIT's
 * `segments`: `{count}` or `{boundaries}`) a select of the form beside an input for its value.
 * The input is named `param-POLICY-KEY`, the form select `param-POLICY-KEY-form`.
 */
export class PolicyParamField {
  readonly element: HTMLElement;
  /** The name of the control a problem with this parameter is shown beside. */
  readonly name: string;
  private readonly alternatives: Alternative[];
  private readonly select: HTMLSelectElement | null;
  private readonly input: HTMLInputElement | null;
  private readonly initial: string;

  /** @returns null for a parameter no form can build (set it in the YAML editor) */
  static of(policy: string, param: PolicyParamOut): PolicyParamField | null {
    const alternatives = param.forms.flatMap(alternativesOf);
    return alternatives.length === 0 ? null : new PolicyParamField(policy, param, alternatives);
  }

  private constructor(
    policy: string,
    readonly param: PolicyParamOut,
    alternatives: Alternative[],
  ) {
    this.alternatives = alternatives;
    this.name = `param-${policy}-${param.key}`;
    const label = `${policy} ${paramLabel(param.key)}`;
    const { index, text } = initialOf(param.default, alternatives);
    const typed = alternatives.some((a) => a.kind !== 'word' && a.kind !== 'flag');
    const choose = alternatives.length > 1;
    this.select = choose
      ? h(
          'select',
          {
            name: typed ? `${this.name}-form` : this.name,
            'aria-label': typed ? `${label} (form)` : label,
          },
          alternatives.map((a, i) => h('option', { value: String(i), selected: i === index }, a.label)),
        )
      : null;
    this.input = typed
      ? h('input', {
          name: this.name,
          value: text,
          'aria-label': label,
          inputmode: alternatives.every((a) => a.kind === 'word' || a.kind === 'number') ? 'decimal' : null,
          placeholder: param.default === null ? 'default' : null,
        })
      : null;
    this.element = h(
      'label',
      {
        class: choose && typed ? 'param two' : 'param',
        'data-param': param.key,
        title: param.description ?? null,
      },
      h('small', {}, paramLabel(param.key)),
      h('span', { class: 'param-controls' }, this.select, this.input),
    );
    this.select?.addEventListener('change', () => this.showInput());
    this.showInput();
    this.initial = this.key();
  }

  /** The chosen alternative. */
  private chosen(): Alternative {
    return this.alternatives[this.select ? Number(this.select.value) : 0];
  }

  /** What the controls say now, to tell a changed value from the default. */
  private key(): string {
    return `${this.select?.value ?? ''}|${this.input?.value.trim() ?? ''}`;
  }

  private showInput(): void {
    if (!this.input) return;
    const alternative = this.chosen();
    // A word needs no input: the select alone says it (and takes the room).
    this.input.hidden = alternative.kind === 'word';
    this.input.placeholder =
      alternative.kind === 'list' || (alternative.kind === 'object' && alternative.form.value.kind === 'list')
        ? 'e.g. 64, 256, 1024'
        : this.param.default === null
          ? 'default'
          : '';
  }

  /**
   * The value to write: `changed` false when the controls still show the default (the form then
   * leaves the parameter out, unless it is the policy's primary one); undefined for an empty
   * parameter that has no default.
   */
  read(): ParamValue {
    const changed = this.key() !== this.initial;
    const alternative = this.chosen();
    const label = paramLabel(this.param.key);
    if (alternative.kind === 'word') return { ok: true, value: alternative.word, changed };
    if (alternative.kind === 'flag') {
      return { ok: true, value: alternative.value, changed: changed && alternative.value !== undefined };
    }
    const text = this.input!.value.trim();
    if (text === '') {
      if (this.param.default === null) return { ok: true, value: undefined, changed: false };
      return {
        ok: false,
        message: `${label}: give a value (the default is ${JSON.stringify(this.param.default)})`,
      };
    }
    const numbers = (form: Extract<PolicyParamForm, { kind: 'number' }>) =>
      parseNumberList(text, boundsOf(form));
    if (alternative.kind === 'number') {
      const parsed = numbers(alternative.form);
      return parsed.ok
        ? { ok: true, value: oneOrList(parsed.values), changed }
        : { ok: false, message: `${label}: ${parsed.message}` };
    }
    const listForm = alternative.kind === 'list' ? alternative.form : alternative.form.value;
    if (listForm.kind === 'number') {
      const parsed = numbers(listForm);
      if (!parsed.ok) return { ok: false, message: `${label}: ${parsed.message}` };
      // A one-key object of a number: a comma list is a grid axis inside it ({ count: [5, 10] }).
      return {
        ok: true,
        value:
          alternative.kind === 'object'
            ? { [alternative.form.key]: oneOrList(parsed.values) }
            : oneOrList(parsed.values),
        changed,
      };
    }
    const parsed = numbers(listForm.item);
    if (!parsed.ok) return { ok: false, message: `${label}: ${parsed.message}` };
    if (parsed.values.length < listForm.minItems) {
      return { ok: false, message: `${label}: give at least ${listForm.minItems} numbers` };
    }
    // A list value is data, not a grid axis (runner/sweeps/grid.ts NON_AXIS_KEYS).
    return {
      ok: true,
      value: alternative.kind === 'object' ? { [alternative.form.key]: parsed.values } : parsed.values,
      changed,
    };
  }
}

/** The alternatives of one form of a parameter (a choice of words gives one per word). */
function alternativesOf(form: PolicyParamForm): Alternative[] {
  switch (form.kind) {
    case 'enum':
      return form.values.map((word) => ({ kind: 'word', label: word, word }));
    case 'number':
      return [{ kind: 'number', label: form.integer ? 'integer' : 'number', form }];
    case 'list':
      return [{ kind: 'list', label: form.item.integer ? 'list of integers' : 'list of numbers', form }];
    case 'object':
      return [{ kind: 'object', label: form.key, form }];
    case 'boolean':
      return [
        { kind: 'flag', label: 'default', value: undefined },
        { kind: 'flag', label: 'on', value: true },
        { kind: 'flag', label: 'off', value: false },
      ];
    default:
      return [];
  }
}

/** The alternative and input text a default value selects (the first alternative when none fits). */
function initialOf(
  value: PolicyParamOut['default'],
  alternatives: Alternative[],
): { index: number; text: string } {
  const at = (test: (a: Alternative) => boolean) => alternatives.findIndex(test);
  if (typeof value === 'string') {
    const i = at((a) => a.kind === 'word' && a.word === value);
    if (i >= 0) return { index: i, text: '' };
  }
  if (typeof value === 'boolean') {
    const i = at((a) => a.kind === 'flag' && a.value === value);
    if (i >= 0) return { index: i, text: '' };
  }
  if (typeof value === 'number') {
    const i = at((a) => a.kind === 'number');
    if (i >= 0) return { index: i, text: String(value) };
  }
  if (Array.isArray(value)) {
    const i = at((a) => a.kind === 'list');
    if (i >= 0) return { index: i, text: value.join(', ') };
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const [key, inner] = Object.entries(value)[0] ?? [];
    const i = at((a) => a.kind === 'object' && a.form.key === key);
    if (i >= 0) return { index: i, text: Array.isArray(inner) ? inner.join(', ') : String(inner) };
  }
  const typed = at((a) => a.kind !== 'word' && a.kind !== 'flag');
  return { index: Math.max(0, value === null ? typed : 0), text: '' };
}

function boundsOf(form: Extract<PolicyParamForm, { kind: 'number' }>): NumberBounds {
  return {
    integer: form.integer,
    ...(form.min === null ? {} : { min: form.min, exclusiveMin: form.exclusiveMin }),
    ...(form.max === null ? {} : { max: form.max, exclusiveMax: form.exclusiveMax }),
  };
}
