import { describe, expect, it } from 'vitest';
import { requestList } from '../../../helpers/request-lists.js';
import { mcSfFor, runScheduler } from './run-mc-sf.js';

/*
 * Block size 1 (blocks = tokens), every iteration takes 1 s, so iteration k runs over [k-1, k]
 * and the requests that arrived by t = k-1 are seen when it is planned. Token model `vllm`: a
 * request with prompt p and output o runs o iterations holding p, p+1, ..., p+o-1 KV tokens.
 */
describe('mc-sf, hand-worked (vllm tokens, block size 1, capacity 12, oracle predictions)', () => {
  // A (prompt 4, output 5), C (prompt 2, output 8), B (prompt 2, output 2) arrive at t = 0 in that
  // order; D (prompt 1, output 3) arrives at t = 1.5.
  const rows: [number, number, number][] = [
    [0, 4, 5], // id 0: A
    [0, 2, 8], // id 1: C
    [0, 2, 2], // id 2: B
    [1.5, 1, 3], // id 3: D
  ];
  // runScheduler labels requests by id (A, B, C, D); rename them to the names above.
  const name = ['A', 'C', 'B', 'D'];
  const list = requestList(rows);
  const { out, audit, steps } = runScheduler(list, mcSfFor(list, {}, { kvCapacityBlocks: 12 }), {
    kvCapacityBlocks: 12,
  });
  const named = steps.map(([it, s]): [number, string] => [
    it,
    s.replace(
      /\b(prefill|decode|evict) ([A-D])/g,
      (_, kind: string, l: string) => `${kind} ${name[l.charCodeAt(0) - 65]}`,
    ),
  ]);

  it('admits shortest predicted output first and refuses a request that fits now but overflows later', () => {
    /*
     * KV of a request started in iteration s with prefill target T, in iteration t: T + (t - s),
     * until its last iteration E = s + o - 1.
     *
     * Iteration 1 (waiting by predicted output: B 2, A 5, C 8; nothing started):
     *   B: T 2, E 2.  now: 2 <= 12; own end (it 2): B 3 <= 12.                  -> start B
     *   A: T 4, E 5.  now: 2 + 4 = 6; it 2: B 3 + A 5 = 8; own end (it 5): A 8. -> start A
     *   C: T 2, E 8.  now: 6 + 2 = 8 <= 12 (fits now); it 2: 8 + 3 = 11;
     *                 it 5: A 8 + C 6 = 14 > 12                                 -> refused, stop
     * Iteration 2 (B, A decode: B 3, A 5 = 8 in use):
     *   C: E 9. now: 8 + 2 = 10; it 2: B 3 + A 5 + C 2 = 10; it 5: A 8 + C 5 = 13 -> refused
     * Iteration 3 (B finished at 2; D arrived at 1.5; A decodes to 6; order D 3, C 8):
     *   D: T 1, E 5.  now: 6 + 1 = 7; it 5: A 8 + D 3 = 11 <= 12.              -> start D
     *   C: E 10. now: 7 + 2 = 9; it 5: A 8 + D 3 + C 4 = 15 > 12               -> refused
     * Iteration 4 (A 7, D 2 = 9): C: E 11; it 5: A 8 + D 3 + C 3 = 14          -> refused
     * Iteration 5 (A 8, D 3 = 11): C: now 11 + 2 = 13 > 12                       -> refused
     * Iteration 6 (A and D finished at 5): C: E 13, peak 2 + 7 = 9              -> start C
     * Iterations 7..13: C decodes and finishes at 13.
     * FCFS order would start A and C in iteration 1 and overflow in iteration 5 (A 8 + C 6).
     */
    expect(named).toEqual([
      [1, 'prefill B2, prefill A4'],
      [2, 'decode B, decode A'],
      [3, 'decode A, prefill D1'],
      [4, 'decode A, decode D'],
      [5, 'decode A, decode D'],
      [6, 'prefill C2'],
      [7, 'decode C'],
      [8, 'decode C'],
      [9, 'decode C'],
      [10, 'decode C'],
      [11, 'decode C'],
      [12, 'decode C'],
      [13, 'decode C'],
    ]);
  });

  it('finishes as derived, never evicts or preempts, peaks at the capacity', () => {
    const r = out.records;
    expect([...r.finish]).toEqual([5, 13, 2, 5]);
    expect([...r.firstToken]).toEqual([1, 6, 1, 3]);
    expect([...r.evictions]).toEqual([0, 0, 0, 0]);
    expect([...r.preemptions]).toEqual([0, 0, 0, 0]);
    expect(audit.maxUsedBlocks).toBe(11); // iteration 5: A 8 + D 3
    expect(out.totals.kvPeakBlocks).toBe(11);
  });
});

