import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import {
  interpolate,
  isotonicNonDecreasing,
  loadOperatorProfile,
  parseOperatorProfile,
  TOKEN_WISE_OPS,
} from '../../../runner/latency/operator-profile.js';

const MLP = fileURLToPath(
  new URL(
    '../../../data/vidur/data/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv',
    import.meta.url,
  ),
);

/** A small mlp.csv: the given operators' median columns, one row per [tp, tokens, ms...]. */
function csv(ops: readonly string[], rows: number[][], shape = '32,8,4096,14336,128256,True'): string {
  const header = [
    'n_head,n_kv_head,n_embd,n_expanded_embd,vocab_size,use_gated_mlp',
    'num_tensor_parallel_workers,num_tokens',
    ...ops.map((op) => `time_stats.${op}.median`),
  ].join(',');
  return [header, ...rows.map((r) => `${shape},${r.join(',')}`)].join('\n') + '\n';
}

describe('loadOperatorProfile (Vidur mlp.csv)', () => {
  it('reads the TP1 rows of A100 Llama-2-7B: 259 token counts from 1 to 4,096, medians averaged where repeated', () => {
    const p = loadOperatorProfile(MLP);
    expect(p.tensorParallel).toBe(1);
    expect(p.columns).toEqual({
      nHead: 32,
      nKvHead: 32,
      nEmbd: 4096,
      nExpandedEmbd: 11008,
      vocabSize: 32768,
      useGatedMlp: true,
    });
    // 261 TP1 rows; 2,048 and 4,096 are profiled twice (data/vidur/README.md says 261 points).
    expect(p.tokens.length).toBe(259);
    expect(p.tokens[0]).toBe(1);
    expect(p.tokens[p.tokens.length - 1]).toBe(4096);
    expect(p.repeatedTokenCounts).toEqual([2048, 4096]);
    expect(p.zeroFilledOps).toEqual([]);
    // README example medians at 512 tokens (ms per layer).
    const i512 = p.tokens.indexOf(512);
    expect(p.opMs.attn_pre_proj[i512]).toBe(0.234);
    expect(p.opMs.mlp_up_proj[i512]).toBe(0.402);
    expect(p.opMs.mlp_down_proj[i512]).toBe(0.229);
    expect(p.opMs.attn_post_proj[i512]).toBe(0.088);
    // The two 4,096 rows have attn_pre_proj medians 1.911 and 1.8865.
    expect(p.opMs.attn_pre_proj[p.tokens.indexOf(4096)]).toBeCloseTo((1.911 + 1.8865) / 2, 12);
  });

  it('sums the nine operators of each row', () => {
    const p = loadOperatorProfile(MLP);
    // Independent read of the TP1 row at 1,024 tokens.
    const lines = readFileSync(MLP, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const row = lines
      .slice(1)
      .map((l) => l.split(','))
      .find(
        (r) =>
          r[header.indexOf('num_tensor_parallel_workers')] === '1' &&
          r[header.indexOf('num_tokens')] === '1024',
      )!;
    const sum = TOKEN_WISE_OPS.reduce(
      (s, op) => s + Number(row[header.indexOf(`time_stats.${op}.median`)]),
      0,
    );
    expect(p.totalMs[p.tokens.indexOf(1024)]).toBeCloseTo(sum, 12);
    expect(sum).toBeCloseTo(2.123, 9);
  });

  it('uses the rows of the tensor-parallel degree asked for', () => {
    const text = csv(TOKEN_WISE_OPS, [
      [1, 8, 1, 1, 1, 1, 1, 1, 1, 1, 1],
      [2, 8, 5, 5, 5, 5, 5, 5, 5, 5, 5],
    ]);
    expect(parseOperatorProfile(text, 'x.csv').totalMs[0]).toBe(9);
    expect(parseOperatorProfile(text, 'x.csv', { tensorParallel: 2 }).totalMs[0]).toBe(45);
    expect(() => parseOperatorProfile(text, 'x.csv', { tensorParallel: 4 })).toThrow(/no rows with/);
  });

  it("takes a missing post_attention_layernorm column as 0, as Vidur does (phi-2's files)", () => {
    const ops = TOKEN_WISE_OPS.filter((op) => op !== 'post_attention_layernorm');
    const p = parseOperatorProfile(csv(ops, [[1, 8, 1, 1, 1, 1, 1, 1, 1, 1]]), 'phi.csv');
    expect(p.zeroFilledOps).toEqual(['post_attention_layernorm']);
    expect(p.totalMs[0]).toBe(8);
  });

  it('rejects a missing GEMM column, a bad value, mixed model shapes and a missing file', () => {
    const ops = TOKEN_WISE_OPS.filter((op) => op !== 'mlp_up_proj');
    expect(() => parseOperatorProfile(csv(ops, [[1, 8, 1, 1, 1, 1, 1, 1, 1, 1]]), 'a.csv')).toThrow(
      /a\.csv: column time_stats\.mlp_up_proj\.median missing/,
    );
    expect(() =>
      parseOperatorProfile(csv(TOKEN_WISE_OPS, [[1, 8, 1, 1, 1, 1, NaN, 1, 1, 1, 1]]), 'b.csv'),
    ).toThrow(/b\.csv: row 2: column time_stats\.post_attention_layernorm\.median/);
    const mixed =
      csv(TOKEN_WISE_OPS, [[1, 8, 1, 1, 1, 1, 1, 1, 1, 1, 1]]) +
      '32,32,4096,14336,128256,True,1,16,1,1,1,1,1,1,1,1,1\n';
    expect(() => parseOperatorProfile(mixed, 'c.csv')).toThrow(/row 3: model columns/);
    expect(() => loadOperatorProfile('/nonexistent/mlp.csv')).toThrow(InputError);
  });
});

describe('interpolate', () => {
  const xs = [8, 16, 48];
  const ys = [1, 2, 6];
  it('is exact at the points, linear between them and constant beyond them', () => {
    expect(interpolate(xs, ys, 16)).toBe(2);
    expect(interpolate(xs, ys, 48)).toBe(6);
    expect(interpolate(xs, ys, 12)).toBe(1.5);
    expect(interpolate(xs, ys, 40)).toBe(5);
    expect(interpolate(xs, ys, 1)).toBe(1);
    expect(interpolate(xs, ys, 100)).toBe(6);
  });
});

describe('parseOperatorProfile: comma splitting and csv-parse agree', () => {
  // Vidur's profiles hold no quotes, so they are split at commas; a quoted field sends the text
  // through csv-parse. Quoting the first header name (csv-parse unquotes it) must change nothing.
  const root = fileURLToPath(new URL('../../../data/vidur/data/profiling/compute/', import.meta.url));
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('mlp.csv'))
    .map((f) => `${root}${f}`);
  it('gives the same profile for every shipped mlp.csv, at every tensor-parallel degree it has', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const full = readFileSync(file, 'utf8');
      expect(full.includes('"'), file).toBe(false);
      // The header and every 5th row (rows come grouped by degree, so every degree is kept), at a
      // fifth of csv-parse's time on whole files.
      const text = `${full
        .split('\n')
        .filter((_, i) => i % 5 === 0)
        .join('\n')}\n`;
      const first = text.indexOf(',');
      const quoted = `"${text.slice(0, first)}"${text.slice(first)}`;
      for (const tensorParallel of [1, 2, 4]) {
        let fast: unknown;
        try {
          fast = parseOperatorProfile(text, file, { tensorParallel });
        } catch (e) {
          expect(() => parseOperatorProfile(quoted, file, { tensorParallel })).toThrow((e as Error).message);
          continue;
        }
        expect(parseOperatorProfile(quoted, file, { tensorParallel }), `${file} TP${tensorParallel}`).toEqual(
          fast,
        );
      }
    }
  });
  it('skips empty lines and reads CRLF line endings', () => {
    const text = csv(TOKEN_WISE_OPS, [[1, 8, 1, 1, 1, 1, 1, 1, 1, 1, 1]]);
    const crlf = text.replace(/\n/g, '\r\n').replace('\r\n', '\r\n\r\n');
    expect(parseOperatorProfile(crlf, 'crlf.csv')).toEqual({ ...parseOperatorProfile(text, 'crlf.csv') });
  });
});

describe('isotonicNonDecreasing (pool adjacent violators)', () => {
  it('keeps a non-decreasing sequence as it is', () => {
    expect([...isotonicNonDecreasing([1, 2, 2, 3.5])]).toEqual([1, 2, 2, 3.5]);
  });
  it('replaces each decreasing run by its mean and leaves the rest alone', () => {
    // 3, 1 pool to 2; then 2, 2 fine; 5 fine; 4 pools with 5 to 4.5.
    expect([...isotonicNonDecreasing([0, 3, 1, 2, 5, 4])]).toEqual([0, 2, 2, 2, 4.5, 4.5]);
  });
  it('keeps the sum', () => {
    const ys = [0.29, 0.28, 0.282, 0.283, 0.287, 0.29, 0.298, 0.307, 0.299];
    const out = isotonicNonDecreasing(ys);
    expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(
      ys.reduce((s, v) => s + v, 0),
      12,
    );
    for (let i = 1; i < out.length; i++) expect(out[i]).toBeGreaterThanOrEqual(out[i - 1]);
  });
});
