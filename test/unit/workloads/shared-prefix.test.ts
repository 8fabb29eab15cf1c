import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { buildRequestList, loadWorkload } from '../../../runner/workloads/build-workload.js';
import { validatePrefixBlocks, type PrefixBlocks } from '../../../runner/workloads/prefix-blocks.js';
import { prefixReuseBound } from '../../../runner/workloads/prefix-reuse-bound.js';
import type { RequestList } from '../../../runner/workloads/request-list.js';
import { applySharedPrefix, createSharedPrefixUniform } from '../../../runner/workloads/shared-prefix.js';
import {
  WorkloadSpecSchema,
  parseWorkloadSpec,
  type SharedPrefixSpec,
  type WorkloadSpec,
} from '../../../runner/workloads/workload-spec.js';
import { ROOT, sameArray, sameList } from './helpers.js';
import { workloadSpecError } from '../../helpers/workload-spec-error.js';

const SHAREGPT = 'data/metron-length-traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv';
const poisson = { process: 'poisson', rate: 4 } as const;

/** The three sources `sharedPrefix` applies to, without it. */
const SOURCES: Record<string, WorkloadSpec> = {
  synthetic: {
    name: 'syn',
    arrival: poisson,
    promptTokens: { dist: 'uniform', min: 10, max: 2000 },
    outputTokens: { dist: 'lognormal', mean: 200, sigma: 1, max: 4000 },
  },
  lengths: { name: 'len', lengths: { path: SHAREGPT }, arrival: poisson },
  types: {
    name: 'typ',
    types: [
      { prompt: 300, output: 50, rate: 1 },
      { prompt: 1200, output: 400, rate: 3 },
    ],
  },
};

function build(spec: WorkloadSpec, seed: number, requests = 2000): RequestList {
  return buildRequestList(loadWorkload(WorkloadSpecSchema.parse(spec), { specDir: ROOT }), {
    seed,
    requests,
  });
}

function withShared(spec: WorkloadSpec, sharedPrefix: SharedPrefixSpec, extra: Partial<WorkloadSpec> = {}) {
  return { ...spec, ...extra, sharedPrefix };
}

/** Per-request id arrays of prefix blocks. */
function rowsOf(pb: PrefixBlocks): number[][] {
  const out: number[][] = [];
  for (let i = 0; i + 1 < pb.offsets.length; i++) {
    out.push(Array.from(pb.ids.subarray(pb.offsets[i], pb.offsets[i + 1])));
  }
  return out;
}

const parseError = workloadSpecError;

describe('sharedPrefix spec', () => {
  const good = { prompts: 4, tokens: 1000, fraction: 0.5 };

  it('is accepted on the lengths, synthetic and types sources', () => {
    for (const spec of Object.values(SOURCES)) {
      expect(parseWorkloadSpec(withShared(spec, good), { file: 's.yaml' }).sharedPrefix).toEqual(good);
    }
    const edges = [
      { prompts: 1, tokens: 1, fraction: 0 },
      { prompts: 1, tokens: 2 ** 31 - 1, fraction: 1 },
    ];
    for (const e of edges)
      expect(WorkloadSpecSchema.safeParse(withShared(SOURCES.synthetic, e)).success).toBe(true);
  });

  it('refuses a bad K, L or f, naming the field under sharedPrefix', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, prompts: 0 }, 'prompts'],
      [{ ...good, prompts: 1.5 }, 'prompts'],
      [{ ...good, tokens: 0 }, 'tokens'],
      [{ ...good, tokens: 2 ** 31 }, 'tokens'],
      [{ ...good, tokens: 10.5 }, 'tokens'],
      [{ ...good, fraction: -0.01 }, 'fraction'],
      [{ ...good, fraction: 1.01 }, 'fraction'],
      [{ ...good, fraction: '0.5' }, 'fraction'],
      [{ prompts: 4, tokens: 1000 }, 'fraction'],
      [{ ...good, share: 1 }, 'share'],
    ];
    for (const [sharedPrefix, field] of cases) {
      const err = parseError({ ...SOURCES.synthetic, sharedPrefix });
      expect(err.location.field).toBe(`workloads[1].sharedPrefix.${field}`);
      expect(err.message).toMatch(new RegExp(`^sweep\\.yaml: workloads\\[1\\]\\.sharedPrefix\\.${field}: `));
    }
  });

  it('refuses a trace source at sharedPrefix: a trace has its own prompts', () => {
    const err = parseError({
      name: 'mc',
      trace: { path: 'x.jsonl', format: 'mooncake' },
      sharedPrefix: good,
    });
    expect(err.location.field).toBe('workloads[1].sharedPrefix');
    expect(err.message).toMatch(/^sweep\.yaml: workloads\[1\]\.sharedPrefix: a trace has its own prompts/);
  });
});

