import { z } from 'zod';

/**
 * Messages and replies of the GPU worker's JSON-lines protocol, version 1
 * (docs/worker-protocol.md; implemented by worker/schedbench_worker/server.py).
 *
 * Requests are written as one JSON object per line on the worker's stdin; each gets exactly one
 * reply line on its stdout, in order, echoing the request's `id`. Field names are the wire names
 * (snake_case). Units: times in seconds (float), memory in bytes, token ids in `[0, vocab_size)`.
 */

/** The protocol version this client speaks; `hello.protocol` must equal it. */
export const PROTOCOL_VERSION = 1;

/** A request id inside a batch (`prefill[].id`, `decode[].id`, `free.request_id`): `1` and `"1"` differ. */
export const RequestIdSchema = z.union([z.string(), z.number().int()]);
/** A serving request's id: a JSON string or integer, echoed unchanged by the worker. */
export type RequestId = z.infer<typeof RequestIdSchema>;

/** A message's own `id` (any JSON value on the wire; this client always sends integers). */
const MessageIdSchema = z.unknown().optional();

// ---- requests ------------------------------------------------------------------------------------

/** `hello`: versions, device, dtypes. */
export interface HelloRequest {
  type: 'hello';
  id?: unknown;
}

/** Weights and KV dtypes a worker loads (`hello.dtypes` says which this host supports). */
export type WorkerDtype = 'float32' | 'float16' | 'bfloat16';

/** `load`: a preset (`tiny-llama`, `llama-2-7b`) or a checkpoint directory, plus the KV cache size. */
export interface LoadRequest {
  type: 'load';
  id?: unknown;
  /** Preset name or checkpoint directory path (contains `/` or starts with `.`). */
  model: string;
  /** KV cache capacity in blocks, or `"auto"` (90% of free GPU memory; 1024 blocks on CPU). */
  kv_blocks: number | 'auto';
  /** Tokens per KV block (default 16). */
  block_size?: number;
  /** One of `hello.dtypes` (default float16 on CUDA, float32 on CPU). */
  dtype?: WorkerDtype;
  /** `"cpu"` or `"cuda"` (default `hello.device`). */
  device?: 'cpu' | 'cuda';
  /** Seed of the random initialisation (default 0). */
  seed?: number;
  /** For a checkpoint: load its safetensors files if present (default true). */
  weights?: boolean;
}

/** One prefill chunk of a step: `start` must equal the request's cached length (0 for a new one). */
export interface PrefillChunk {
  id: RequestId;
  token_ids: number[];
  start: number;
}

/** One decode of a step: `token_id` goes at the position after the request's cache. */
export interface DecodeItem {
  id: RequestId;
  token_id: number;
}

/** `step`: one iteration (at least one item; a request at most once). */
export interface StepRequest {
  type: 'step';
  id?: unknown;
  prefill?: PrefillChunk[];
  decode?: DecodeItem[];
}

/** `free`: drop a request and return its KV blocks to the pool. */
export interface FreeRequest {
  type: 'free';
  id?: unknown;
  request_id: RequestId;
}

/** One batch shape of a `profile` grid. */
export interface ProfileShape {
  /** Prefill chunk sizes in tokens (default `[]`). */
  prefill?: number[];
  /** Number of decode requests (default 0). */
  decodes?: number;
  /** Cached tokens of each decode request (> 0 when `decodes` > 0). */
  decode_kv_len?: number;
}

/** `profile`: time a grid of batch shapes on synthetic requests. */
export interface ProfileRequest {
  type: 'profile';
  id?: unknown;
  shapes: ProfileShape[];
  /** Timed iterations per shape (default 3). */
  repeats?: number;
  /** Untimed iterations per shape (default 1). */
  warmup?: number;
}

/**
 * `roofline`: the device's memory copy bandwidth and matrix-multiply rate (added to protocol 1).
 * Works with or without a loaded model and leaves it untouched.
 */
