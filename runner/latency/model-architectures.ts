/**
 * Shapes of the models that have Vidur operator profiles
 * (`data/vidur/data/profiling/compute/<gpu>/<hf-id>/mlp.csv`, from microsoft/vidur). Every number comes
 * from the model's published Hugging Face `config.json` (URL on each entry, branch `main`); the
 * `mlp.csv` columns `n_head, n_kv_head, n_embd, n_expanded_embd` repeat four of them and a test
 * checks that they agree, and `vocab_size` too (Vidur pads Llama-2's 32,000 to 32,768 there).
 * Layer counts agree with Vidur's vidur/config/model_config.py where it has the model
 * (Llama-2-7B 32, Llama-2-70B 80, CodeLlama-34B 48, Qwen-72B 80, phi-2 32) and, for
 * InternLM-20B, with InternLM/InternLM model_cards/internlm_20b.md (60). Parameter counts are
 * derived from the config by `countParameters` (module structure of the model's Transformers
 * implementation) and agree with the rounded size the model's page or card publishes (quoted on
 * each entry; a test checks the rounding).
 */
export interface ModelArchitecture {
  /** Hugging Face id, also the profile folder: `meta-llama/Llama-2-7b-hf`. */
  readonly id: string;
  /** Transformer layers (`num_hidden_layers`). */
  readonly layers: number;
  /** Query heads (`num_attention_heads`). */
  readonly heads: number;
  /** Key/value heads (`num_key_value_heads`; equal to heads for multi-head attention). */
  readonly kvHeads: number;
  /** Dimension of one head (hidden size / heads for all of these models). */
  readonly headDim: number;
  /** Hidden size (`hidden_size`). */
  readonly hiddenSize: number;
  /** FFN hidden size of one MLP branch (`intermediate_size`; Qwen's config states twice it). */
  readonly ffnSize: number;
  /** Vocabulary (`vocab_size`), unpadded. */
  readonly vocabSize: number;
  /** SwiGLU-style gated MLP (gate, up and down projections) rather than up and down only. */
  readonly gatedMlp: boolean;
  /** Which linear layers carry biases. */
  readonly bias: {
    readonly qkv: boolean;
    readonly o: boolean;
    readonly mlp: boolean;
    readonly lmHead: boolean;
  };
  /** LayerNorm (weight and bias) rather than RMSNorm (weight only). */
  readonly layerNorm: boolean;
  /** Norms per layer: 2 (before attention and before MLP) or 1 (phi-2's parallel block). */
  readonly normsPerLayer: 1 | 2;
  /** Total parameters, embeddings and LM head included (what fp16 weights occupy / 2 bytes). */
  readonly parameters: number;
  /**
   * Parameter count in billions as the model's Hugging Face page states it (from the
   * safetensors metadata) or, where the page gives none, as the model card does; as written there.
   */
  readonly publishedBillions: string;
  /** The config the numbers come from. */
  readonly source: string;
}

type ArchitectureShape = Omit<ModelArchitecture, 'parameters'>;

/**
 * Parameters of a decoder-only transformer from its shape: token embeddings, untied LM head
 * (all eight models untie them), per layer the Q, K, V and O projections, the MLP (3 or 2
 * matrices) and the norms, and the final norm. Biases where `bias` says so.
 */
export function countParameters(a: ArchitectureShape): number {
  const h = a.hiddenSize;
  const q = a.heads * a.headDim;
  const kv = a.kvHeads * a.headDim;
  const norm = a.layerNorm ? 2 * h : h;
  let layer = h * q + 2 * h * kv + q * h;
  if (a.bias.qkv) layer += q + 2 * kv;
  if (a.bias.o) layer += h;
  layer += (a.gatedMlp ? 3 : 2) * h * a.ffnSize;
  if (a.bias.mlp) layer += (a.gatedMlp ? 2 : 1) * a.ffnSize + h;
  layer += a.normsPerLayer * norm;
  const embeddings = a.vocabSize * h;
  const lmHead = a.vocabSize * h + (a.bias.lmHead ? a.vocabSize : 0);
  return embeddings + a.layers * layer + norm + lmHead;
}

