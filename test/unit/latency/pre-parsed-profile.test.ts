/**
 * The default machine's pre-parsed operator profile (data/generated/a100-llama2-7b-mlp-tp1.json):
 * regenerating it from Vidur's CSV gives the shipped file byte for byte, and the model built from
 * it predicts exactly the iteration times of the model built from the CSV.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import type { BatchShape } from '../../../runner/latency/batch-shape.js';
import { MODEL_ARCHITECTURES } from '../../../runner/latency/model-architectures.js';
import { loadOperatorProfile } from '../../../runner/latency/operator-profile.js';
import {
  A100_LLAMA2_7B_PROFILE_CSV,
  A100_LLAMA2_7B_PROFILE_JSON,
  loadPreParsedProfile,
  serializeOperatorProfile,
} from '../../../runner/latency/pre-parsed-profile.js';
import {
  A100_LLAMA2_7B_ATTENTION,
  ProfileIterationTimeModel,
} from '../../../runner/latency/profile-model.js';
import { BUILT_IN_MACHINES } from '../../../runner/machines/built-in-machines.js';
import { repositoryPath } from '../../../runner/repository-path.js';

const CSV = repositoryPath(...A100_LLAMA2_7B_PROFILE_CSV.split('/'));
const JSON_FILE = repositoryPath(...A100_LLAMA2_7B_PROFILE_JSON.split('/'));

describe('pre-parsed operator profile of a100-llama2-7b', () => {
  it('is what scripts/generate-operator-profile.mjs writes from the CSV, byte for byte', () => {
    const regenerated = serializeOperatorProfile(loadOperatorProfile(CSV), A100_LLAMA2_7B_PROFILE_CSV);
    expect(readFileSync(JSON_FILE, 'utf8')).toBe(regenerated);
  });

  it('loads as the same profile as the CSV, its source the CSV', () => {
    const fromJson = loadPreParsedProfile(JSON_FILE, CSV);
    expect(fromJson).toEqual(loadOperatorProfile(CSV));
    expect(fromJson.tokens.length).toBe(259);
    expect(fromJson.source).toBe(CSV);
  });

  it('gives a model with exactly the iteration times of the CSV model, and the default machine uses it', () => {
    const build = (fromJson: boolean): ProfileIterationTimeModel =>
      new ProfileIterationTimeModel({
        profile: fromJson ? loadPreParsedProfile(JSON_FILE, CSV) : loadOperatorProfile(CSV),
        architecture: MODEL_ARCHITECTURES['meta-llama/Llama-2-7b-hf'],
        attention: A100_LLAMA2_7B_ATTENTION,
        gpu: 'a100',
      });
    const [json, csv] = [build(true), build(false)];
    const machine = BUILT_IN_MACHINES['a100-llama2-7b']();
    let shapes = 0;
    for (const decodes of [0, 1, 3, 17, 64, 128, 255]) {
      for (const kv of [1, 100, 1000, 4096]) {
        for (const prefill of [0, 1, 7, 100, 512, 2049, 4096, 5000]) {
          if (decodes === 0 && prefill === 0) continue;
          const batch: BatchShape = {
            numPrefills: prefill > 0 ? 1 : 0,
            prefillTokens: Int32Array.of(prefill),
            prefillKvBefore: Int32Array.of(kv),
            totalPrefillTokens: prefill,
            numDecodes: decodes,
            decodeKvTokens: decodes * kv,
          };
          const t = csv.iterationTime(batch);
          expect(json.iterationTime(batch)).toBe(t);
          expect(machine.iterationTime.iterationTime(batch)).toBe(t);
          shapes++;
        }
      }
    }
    expect(shapes).toBeGreaterThan(200);
  });

  it('names the file when it is missing or malformed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pre-parsed-'));
    expect(() => loadPreParsedProfile(join(dir, 'none.json'), CSV)).toThrow(
      /none\.json: profile file not found/,
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"tokens": [1, 2], "opMs": {}}');
    expect(() => loadPreParsedProfile(bad, CSV)).toThrow(InputError);
    expect(() => loadPreParsedProfile(bad, CSV)).toThrow(/bad\.json: opMs\.input_layernorm must be an array/);
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, 'tokens,1');
    expect(() => loadPreParsedProfile(notJson, CSV)).toThrow(/not\.json: not valid JSON/);
  });
});