export interface RooflineRequest {
  type: 'roofline';
  id?: unknown;
  /** Default: the loaded model's dtype on its device, else float16 on CUDA, float32 on CPU. */
  dtype?: WorkerDtype;
  /** `"cpu"` or `"cuda"` (default: the loaded model's device, else `hello.device`). */
  device?: 'cpu' | 'cuda';
  /** Copy buffer, bytes (default 1 GiB on CUDA, 64 MiB on CPU). */
  copy_bytes?: number;
  /** Size n of the n x n matrices multiplied (default 8,192 on CUDA, 512 on CPU). */
  matmul_n?: number;
  /** Timed runs of each measurement, after one untimed run (default 5). */
  repeats?: number;
}

/** `shutdown`: the worker replies `bye` and exits with status 0. */
export interface ShutdownRequest {
  type: 'shutdown';
  id?: unknown;
}

/** Any protocol-v1 request. */
export type WorkerRequest =
  HelloRequest | LoadRequest | StepRequest | FreeRequest | ProfileRequest | RooflineRequest | ShutdownRequest;

// ---- replies -------------------------------------------------------------------------------------

/** Reply to `hello`. */
export const HelloReplySchema = z.object({
  type: z.literal('hello'),
  id: MessageIdSchema,
  protocol: z.number().int(),
  python: z.string(),
  torch: z.string(),
  device: z.enum(['cpu', 'cuda']),
  gpu_name: z.string().nullable(),
  /** Device 0's total memory in bytes; null on CPU. */
  gpu_memory_bytes: z.number().int().nullable(),
  dtypes: z.array(z.string()),
  sdpa: z.boolean(),
  presets: z.array(z.string()),
});
export type HelloReply = z.infer<typeof HelloReplySchema>;

/** Model configuration echoed by `loaded` (Hugging Face Llama field names). */
export const ModelConfigSchema = z.looseObject({
  vocab_size: z.number().int(),
  hidden_size: z.number().int(),
  intermediate_size: z.number().int(),
  num_hidden_layers: z.number().int(),
  num_attention_heads: z.number().int(),
  num_key_value_heads: z.number().int(),
  rms_norm_eps: z.number(),
  rope_theta: z.number(),
  max_position_embeddings: z.number().int(),
  tie_word_embeddings: z.boolean(),
  head_dim: z.number().int(),
});
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

/** Reply to `load`. */
export const LoadedReplySchema = z.object({
  type: z.literal('loaded'),
  id: MessageIdSchema,
  model: z.string(),
  /** `"random"` or `"safetensors (N files)"`. */
  weights: z.string(),
  device: z.enum(['cpu', 'cuda']),
  dtype: z.string(),
  parameters: z.number().int(),
  config: ModelConfigSchema,
  kv_blocks: z.number().int().positive(),
  block_size: z.number().int().positive(),
  /** Bytes of one KV block over all layers, keys and values. */
  kv_block_bytes: z.number().int().positive(),
});
export type LoadedReply = z.infer<typeof LoadedReplySchema>;

/** Reply to `step`: one result per item, prefills first then decodes, in request order. */
export const StepResultReplySchema = z.object({
  type: z.literal('step_result'),
  id: MessageIdSchema,
  /** Measured iteration time in seconds (CUDA events on a GPU, perf_counter on CPU). */
  time_s: z.number().nonnegative(),
  results: z.array(
    z.object({
      id: RequestIdSchema,
      /** Greedy next token after the item's last token. */
      token_id: z.number().int().nonnegative(),
      /** The request's cached length in tokens after the step. */
      kv_len: z.number().int().positive(),
    }),
  ),
  /** KV blocks not owned by any request. */
  free_blocks: z.number().int().nonnegative(),
});
export type StepResultReply = z.infer<typeof StepResultReplySchema>;