describe('applySharedPrefix on built lists', () => {
  it('is deterministic per seed, and different seeds draw different prompts', () => {
    const spec = withShared(SOURCES.synthetic, { prompts: 8, tokens: 500, fraction: 0.5 });
    const a = build(spec, 3);
    const b = build(spec, 3);
    expect(sameList(a, b)).toBe(true);
    expect(sameArray(a.prefixBlocks!.offsets, b.prefixBlocks!.offsets)).toBe(true);
    expect(sameArray(a.prefixBlocks!.ids, b.prefixBlocks!.ids)).toBe(true);
    const c = build(spec, 4);
    expect(sameArray(a.prefixBlocks!.offsets, c.prefixBlocks!.offsets)).toBe(false);
    expect(sameArray(a.prefixBlocks!.ids, c.prefixBlocks!.ids)).toBe(false);
  });

  it('leaves the base list as drawn without it, adding L tokens to the chosen prompts only', () => {
    const L = 700;
    for (const [source, spec] of Object.entries(SOURCES)) {
      const base = build(spec, 11);
      const list = build(withShared(spec, { prompts: 3, tokens: L, fraction: 0.4 }), 11);
      const pb = list.prefixBlocks!;
      validatePrefixBlocks(pb, list.promptTokens, source);
      expect(pb.blockTokens).toBe(L);
      expect(sameArray(list.arrival, base.arrival)).toBe(true);
      expect(sameArray(list.outputTokens, base.outputTokens)).toBe(true);
      expect(sameArray(list.typeIndex, base.typeIndex)).toBe(true);
      const rows = rowsOf(pb);
      let chosen = 0;
      for (let i = 0; i < rows.length; i++) {
        const ids = rows[i];
        expect(ids.length).toBeLessThanOrEqual(1);
        if (ids.length === 1) {
          chosen += 1;
          expect(ids[0] === 0 || ids[0] === 1 || ids[0] === 2).toBe(true);
          expect(list.promptTokens[i]).toBe(base.promptTokens[i] + L);
        } else {
          expect(list.promptTokens[i]).toBe(base.promptTokens[i]);
        }
      }
      expect(chosen).toBeGreaterThan(0);
    }
  });

  it('gives a system prompt to a fraction f of the requests (binomial, 4 sigma), K prompts alike', () => {
    const n = 2000;
    const f = 0.3;
    const K = 4;
    for (const seed of [1, 2, 3]) {
      const list = build(withShared(SOURCES.synthetic, { prompts: K, tokens: 64, fraction: f }), seed, n);
      const ids = list.prefixBlocks!.ids;
      expect(Math.abs(ids.length - n * f)).toBeLessThanOrEqual(4 * Math.sqrt(n * f * (1 - f)));
      const perPrompt = new Array<number>(K).fill(0);
      for (const id of ids) perPrompt[id] += 1;
      for (const c of perPrompt) {
        expect(Math.abs(c - ids.length / K)).toBeLessThanOrEqual(
          4 * Math.sqrt(ids.length * (1 / K) * (1 - 1 / K)),
        );
      }
    }
  });

  it('raising f only adds requests; the chosen keep their system prompt (common random numbers)', () => {
    const low = rowsOf(
      build(withShared(SOURCES.types, { prompts: 5, tokens: 100, fraction: 0.2 }), 9).prefixBlocks!,
    );
    const high = rowsOf(
      build(withShared(SOURCES.types, { prompts: 5, tokens: 100, fraction: 0.6 }), 9).prefixBlocks!,
    );
    for (let i = 0; i < low.length; i++) {
      if (low[i].length === 1) expect(high[i]).toEqual(low[i]);
    }
    expect(high.flat().length).toBeGreaterThan(low.flat().length);
  });

  it('f = 0 builds the list without sharedPrefix: no prefix blocks, prompts unchanged', () => {
    for (const spec of Object.values(SOURCES)) {
      const base = build(spec, 5);
      const list = build(withShared(spec, { prompts: 3, tokens: 900, fraction: 0 }), 5);
      expect(list.prefixBlocks).toBeUndefined();
      expect(sameList(list, base)).toBe(true);
    }
  });

  it('f = 1 with K = 1 gives every request id 0 and a reuse bound of (n - 1) / n blocks', () => {
    const n = 500;
    const L = 256;
    const base = build(SOURCES.lengths, 2, n);
    const list = build(withShared(SOURCES.lengths, { prompts: 1, tokens: L, fraction: 1 }), 2, n);
    const pb = list.prefixBlocks!;
    validatePrefixBlocks(pb, list.promptTokens);
    expect(Array.from(pb.offsets)).toEqual(Array.from({ length: n + 1 }, (_, i) => i));
    expect(Array.from(pb.ids)).toEqual(new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) expect(list.promptTokens[i]).toBe(base.promptTokens[i] + L);
    const bound = prefixReuseBound(list);
    expect(bound.blocks).toBe((n - 1) / n);
    expect(bound.hitIds).toBe(n - 1);
  });

  it('maxTokens caps the whole prompt, system prompt included, and the ids stay valid', () => {
    const maxTokens = 1024;
    const spec = withShared(SOURCES.lengths, { prompts: 2, tokens: 1500, fraction: 0.7 }, { maxTokens });
    const list = build(spec, 6);
    const pb = list.prefixBlocks!;
    validatePrefixBlocks(pb, list.promptTokens);
    expect(pb.blockTokens).toBe(1500);
    let cutBelowL = 0;
    for (let i = 0; i < list.promptTokens.length; i++) {
      expect(list.promptTokens[i] + list.outputTokens[i]).toBeLessThanOrEqual(maxTokens);
      const count = pb.offsets[i + 1] - pb.offsets[i];
      if (count === 1 && list.promptTokens[i] < 1500) cutBelowL += 1;
    }
    // every chosen prompt (> 1500 tokens) was cut below L and keeps its one id
    expect(cutBelowL).toBe(pb.ids.length);
    expect(pb.ids.length).toBeGreaterThan(1000);
  });

  it('refuses a system prompt that makes a prompt longer than 2^31 - 1 tokens, at sharedPrefix.tokens', () => {
    const base: RequestList = {
      arrival: new Float64Array(2),
      promptTokens: Int32Array.from([1, 5]),
      outputTokens: Int32Array.from([1, 1]),
    };
    let caught: unknown;
    try {
      applySharedPrefix(base, { prompts: 1, tokens: 2 ** 31 - 1, fraction: 1 }, createSharedPrefixUniform(1));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).location.field).toBe('sharedPrefix.tokens');
    expect((caught as InputError).message).toMatch(/^sharedPrefix\.tokens: 2147483647 system-prompt tokens/);
    expect(Array.from(base.promptTokens)).toEqual([1, 5]);
  });

  it('refuses an invalid seed naming the field', () => {
    expect(() => createSharedPrefixUniform(-1)).toThrow(/^seed: -1 is not an integer/);
  });
});
