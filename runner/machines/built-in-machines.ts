import { repositoryPath } from '../repository-path.js';
import { planKvCapacity, VIDUR_DEVICE_MEMORY_GIB } from '../latency/kv-capacity-planner.js';
import { LinearIterationTimeModel } from '../latency/linear-model.js';
import { modelArchitecture } from '../latency/model-architectures.js';
import {
  A100_LLAMA2_7B_PROFILE_CSV,
  A100_LLAMA2_7B_PROFILE_JSON,
  loadPreParsedProfile,
} from '../latency/pre-parsed-profile.js';
import { A100_LLAMA2_7B_ATTENTION, ProfileIterationTimeModel } from '../latency/profile-model.js';
import type { Machine } from './machine.js';
import { builtInLinearFit } from './machine-linear-fit.js';
import { MACHINE_PRESETS } from './machine-presets.js';

/**
 * Linear fit for Llama-2-7B on A100-80GB: d0 (s) and d1 (s per KV token), R^2 0.9956, from
 * `fitLinearFromProfile` on data/vidur (docs/linear-fit.md); a test recomputes it from the data.
 */
export const A100_LLAMA2_7B_LINEAR = {
  d0: 0.011254694988253787,
  d1: 2.6836051993088585e-7,
  r2: 0.9955976378641235,
} as const;

/**
 * KV capacity of Llama-2-7B on A100-80GB by Vidur's memory planner (docs/linear-fit.md): 80 GiB x 0.9
 * minus 2 x 6.74e9 bytes of fp16 weights leaves room for 29 requests of 4,096 tokens at 0.5 MiB
 * of KV per token (32 layers x 2 x 32 heads x 128 dims x 2 bytes): 29 x 4096 / 16 = 7,424 blocks.
 */
export const A100_LLAMA2_7B_KV_BLOCKS = 7424;

/**
 * `a100-llama2-7b`, the default machine: Vidur-style iteration times from the A100 Llama-2-7B
 * operator profile (token-wise operators interpolated, attention from the closed-form fits of
 * data/vidur/ATTENTION.md, combined per batch as Vidur does; see ProfileIterationTimeModel) and
 * Vidur's KV capacity plan (80 GiB x 0.9 minus fp16 weights, 4,096-token slots: 7,424 blocks).
 * Its linear model (for the fluid benchmark and threshold rules) is fitLinearWithPrefill of the
 * profile model: d0, d1 and d2 over mixed prefill and decode batches (docs/linear-fit.md).
 * The profile is read from its pre-parsed copy (data/generated/a100-llama2-7b-mlp-tp1.json, the
 * same numbers as the CSV's TP1 rows; runner/latency/pre-parsed-profile.ts), its `source` the CSV.
 */
function a100Llama27bProfile(): Machine {
  const architecture = modelArchitecture('meta-llama/Llama-2-7b-hf');
  const model = new ProfileIterationTimeModel({
    profile: loadPreParsedProfile(
      repositoryPath(...A100_LLAMA2_7B_PROFILE_JSON.split('/')),
      repositoryPath(...A100_LLAMA2_7B_PROFILE_CSV.split('/')),
    ),
    architecture,
    attention: A100_LLAMA2_7B_ATTENTION,
    gpu: 'a100',
  });
  const plan = planKvCapacity({
    gpuMemoryBytes: VIDUR_DEVICE_MEMORY_GIB.a100 * 2 ** 30,
    architecture,
    dtypeBytes: 2,
    blockSize: 16,
    mode: 'vidur',
    maxTokens: 4096,
  });
  return {
    name: 'a100-llama2-7b',
    description:
      'Llama-2-7B on one A100-80GB: Vidur operator profile (interpolated) + closed-form FlashAttention fits, Vidur memory plan',
    iterationTime: model,
    kvCapacityBlocks: plan.blocks,
    blockSize: 16,
    linear: builtInLinearFit('a100-llama2-7b', model),
    hardware: {
      gpu: 'A100-80GB',
      model: 'meta-llama/Llama-2-7b-hf',
      sources: {
        'token-wise operators':
          'Vidur profile data/vidur/.../a100/meta-llama/Llama-2-7b-hf/mlp.csv (median, TP1)',
        attention: 'closed-form fits to Vidur A100 attention.csv (data/vidur/ATTENTION.md)',
        'KV capacity': plan.explanation,
      },
    },
  };
}

/** The built-in simulated machines by name: the two A100 Llama-2-7B machines, then the presets. */
export const BUILT_IN_MACHINES: Record<string, () => Machine> = {
  'a100-llama2-7b': a100Llama27bProfile,
  'a100-llama2-7b-linear': () => ({
    name: 'a100-llama2-7b-linear',
    description:
      "Llama-2-7B on one A100-80GB: the paper's linear iteration time fitted to Vidur's A100 operator profile (decode batches), 7,424 KV blocks of 16 tokens",
    iterationTime: new LinearIterationTimeModel(A100_LLAMA2_7B_LINEAR.d0, A100_LLAMA2_7B_LINEAR.d1),
    kvCapacityBlocks: A100_LLAMA2_7B_KV_BLOCKS,
    blockSize: 16,
    linear: { ...A100_LLAMA2_7B_LINEAR, exact: true },
    hardware: {
      gpu: 'A100-80GB',
      model: 'meta-llama/Llama-2-7b-hf',
      sources: {
        'iteration time': 'least-squares linear fit (docs/linear-fit.md)',
        'KV capacity': "Vidur's memory plan (7,424 blocks)",
      },
    },
  }),
  // Every other (GPU, model) pair with a Vidur profile that fits on one GPU, with APPROXIMATE
  // attention (runner/machines/machine-presets.ts).
  ...MACHINE_PRESETS,
};