/**
 * Parameters as Vidur's `ParamCounter.get_num_parameters_per_layer` x layers counts them
 * (vidur/utils/param_counter.py, tensor parallel 1): Q, K, V, O and MLP matrices only; no
 * embeddings, LM head, norms or biases. Vidur's memory planner subtracts 2 bytes x this.
 */
export function vidurParameterCount(a: ModelArchitecture): number {
  const h = a.hiddenSize;
  const perLayer =
    h * a.headDim * (a.heads + 2 * a.kvHeads) +
    h * a.headDim * a.heads +
    (a.gatedMlp ? 3 : 2) * h * a.ffnSize;
  return a.layers * perLayer;
}

/**
 * KV-cache bytes per token: layers x 2 (K and V) x KV heads x head dim x dtype bytes.
 * @param dtypeBytes bytes per cached element (2 for fp16/bf16)
 */
export function kvBytesPerToken(a: ModelArchitecture, dtypeBytes = 2): number {
  return a.layers * 2 * a.kvHeads * a.headDim * dtypeBytes;
}

const NO_BIAS = { qkv: false, o: false, mlp: false, lmHead: false } as const;

/** Llama family: RMSNorm, SwiGLU, no biases, two norms per layer, untied LM head. */
function llama(shape: Omit<ArchitectureShape, 'gatedMlp' | 'bias' | 'layerNorm' | 'normsPerLayer'>) {
  return define({ ...shape, gatedMlp: true, bias: NO_BIAS, layerNorm: false, normsPerLayer: 2 });
}

function define(shape: ArchitectureShape): ModelArchitecture {
  return { ...shape, parameters: countParameters(shape) };
}

const hf = (id: string) => `https://huggingface.co/${id}/blob/main/config.json`;