/** Reply to `free`. */
export const FreedReplySchema = z.object({
  type: z.literal('freed'),
  id: MessageIdSchema,
  request_id: RequestIdSchema,
  /** Blocks released. */
  blocks: z.number().int().nonnegative(),
  free_blocks: z.number().int().nonnegative(),
});
export type FreedReply = z.infer<typeof FreedReplySchema>;

/** Reply to `profile`: one entry per shape, with its per-iteration times in seconds. */
export const ProfileResultReplySchema = z.object({
  type: z.literal('profile_result'),
  id: MessageIdSchema,
  results: z.array(
    z.object({
      prefill: z.array(z.number().int()),
      decodes: z.number().int(),
      decode_kv_len: z.number().int(),
      times_s: z.array(z.number().nonnegative()),
      median_s: z.number().nonnegative(),
    }),
  ),
});
export type ProfileResultReply = z.infer<typeof ProfileResultReplySchema>;

/**
 * Reply to `roofline`. Rates come from the median of the timed runs: copy bandwidth counts the
 * read and the write (2 x copy_bytes / time), the matrix-multiply rate 2 n^3 FLOPs per product.
 */
export const RooflineReplySchema = z.object({
  type: z.literal('roofline'),
  id: MessageIdSchema,
  device: z.enum(['cpu', 'cuda']),
  dtype: z.string(),
  /** Timed runs of each measurement. */
  repeats: z.number().int().positive(),
  /** Bytes of the buffer copied (whole elements of the dtype). */
  copy_bytes: z.number().int().positive(),
  /** Memory bandwidth, bytes per second (read + write). */
  copy_bytes_per_s: z.number().positive(),
  /** The timed copies, seconds. */
  copy_times_s: z.array(z.number().nonnegative()),
  /** Size n of the n x n matrices. */
  matmul_n: z.number().int().positive(),
  /** Matrix-multiply rate in the dtype, FLOP per second. */
  matmul_flops_per_s: z.number().positive(),
  /** The timed products, seconds. */
  matmul_times_s: z.array(z.number().nonnegative()),
});
export type RooflineReply = z.infer<typeof RooflineReplySchema>;

/** Reply to `shutdown`. */
export const ByeReplySchema = z.object({ type: z.literal('bye'), id: MessageIdSchema });
export type ByeReply = z.infer<typeof ByeReplySchema>;

/** Reply to any request that could not be served (the worker's state is unchanged). */
export const ErrorReplySchema = z.object({
  type: z.literal('error'),
  id: MessageIdSchema,
  /** Human-readable cause. */
  reason: z.string(),
  /** The request's `type`, when it had a string one. */
  request_type: z.string().optional(),
});
export type ErrorReply = z.infer<typeof ErrorReplySchema>;

/** Any reply line of protocol v1. */
export const WorkerReplySchema = z.discriminatedUnion('type', [
  HelloReplySchema,
  LoadedReplySchema,
  StepResultReplySchema,
  FreedReplySchema,
  ProfileResultReplySchema,
  RooflineReplySchema,
  ByeReplySchema,
  ErrorReplySchema,
]);
export type WorkerReply = z.infer<typeof WorkerReplySchema>;

/** The successful reply type of each request type. */
export interface ReplyByRequest {
  hello: HelloReply;
  load: LoadedReply;
  step: StepResultReply;
  free: FreedReply;
  profile: ProfileResultReply;
  roofline: RooflineReply;
  shutdown: ByeReply;
}

/** The successful reply of request `R`. */
export type ReplyFor<R extends WorkerRequest> = ReplyByRequest[R['type']];

/** The `type` of the successful reply of each request type. */
export const REPLY_TYPE: { [K in keyof ReplyByRequest]: ReplyByRequest[K]['type'] } = {
  hello: 'hello',
  load: 'loaded',
  step: 'step_result',
  free: 'freed',
  profile: 'profile_result',
  roofline: 'roofline',
  shutdown: 'bye',
};
