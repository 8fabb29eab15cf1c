/**
 * A prompt type of the paper's model (arXiv 2504.11320v2 §2, Table 1): every type-j prompt has `prompt`
 * tokens (l_j) and `output` tokens (l'_j), and type j arrives as a Poisson process of rate
 * `rate` (lambda_j, requests per second).
 */
export interface PromptType {
  /** l_j, prompt tokens (>= 1). */
  prompt: number;
  /** l'_j, output tokens (>= 1). */
  output: number;
  /** lambda_j, requests per second (> 0). */
  rate: number;
}