/** The models with Vidur profiles, by Hugging Face id. */
export const MODEL_ARCHITECTURES: Readonly<Record<string, ModelArchitecture>> = {
  // config.json: num_hidden_layers 32, num_attention_heads 32, num_key_value_heads 32,
  // hidden_size 4096, intermediate_size 11008, vocab_size 32000. 6,738,415,616 parameters.
  'meta-llama/Llama-2-7b-hf': llama({
    id: 'meta-llama/Llama-2-7b-hf',
    layers: 32,
    heads: 32,
    kvHeads: 32,
    headDim: 128,
    hiddenSize: 4096,
    ffnSize: 11008,
    vocabSize: 32000,
    publishedBillions: '6.74',
    source: hf('meta-llama/Llama-2-7b-hf'),
  }),
  // config.json: num_hidden_layers 80, num_attention_heads 64, num_key_value_heads 8,
  // hidden_size 8192, intermediate_size 28672, vocab_size 32000. 68,976,648,192 parameters.
  'meta-llama/Llama-2-70b-hf': llama({
    id: 'meta-llama/Llama-2-70b-hf',
    layers: 80,
    heads: 64,
    kvHeads: 8,
    headDim: 128,
    hiddenSize: 8192,
    ffnSize: 28672,
    vocabSize: 32000,
    publishedBillions: '69',
    source: hf('meta-llama/Llama-2-70b-hf'),
  }),
  // config.json: num_hidden_layers 32, num_attention_heads 32, num_key_value_heads 8,
  // hidden_size 4096, intermediate_size 14336, vocab_size 128256. 8,030,261,248 parameters.
  'meta-llama/Meta-Llama-3-8B': llama({
    id: 'meta-llama/Meta-Llama-3-8B',
    layers: 32,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    hiddenSize: 4096,
    ffnSize: 14336,
    vocabSize: 128256,
    publishedBillions: '8.03',
    source: hf('meta-llama/Meta-Llama-3-8B'),
  }),
  // config.json: num_hidden_layers 80, num_attention_heads 64, num_key_value_heads 8,
  // hidden_size 8192, intermediate_size 28672, vocab_size 128256. 70,553,706,496 parameters.
  'meta-llama/Meta-Llama-3-70B': llama({
    id: 'meta-llama/Meta-Llama-3-70B',
    layers: 80,
    heads: 64,
    kvHeads: 8,
    headDim: 128,
    hiddenSize: 8192,
    ffnSize: 28672,
    vocabSize: 128256,
    publishedBillions: '70.6',
    source: hf('meta-llama/Meta-Llama-3-70B'),
  }),
  // config.json: num_hidden_layers 48, num_attention_heads 64, num_key_value_heads 8,
  // hidden_size 8192, intermediate_size 22016, vocab_size 32000. 33,743,970,304 parameters.
  'codellama/CodeLlama-34b-Instruct-hf': llama({
    id: 'codellama/CodeLlama-34b-Instruct-hf',
    layers: 48,
    heads: 64,
    kvHeads: 8,
    headDim: 128,
    hiddenSize: 8192,
    ffnSize: 22016,
    vocabSize: 32000,
    publishedBillions: '33.7',
    source: hf('codellama/CodeLlama-34b-Instruct-hf'),
  }),
  // InternLM (v1) 20B, not InternLM2. config.json: num_hidden_layers 60, num_attention_heads 40
  // (no num_key_value_heads: multi-head), hidden_size 5120, intermediate_size 13824,
  // vocab_size 103168, bias true (Q, K, V and O projections; modeling_internlm.py), RMSNorm.
  // The 60 layers are also stated in InternLM/InternLM model_cards/internlm_20b.md.
  // 20,089,943,040 parameters.
  'internlm/internlm-20b': define({
    id: 'internlm/internlm-20b',
    layers: 60,
    heads: 40,
    kvHeads: 40,
    headDim: 128,
    hiddenSize: 5120,
    ffnSize: 13824,
    vocabSize: 103168,
    gatedMlp: true,
    bias: { qkv: true, o: true, mlp: false, lmHead: false },
    layerNorm: false,
    normsPerLayer: 2,
    publishedBillions: '20',
    source: hf('internlm/internlm-20b'),
  }),
  // config.json: num_hidden_layers 80, num_attention_heads 64 (multi-head), kv_channels 128,
  // hidden_size 8192, intermediate_size 49152 = 2 x the per-branch FFN size of 24576 (w1 and w2
  // are each intermediate_size / 2 wide; modeling_qwen.py QWenMLP), vocab_size 152064,
  // bias on the fused QKV projection (c_attn) only, RMSNorm. 72,287,920,128 parameters.
  'Qwen/Qwen-72B': define({
    id: 'Qwen/Qwen-72B',
    layers: 80,
    heads: 64,
    kvHeads: 64,
    headDim: 128,
    hiddenSize: 8192,
    ffnSize: 24576,
    vocabSize: 152064,
    gatedMlp: true,
    bias: { qkv: true, o: false, mlp: false, lmHead: false },
    layerNorm: false,
    normsPerLayer: 2,
    publishedBillions: '72.3',
    source: hf('Qwen/Qwen-72B'),
  }),
  // config.json: num_hidden_layers 32, num_attention_heads 32 (num_key_value_heads null:
  // multi-head), hidden_size 2560, intermediate_size 10240, vocab_size 51200, gelu_new MLP
  // (fc1, fc2; not gated), LayerNorm, one norm per layer (attention and MLP in parallel),
  // biases on every linear layer and the LM head (modeling_phi.py). 2,779,683,840 parameters.
  'microsoft/phi-2': define({
    id: 'microsoft/phi-2',
    layers: 32,
    heads: 32,
    kvHeads: 32,
    headDim: 80,
    hiddenSize: 2560,
    ffnSize: 10240,
    vocabSize: 51200,
    gatedMlp: false,
    bias: { qkv: true, o: true, mlp: true, lmHead: true },
    layerNorm: true,
    normsPerLayer: 1,
    publishedBillions: '2.78',
    source: hf('microsoft/phi-2'),
  }),
};

/**
 * Looks up a model's architecture by Hugging Face id.
 * @throws RangeError naming the known ids
 */
export function modelArchitecture(id: string): ModelArchitecture {
  const a = MODEL_ARCHITECTURES[id];
  if (!a) {
    throw new RangeError(
      `unknown model architecture "${id}" (known: ${Object.keys(MODEL_ARCHITECTURES).join(', ')})`,
    );
  }
  return a;
}
