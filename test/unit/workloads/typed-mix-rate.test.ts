import { describe, expect, it } from 'vitest';
import { buildRequestList, loadWorkload, nominalRate } from '../../../runner/workloads/build-workload.js';
import { WorkloadSpecSchema } from '../../../runner/workloads/workload-spec.js';

describe('typed mix with a total rate', () => {
  const spec = WorkloadSpecSchema.parse({
    name: 'typed',
    rate: 20,
    types: [
      { prompt: 20, output: 100, rate: 3 },
      { prompt: 20, output: 200, rate: 1 },
    ],
  });
  const loaded = loadWorkload(spec, { specDir: '.' });

  it("scales the types' rates to the total, keeping their proportions", () => {
    expect(nominalRate(loaded)).toBe(20);
    const odd = loadWorkload(
      WorkloadSpecSchema.parse({
        ...spec,
        rate: 200,
        types: [
          { prompt: 1, output: 1, rate: 6 },
          { prompt: 1, output: 1, rate: 4 },
          { prompt: 1, output: 1, rate: 2 },
        ],
      }),
      { specDir: '.' },
    );
    expect(nominalRate(odd)).toBe(200); // not 200.00000000000003 from re-summing 100 + 66.67 + 33.33
    expect(loaded.kind === 'types' && loaded.types.map((t) => t.rate)).toEqual([15, 5]);
    expect(spec.types!.map((t) => t.rate)).toEqual([3, 1]); // the spec itself is untouched
  });

  it('generates arrivals at the total rate with the types in proportion', () => {
    const list = buildRequestList(loaded, { seed: 3, requests: 20_000 });
    const span = list.arrival[list.arrival.length - 1] - list.arrival[0];
    expect((list.arrival.length - 1) / span).toBeCloseTo(20, 0);
    const long = list.typeIndex!.reduce((n, t) => n + t, 0) / list.arrival.length;
    expect(long).toBeGreaterThan(0.23);
    expect(long).toBeLessThan(0.27);
  });

  it('still rejects `rate` on a synthetic workload', () => {
    const r = WorkloadSpecSchema.safeParse({
      name: 'x',
      rate: 2,
      arrival: { process: 'poisson', rate: 1 },
      promptTokens: { dist: 'fixed', value: 1 },
      outputTokens: { dist: 'fixed', value: 1 },
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['rate']);
  });
});
