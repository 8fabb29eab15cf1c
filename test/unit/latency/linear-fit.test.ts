import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_MACHINES, A100_LLAMA2_7B_LINEAR } from '../../../runner/machines/built-in-machines.js';
import { decodeBatch } from '../../helpers/batch-shapes.js';
import { fitLinearFromProfile, loadTokenWiseProfile } from '../../../runner/latency/profile-linear-fit.js';

const MLP = fileURLToPath(
  new URL(
    '../../../data/vidur/data/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv',
    import.meta.url,
  ),
);

describe('the built-in a100-llama2-7b-linear machine', () => {
  it('uses exactly the least-squares fit recomputed from the shipped Vidur profile', () => {
    const fit = fitLinearFromProfile(MLP);
    expect(fit.points).toHaveLength(63);
    expect(fit.d0).toBeCloseTo(A100_LLAMA2_7B_LINEAR.d0, 12);
    expect(fit.d1).toBeCloseTo(A100_LLAMA2_7B_LINEAR.d1, 18);
    expect(fit.r2).toBeGreaterThan(0.995);
  });

  it('reads the profile: TP1 token-wise operators sum to the README example at 512 tokens', () => {
    const ms = loadTokenWiseProfile(MLP);
    // data/vidur/README.md quotes TP1 medians at 512 tokens: pre_proj 0.234, up 0.402, down 0.229, post 0.088 ms.
    expect(ms(512)).toBeGreaterThan(0.234 + 0.402 + 0.229 + 0.088);
    expect(ms(512)).toBeLessThan(1.2);
    expect(ms(4096)).toBeGreaterThan(ms(512));
  });

  it("has Vidur's KV capacity of 7,424 blocks of 16 tokens", () => {
    const m = BUILT_IN_MACHINES['a100-llama2-7b-linear']();
    expect(m.kvCapacityBlocks).toBe(7424);
    expect(m.blockSize).toBe(16);
    // A decode batch of 64 requests x 2,048 KV tokens: about 11 ms + 35 ms.
    expect(m.iterationTime.iterationTime(decodeBatch(64, 2048))).toBeCloseTo(0.0464, 3);
  });
});
