/**
 * Machine presets for every (GPU, model) pair with a Vidur operator profile in
 * data/vidur/data/profiling/compute/<gpu>/<hf-id>/mlp.csv, merged into
 * BUILT_IN_MACHINES by built-in-machines.ts.
 *
 * Naming: `<gpu>-<short model>`, the GPU's profile folder (`a100`, `a40`, `h100`) and the short
 * model name of {@link PRESET_MODELS} (`llama2-7b`, `llama3-8b`, `codellama-34b`,
 * `internlm-20b`, `phi2`, ...): `h100-llama2-7b`, `a40-phi2`, `a100-internlm-20b`.
 *
 * Each preset: token-wise operators from that pair's mlp.csv (tensor parallel 1, interpolated by
 * ProfileIterationTimeModel); attention APPROXIMATE, scaled from the A100 Llama-2-7B fits
 * (runner/latency/approximate-attention.ts); KV capacity from planKvCapacity in `vidur` mode
 * (4,096-token slots, block 16, 90 % of Vidur's device memory); linear fit d0, d1, d2 from
 * `fitLinearWithPrefill` of the model over mixed prefill and decode batches (exact: false). `a100-llama2-7b` itself is the measured (non-approximate) preset
 * defined in built-in-machines.ts and is not repeated here.
 *
 * Offered only where the model fits on ONE GPU with at least {@link MIN_KV_SLOTS} request slots.
 * Not offered (computed by {@link NOT_OFFERED_PRESETS}; a test checks this list):
 * - a100/h100/a40 x Llama-2-70B, Qwen-72B; a100 x Llama-3-70B: fp16 weights (127.5 GiB,
 *   130.0 GiB by Vidur's ParamCounter) exceed the 72 GiB (A100, H100) or 40.5 GiB (A40) usable;
 *   they need tensor parallelism, which these presets do not model;
 * - a40 x CodeLlama-34B: 61.9 GiB of weights > 40.5 GiB usable;
 * - a40 x InternLM-20B: 35.5 GiB of weights leave 5.05 GiB, one 4,096-token slot of 4.69 GiB
 *   (256 blocks), below the minimum.
 * A40 and H100 have no Llama-3 profiles, so there are no a40/h100 Llama-3 presets.
 */
import { repositoryPath } from '../repository-path.js';
import { createApproximateAttention, GPU_SPECS } from '../latency/approximate-attention.js';
import { planKvCapacity, VIDUR_DEVICE_MEMORY_GIB, type KvPlan } from '../latency/kv-capacity-planner.js';
import { modelArchitecture } from '../latency/model-architectures.js';
import { loadOperatorProfile } from '../latency/operator-profile.js';
import { ProfileIterationTimeModel } from '../latency/profile-model.js';
import type { Machine } from './machine.js';
import { builtInLinearFit } from './machine-linear-fit.js';

/** Fewest 4,096-token request slots a preset must hold ("at least a few"). */
export const MIN_KV_SLOTS = 4;

/** Tokens per request slot in Vidur's plan (its request generator's `max_tokens`). */
const MAX_TOKENS = 4096;
const BLOCK_SIZE = 16;

/** Short names of the profiled models, by Hugging Face id. */
export const PRESET_MODELS: Readonly<Record<string, string>> = {
  'meta-llama/Llama-2-7b-hf': 'llama2-7b',
  'meta-llama/Llama-2-70b-hf': 'llama2-70b',
  'meta-llama/Meta-Llama-3-8B': 'llama3-8b',
  'meta-llama/Meta-Llama-3-70B': 'llama3-70b',
  'codellama/CodeLlama-34b-Instruct-hf': 'codellama-34b',
  'internlm/internlm-20b': 'internlm-20b',
  'Qwen/Qwen-72B': 'qwen-72b',
  'microsoft/phi-2': 'phi2',
};

type GpuKey = keyof typeof GPU_SPECS;

