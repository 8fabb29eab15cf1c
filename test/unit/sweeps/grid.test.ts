import { describe, expect, it } from 'vitest';
import { expandGrid, sourcePathOf } from '../../../runner/sweeps/grid.js';

describe('grid expansion: any list-valued field is an axis', () => {
  it('expands nested lists into the cartesian product, first key slowest', () => {
    const points = expandGrid({
      name: 'w',
      arrival: { process: 'poisson', rate: [1, 2] },
      maxTokens: [2048, 4096],
    });
    expect(points.map((p) => p.value)).toEqual([
      { name: 'w', arrival: { process: 'poisson', rate: 1 }, maxTokens: 2048 },
      { name: 'w', arrival: { process: 'poisson', rate: 1 }, maxTokens: 4096 },
      { name: 'w', arrival: { process: 'poisson', rate: 2 }, maxTokens: 2048 },
      { name: 'w', arrival: { process: 'poisson', rate: 2 }, maxTokens: 4096 },
    ]);
    expect(points[3].axes).toEqual({ 'arrival.rate': 2, maxTokens: 4096 });
  });

  it('keeps a typed mix list whole', () => {
    const types = [
      { prompt: 20, output: 100, rate: 6 },
      { prompt: 20, output: 200, rate: 4 },
    ];
    const points = expandGrid({ name: 'typed', types });
    expect(points).toHaveLength(1);
    expect(points[0].value.types).toEqual(types);
  });

  it('maps a path in a grid point back to the list element it came from', () => {
    const points = expandGrid({ policy: 'vllm', maxNumSeqs: [64, -1] });
    expect(sourcePathOf(points[1], ['maxNumSeqs'])).toEqual(['maxNumSeqs', 1]);
    const nested = expandGrid({
      arrival: [
        { process: 'poisson', rate: [1, 2] },
        { process: 'gamma', rate: 3, cv: 2 },
      ],
    });
    expect(nested).toHaveLength(3);
    expect(sourcePathOf(nested[1], ['arrival', 'rate'])).toEqual(['arrival', 0, 'rate', 1]);
    expect(sourcePathOf(nested[2], ['arrival', 'cv'])).toEqual(['arrival', 1, 'cv']);
  });
});
