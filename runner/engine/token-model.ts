/**
 * How prefill, decode and eviction map to output tokens.
 *
 * - `vllm` (default): the iteration that completes a prefill also samples the first output token,
 *   so a request with l' output tokens needs its prefill plus l' - 1 decode iterations; its KV
 *   cache holds at most prompt + l' - 1 tokens. An evicted request keeps the tokens it already
 *   produced and re-prefills prompt + produced tokens (recompute), then continues decoding.
 *   Sources: vLLM V0 `vllm/core/scheduler.py` (preemption by recompute), Vidur
 *   `vidur/entities/request.py` (`restart`, first decode token at prefill completion).
 * - `paper`: arXiv 2504.11320v2 §2 (docs/paper-model.md): stage 0 is the prefill (no token), decode stage s = 1..l'
 *   produces token s and the prompt then occupies l + s; an evicted prompt restarts from stage 0
 *   and produces all of its output tokens again.
 */
export type TokenModel = 'vllm' | 'paper';