describe('mc-sf, hand-worked (paper tokens, block size 4, capacity 4 blocks)', () => {
  /*
   * Token model `paper`: a request runs o + 1 iterations (prefill, then o decodes) holding
   * p, p+1, ..., p+o tokens; blocks = ceil(tokens / 4).
   * A (prompt 5, output 3): T 5, E = s + 3, KV 5, 6, 7, 8 tokens = 2, 2, 2, 2 blocks.
   * B (prompt 3, output 6): KV 3..9 tokens = 1, 1, 2, 2, 2, 2, 3 blocks, E = s + 6.
   * Both at t = 0; order A (3) then B (6).
   * Iteration 1: A: now 2 <= 4; own end (it 4): 2.                             -> start A
   *   B: E 7. now: 2 + 1 = 3; it 4: A 2 (8 tokens) + B 2 (3 + 3 = 6 tokens) = 4 <= 4;
   *      own end (it 7): B alone, 9 tokens = 3 blocks.                          -> start B
   * In iteration 4 the cache is full (4 of 4 blocks); A finishes, B finishes at 7.
   * With capacity 3 blocks, B fails at it 4 (2 + 2 = 4 > 3) although it fits now (2 + 1 = 3).
   * Iteration 2: B would hold 5 tokens = 2 blocks at it 4: 2 + 2 = 4 > 3, refused again.
   * Iteration 3: B would hold 4 tokens = 1 block at it 4: 2 + 1 = 3, and 3 blocks alone at its
   * end (it 9)                                                                   -> start B
   * B finishes at 3 + 6 = 9.
   */
  const list = requestList([
    [0, 5, 3],
    [0, 3, 6],
  ]);
  const o = { kvCapacityBlocks: 4, blockSize: 4, tokenModel: 'paper' as const };

  it('counts whole blocks at each predicted completion', () => {
    const { steps, out, audit } = runScheduler(list, mcSfFor(list, {}, o), o);
    expect(steps.slice(0, 2)).toEqual([
      [1, 'prefill A5, prefill B3'],
      [2, 'decode A, decode B'],
    ]);
    expect([...out.records.finish]).toEqual([4, 7]);
    expect(audit.maxUsedBlocks).toBe(4);
  });

  it("refuses B while it would need one block too many at A's completion", () => {
    const o3 = { ...o, kvCapacityBlocks: 3 };
    const { steps, out, audit } = runScheduler(list, mcSfFor(list, {}, o3), o3);
    expect(steps.slice(0, 5)).toEqual([
      [1, 'prefill A5'],
      [2, 'decode A'],
      [3, 'decode A, prefill B3'],
      [4, 'decode A, decode B'],
      [5, 'decode B'],
    ]);
    expect([...out.records.finish]).toEqual([4, 9]);
    expect(audit.maxUsedBlocks).toBe(3);
    expect([...out.records.evictions]).toEqual([0, 0]);
  });
});

describe('mc-sf, under-prediction (vllm tokens, block size 1, capacity 10, given predictions)', () => {
  /*
   * A (prompt 2, output 6, predicted 2), B (prompt 2, output 3, predicted 3) at t = 0;
   * C (prompt 3, output 3, predicted 3) at t = 2.5.
   * Iteration 1: A: T 2, E 2; now 2, it 2: 3                                   -> start A
   *   B: T 2, E 3; now 2 + 2 = 4; it 2: A 3 + B 3 = 6; own end (it 3): B 4      -> start B
   * Iteration 2: A 3, B 3. Iteration 3: A 4 (A outlived its prediction: it counts only in the
   *   current iteration from now on), B 4, B finishes.
   * Iteration 4: A 5. C: T 3, E 6; now 5 + 3 = 8; own end (it 6): C 5 alone     -> start C
   * Iteration 5: decodes need 2 blocks, 2 free: A 6, C 4 = 10.
   * Iteration 6: decodes need 2 blocks, 0 free: evict C (most recently started, 4 tokens of KV);
   *   A decodes to 7 and finishes. C (2 tokens produced) must re-prefill 3 + 2 = 5 tokens,
   *   predicted 1 more iteration: now 7 + 5 = 12 > 10                           -> refused
   * Iteration 7: C re-prefills 5 tokens, which produces its 3rd and last token.
   */
  const list = requestList([
    [0, 2, 6],
    [0, 2, 3],
    [2.5, 3, 3],
  ]);
  const o = { kvCapacityBlocks: 10 };

  it('evicts the most recently started request LIFO only when the cache would overflow', () => {
    const { steps, out } = runScheduler(list, mcSfFor(list, { predictor: 'noisy' }, o, [2, 3, 3]), o);
    expect(steps).toEqual([
      [1, 'prefill A2, prefill B2'],
      [2, 'decode A, decode B'],
      [3, 'decode A, decode B'],
      [4, 'decode A, prefill C3'],
      [5, 'decode A, decode C'],
      [6, 'evict C, decode A'],
      [7, 'prefill C5'],
    ]);
    const r = out.records;
    expect([...r.evictions]).toEqual([0, 0, 1]);
    expect([...r.recomputedTokens]).toEqual([0, 0, 4]);
    expect([...r.preemptions]).toEqual([0, 0, 0]);
    expect([...r.finish]).toEqual([6, 3, 7]);
    expect([...r.firstToken]).toEqual([1, 1, 4]);
  });

  it('with the true lengths as predictions, starts C only when it can run to the end', () => {
    /*
     * Oracle: A (E 6) holds 5, 6, 7 tokens in iterations 4, 5, 6; C holds T + (t - s) = 3, 4, 5.
     * Iteration 4: C (E 6) at it 6: A 7 + C 5 = 12 > 10 -> refused.
     * Iteration 5: C (E 7) at it 6: A 7 + C 4 = 11 > 10 -> refused.
     * Iteration 6: C (E 8) at it 6: A 7 + C 3 = 10      -> start C; it finishes at 8.
     */
    const { steps, out } = runScheduler(list, mcSfFor(list, {}, o), o);
    expect(steps.slice(3, 8)).toEqual([
      [4, 'decode A'],
      [5, 'decode A'],
      [6, 'decode A, prefill C3'],
      [7, 'decode C'],
      [8, 'decode C'],
    ]);
    expect([...out.records.finish]).toEqual([6, 3, 8]);
    expect([...out.records.evictions]).toEqual([0, 0, 0]);
  });
});
