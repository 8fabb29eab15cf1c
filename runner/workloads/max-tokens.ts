/**
 * Vidur's cap on a request's total length (`vidur/request_generator/trace_request_length_generator.py`):
 * a request whose prompt + output exceeds maxTokens is shrunk proportionally.
 *
 * With total T = p + o > M and excess d = T - M: p' = p - ceil(d*p/T), o' = o - ceil(d*o/T), each
 * then raised to at least 1. Rounding both reductions UP guarantees p' + o' <= M; the clamp to 1
 * cannot break that for M >= 2 (a side reaches 0 only when its reduction is all of it, and then the
 * other side's reduction is large enough to make room). Requests within the cap are unchanged.
 */

/**
 * Applies the cap in place.
 * @param prompt prompt tokens per request (modified)
 * @param output output tokens per request (modified)
 * @param maxTokens the cap M, an integer >= 2
 * @returns how many requests were shrunk
 */
export function applyMaxTokens(prompt: Int32Array, output: Int32Array, maxTokens: number): number {
  let changed = 0;
  for (let i = 0; i < prompt.length; i++) {
    const p = prompt[i];
    const o = output[i];
    const total = p + o;
    if (total <= maxTokens) continue;
    const excess = total - maxTokens;
    prompt[i] = Math.max(1, p - Math.ceil((excess * p) / total));
    output[i] = Math.max(1, o - Math.ceil((excess * o) / total));
    changed += 1;
  }
  return changed;
}