/** The (GPU, model) pairs with an mlp.csv in data/vidur (A40 and H100 have no Llama-3 files). */
export const PROFILED_PAIRS: readonly { gpu: GpuKey; model: string }[] = (['a100', 'a40', 'h100'] as const)
  .flatMap((gpu) => Object.keys(PRESET_MODELS).map((model) => ({ gpu, model })))
  .filter((p) => p.gpu === 'a100' || !p.model.startsWith('meta-llama/Meta-Llama-3'));

/** Preset name of a pair: `<gpu>-<short model>`. */
export function presetName(gpu: string, model: string): string {
  return `${gpu}-${PRESET_MODELS[model] ?? model}`;
}

/** Vidur's KV plan of a pair, or why it has none. */
function planFor(gpu: GpuKey, model: string): KvPlan | { reason: string } {
  try {
    const plan = planKvCapacity({
      gpuMemoryBytes: VIDUR_DEVICE_MEMORY_GIB[gpu] * 2 ** 30,
      architecture: modelArchitecture(model),
      dtypeBytes: 2,
      blockSize: BLOCK_SIZE,
      mode: 'vidur',
      maxTokens: MAX_TOKENS,
    });
    if ((plan.slots ?? 0) < MIN_KV_SLOTS) {
      return {
        reason: `only ${plan.slots} ${MAX_TOKENS}-token KV slot(s) (${plan.blocks} blocks) on one GPU, fewer than ${MIN_KV_SLOTS}`,
      };
    }
    return plan;
  } catch (e) {
    return { reason: `does not fit on one GPU: ${(e as Error).message}` };
  }
}

/** Pairs with a profile that are not offered, with the reason. */
export const NOT_OFFERED_PRESETS: readonly { name: string; gpu: string; model: string; reason: string }[] =
  PROFILED_PAIRS.flatMap(({ gpu, model }) => {
    const plan = planFor(gpu, model);
    return 'reason' in plan ? [{ name: presetName(gpu, model), gpu, model, reason: plan.reason }] : [];
  });

function makePreset(gpu: GpuKey, model: string, plan: KvPlan): Machine {
  const spec = GPU_SPECS[gpu];
  const architecture = modelArchitecture(model);
  const profilePath = ['data', 'vidur', 'data', 'profiling', 'compute', gpu, ...model.split('/'), 'mlp.csv'];
  const attention = createApproximateAttention(spec, architecture);
  const iterationTime = new ProfileIterationTimeModel({
    profile: loadOperatorProfile(repositoryPath(...profilePath)),
    architecture,
    attention,
    gpu,
  });
  return {
    name: presetName(gpu, model),
    description:
      `APPROXIMATE attention: ${model} on one ${spec.name}: Vidur operator profile (interpolated) for token-wise ops, ` +
      `attention scaled from the A100 Llama-2-7B fits (no attention data for this pair), Vidur memory plan`,
    iterationTime,
    kvCapacityBlocks: plan.blocks,
    blockSize: BLOCK_SIZE,
    linear: builtInLinearFit(presetName(gpu, model), iterationTime),
    hardware: {
      gpu: spec.name,
      model,
      sources: {
        'token-wise operators': `Vidur profile data/vidur/.../${gpu}/${model}/mlp.csv (median, TP1)`,
        attention: attention.source,
        'KV capacity': plan.explanation,
      },
    },
  };
}

/**
 * The offered presets by name (factories; building one reads its profile). Excludes
 * `a100-llama2-7b`, defined with measured attention in built-in-machines.ts.
 */
export const MACHINE_PRESETS: Readonly<Record<string, () => Machine>> = Object.fromEntries(
  PROFILED_PAIRS.flatMap(({ gpu, model }) => {
    if (gpu === 'a100' && model === 'meta-llama/Llama-2-7b-hf') return [];
    const plan = planFor(gpu, model);
    if ('reason' in plan) return [];
    return [[presetName(gpu, model), () => makePreset(gpu, model, plan)] as const];
  }),
);
