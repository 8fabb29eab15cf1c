import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicySpecSchema } from '../../../runner/schedulers/policy-spec.js';
import { prefixCachingOf } from '../../../runner/schedulers/prefix-caching.js';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep, requestListKey } from '../../../runner/sweeps/sweep-plan.js';
import { prefixReuseBound } from '../../../runner/workloads/prefix-reuse-bound.js';
import { TempSpecFiles } from '../../helpers/temp-spec-files.js';

const TRACE = fileURLToPath(
  new URL('../../../data/mooncake-fast25/conversation_trace.jsonl', import.meta.url),
);
const specs = new TempSpecFiles('schedbench-prefix-caching-');
afterAll(() => specs.removeAll());

describe('the prefixCaching policy field', () => {
  it('defaults to on for vllm-v1 only, and every policy takes it', () => {
    for (const policy of ['vllm', 'sarathi', 'fcfs', 'vllm-v1', 'wait', 'nested-wait', 'mc-sf']) {
      const plain = PolicySpecSchema.parse({ policy });
      expect(prefixCachingOf(plain), policy).toBe(policy === 'vllm-v1');
      expect(prefixCachingOf(PolicySpecSchema.parse({ policy, prefixCaching: true }))).toBe(true);
      expect(prefixCachingOf(PolicySpecSchema.parse({ policy, prefixCaching: false }))).toBe(false);
    }
    const bad = PolicySpecSchema.safeParse({ policy: 'vllm', prefixCaching: 'yes' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].path).toEqual(['prefixCaching']);
  });

  it('keeps the run keys of policies without caching, and gives vllm-v1 runs (now caching) new ones', () => {
    const keyOf = (policy: string): string => specs.runKeyOf(policy);
    const vllm = keyOf('{policy: vllm}');
    // The key of this vllm run before the field existed (main at aca4365).
    expect(vllm).toBe(VLLM_KEY_BEFORE);
    expect(keyOf('{policy: vllm, prefixCaching: false}')).toBe(vllm);
    expect(keyOf('{policy: vllm, prefixCaching: true}')).not.toBe(vllm);
    const v1 = keyOf('{policy: vllm-v1}');
    expect(keyOf('{policy: vllm-v1, prefixCaching: true}')).toBe(v1);
    // vllm-v1 with caching off is the run earlier builds made, under its old key.
    expect(keyOf('{policy: vllm-v1, prefixCaching: false}')).toBe(V1_KEY_BEFORE);
    expect(v1).not.toBe(V1_KEY_BEFORE);
  });
});

/** Run keys of the one-run sweeps above with `vllm` and with `vllm-v1`, computed by main at aca4365. */
const VLLM_KEY_BEFORE = '79cf6d4169efe6a4eb7ecaca';
const V1_KEY_BEFORE = '9aa14e552a98255d25a171e7';

describe('a vllm-v1 sweep on the Mooncake conversation trace', () => {
  it('stores the hit rate and cached tokens of the caching run, and its TTFT is lower', async () => {
    const file = specs.write([
      'name: mooncake-prefix',
      'machine: a100-llama2-7b',
      'oversize: skip',
      'seeds: [1]',
      'requests: 300',
      'workloads:',
      `  - {name: conversation, trace: {path: ${JSON.stringify(TRACE)}, format: mooncake}, rate: 1}`,
      'policies:',
      '  - {policy: vllm-v1}',
      '  - {policy: vllm-v1, prefixCaching: false}',
    ]);
    const plan = planSweep(file);
    const store = Store.open(join(specs.folder, 'sweep.db'));
    try {
      const outcome = await executeSweep(plan, store, { jobs: 1 });
      expect(outcome.failed).toBe(0);
      const runs = store.listRuns({ sweepId: outcome.sweepId });
      const cachingRun = runs.find((r) => r.params.prefixCaching === undefined)!;
      const plainRun = runs.find((r) => r.params.prefixCaching === false)!;
      const caching = cachingRun.metrics!;
      const plain = plainRun.metrics!;
      const full = plan.requestLists.get(requestListKey(0, 1))!;
      const bound = prefixReuseBound(full).tokens;
      expect(caching.prefix_cache_hit_rate).toBeGreaterThan(0);
      expect(caching.prefix_cache_hit_rate!).toBeLessThanOrEqual(bound);
      expect(plain.prefix_cache_hit_rate).toBeNull();
      expect(caching.ttft_mean_s!).toBeLessThan(plain.ttft_mean_s!);
      expect(caching.completed).toBe(plain.completed);
      const cached = store.getRequestRecords(cachingRun.id).cachedTokens!;
      expect(cached).toBeInstanceOf(Int32Array);
      expect(cached.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(store.getRequestRecords(plainRun.id).cachedTokens).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
