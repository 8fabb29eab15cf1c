import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  countParameters,
  kvBytesPerToken,
  MODEL_ARCHITECTURES,
  modelArchitecture,
} from '../../../runner/latency/model-architectures.js';
import { loadOperatorProfile } from '../../../runner/latency/operator-profile.js';
import {
  A100_LLAMA2_7B_ATTENTION,
  ProfileIterationTimeModel,
} from '../../../runner/latency/profile-model.js';

/** Vidur's compute profiles, copied into data/ (every GPU and model it profiled). */
const PROFILES = fileURLToPath(new URL('../../../data/vidur/data/profiling/compute/', import.meta.url));

describe('MODEL_ARCHITECTURES', () => {
  it('covers the eight models with Vidur profiles', () => {
    expect(Object.keys(MODEL_ARCHITECTURES).sort()).toEqual(
      [
        'Qwen/Qwen-72B',
        'codellama/CodeLlama-34b-Instruct-hf',
        'internlm/internlm-20b',
        'meta-llama/Llama-2-70b-hf',
        'meta-llama/Llama-2-7b-hf',
        'meta-llama/Meta-Llama-3-70B',
        'meta-llama/Meta-Llama-3-8B',
        'microsoft/phi-2',
      ].sort(),
    );
  });

  it('has parameter counts that round to the published sizes', () => {
    for (const a of Object.values(MODEL_ARCHITECTURES)) {
      const digits = a.publishedBillions.replace('.', '').replace(/^0+/, '').length;
      expect((a.parameters / 1e9).toPrecision(digits), a.id).toBe(a.publishedBillions);
      expect(a.parameters).toBe(countParameters(a));
      expect(a.headDim * a.heads, a.id).toBe(a.hiddenSize);
      expect(a.source).toContain(a.id);
    }
  });

  it('counts Llama-2-7B exactly: 2 x 32,000 x 4,096 + 32 x 202,383,360 + 4,096 = 6,738,415,616', () => {
    expect(MODEL_ARCHITECTURES['meta-llama/Llama-2-7b-hf'].parameters).toBe(6738415616);
  });

  it('gives KV bytes per token = layers x 2 x KV heads x head dim x dtype bytes', () => {
    expect(kvBytesPerToken(MODEL_ARCHITECTURES['meta-llama/Llama-2-7b-hf'])).toBe(524288);
    expect(kvBytesPerToken(MODEL_ARCHITECTURES['meta-llama/Llama-2-70b-hf'])).toBe(80 * 2 * 8 * 128 * 2);
    expect(kvBytesPerToken(MODEL_ARCHITECTURES['microsoft/phi-2'], 1)).toBe(32 * 2 * 32 * 80);
  });

  it('names the known models when asked for an unknown one', () => {
    expect(() => modelArchitecture('gpt-2')).toThrow(/known: meta-llama\/Llama-2-7b-hf, /);
    expect(modelArchitecture('Qwen/Qwen-72B').layers).toBe(80);
  });
});

describe('architectures against the Vidur mlp.csv files in data/', () => {
  const files: [gpu: string, id: string][] = [];
  for (const gpu of ['a100', 'a40', 'h100']) {
    for (const id of Object.keys(MODEL_ARCHITECTURES)) {
      if (existsSync(`${PROFILES}${gpu}/${id}/mlp.csv`)) files.push([gpu, id]);
    }
  }

  it('finds the 20 profiles (a100: 8 models; a40 and h100: 6 each, no Llama-3)', () => {
    expect(files).toHaveLength(20);
  });

  it.each(files)('%s %s: columns match and the token-wise table is non-decreasing', (gpu, id) => {
    const arch = MODEL_ARCHITECTURES[id];
    const profile = loadOperatorProfile(`${PROFILES}${gpu}/${id}/mlp.csv`);
    expect(profile.columns.useGatedMlp).toBe(arch.gatedMlp);
    // Vidur pads a 32,000-token vocabulary to 32,768 in its profiles.
    expect(profile.columns.vocabSize).toBe(arch.vocabSize === 32000 ? 32768 : arch.vocabSize);
    // The constructor checks n_head, n_kv_head, n_embd and n_expanded_embd against the architecture.
    const m = new ProfileIterationTimeModel({
      profile,
      architecture: arch,
      attention: A100_LLAMA2_7B_ATTENTION,
      gpu,
    });
    const max = profile.tokens[profile.tokens.length - 1];
    expect(max === 4096 || max === 32768).toBe(true);
    for (let t = 16; t <= max; t += 8) expect(m.tokenWiseMs(t)).toBeGreaterThanOrEqual(m.tokenWiseMs(t - 8));
  });
});
