/**
 * KV-cache blocks needed to hold `tokens` tokens: ceil(tokens / blockSize).
 * Source: vLLM PagedAttention block tables (vllm/core/block_manager.py); Vidur
 * `base_replica_scheduler.py` allocates ceil(prefill / block_size) the same way.
 * @param tokens KV tokens, >= 0
 * @param blockSize tokens per block, >= 1 (1 reproduces the paper's token model)
 */
export function blocksFor(tokens: number, blockSize: number): number {
  return tokens <= 0 ? 0 : Math.ceil(tokens / blockSize);
}
