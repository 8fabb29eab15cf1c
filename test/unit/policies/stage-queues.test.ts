import { describe, expect, it } from 'vitest';
import { StageQueues } from '../../../runner/schedulers/stage-queues.js';
import { createUniform, RandomStream } from '../../../runner/workloads/random-streams.js';

/** The ids of queue q, front first. */
function contents(queues: StageQueues, q: number): number[] {
  const ids: number[] = [];
  for (let i = 0; i < queues.size(q); i++) ids.push(queues.at(q, i));
  return ids;
}

/** The batch walk written naively over plain arrays (the reference for select and take). */
function referenceWalk(model: number[][], highest: number, lowest: number, limit: (q: number) => number) {
  const ids: number[] = [];
  for (let q = highest; q >= lowest; q--) ids.push(...model[q].slice(0, Math.max(0, limit(q))));
  return ids;
}

describe('StageQueues', () => {
  it('keeps each queue FIFO, with pushFront, popFront, at and size', () => {
    const queues = new StageQueues(3);
    queues.pushBack(1, 10);
    queues.pushBack(1, 11);
    queues.pushFront(1, 9);
    queues.pushBack(2, 20);
    expect(contents(queues, 1)).toEqual([9, 10, 11]);
    expect(queues.size(0)).toBe(0);
    expect(queues.popFront(1)).toBe(9);
    expect(contents(queues, 1)).toEqual([10, 11]);
    expect(() => queues.popFront(0)).toThrow(RangeError);
    expect(() => queues.at(1, 2)).toThrow(RangeError);
  });

  it('grows past its first capacity, also when the ring has wrapped', () => {
    const queues = new StageQueues(1);
    const expected: number[] = [];
    for (let i = 0; i < 3; i++) {
      queues.pushFront(0, 100 + i);
      expected.unshift(100 + i);
    }
    for (let i = 0; i < 40; i++) {
      queues.pushBack(0, i);
      expected.push(i);
    }
    expect(contents(queues, 0)).toEqual(expected);
  });

  it('removes from any position and keeps the order of the others', () => {
    const queues = new StageQueues(1);
    for (let i = 0; i < 9; i++) queues.pushBack(0, i);
    expect(queues.removeAt(0, 1)).toBe(1);
    expect(queues.removeAt(0, 6)).toBe(7);
    expect(queues.remove(0, 4)).toBe(true);
    expect(queues.remove(0, 4)).toBe(false);
    expect(contents(queues, 0)).toEqual([0, 2, 3, 5, 6, 8]);
    expect(() => queues.removeAt(0, 6)).toThrow(RangeError);
  });

  it('select takes min(limit, size) ids of every non-empty queue in range, highest queue first', () => {
    const queues = new StageQueues(100);
    queues.pushBack(0, 1);
    queues.pushBack(31, 2);
    queues.pushBack(32, 3);
    queues.pushBack(32, 4);
    queues.pushBack(32, 5);
    queues.pushBack(64, 6);
    queues.pushBack(99, 7);
    const out = new Int32Array(10);
    expect([...out.subarray(0, queues.select(98, 1, Infinity, out))]).toEqual([6, 3, 4, 5, 2]);
    expect([...out.subarray(0, queues.select(99, 0, 2, out))]).toEqual([7, 6, 3, 4, 2, 1]);
    const limits = new Int32Array(100).fill(1);
    limits[32] = 0;
    expect([...out.subarray(0, queues.select(64, 0, limits, out))]).toEqual([6, 2, 1]);
    expect(queues.select(30, 1, Infinity, out)).toBe(0);
    expect(queues.select(5, 9, Infinity, out)).toBe(0);
    expect(contents(queues, 32)).toEqual([3, 4, 5]);
  });

  it('take returns what select does and removes exactly those ids', () => {
    const queues = new StageQueues(40);
    for (let i = 0; i < 5; i++) queues.pushBack(33, i);
    queues.pushBack(2, 9);
    const out = new Int32Array(10);
    expect([...out.subarray(0, queues.take(39, 1, 3, out))]).toEqual([0, 1, 2, 9]);
    expect(contents(queues, 33)).toEqual([3, 4]);
    expect(queues.size(2)).toBe(0);
    expect([...out.subarray(0, queues.take(39, 0, 3, out))]).toEqual([3, 4]);
    expect(queues.select(39, 0, Infinity, out)).toBe(0);
  });

  it('matches plain arrays under random operations', () => {
    const u = createUniform(7, RandomStream.arrivals);
    const pick = (n: number) => Math.floor(u() * n);
    const queueCount = 70;
    const queues = new StageQueues(queueCount);
    const model: number[][] = Array.from({ length: queueCount }, () => []);
    const out = new Int32Array(10_000);
    let nextId = 0;
    for (let step = 0; step < 5000; step++) {
      const q = pick(queueCount);
      const op = pick(7);
      if (op <= 1) {
        queues.pushBack(q, nextId);
        model[q].push(nextId++);
      } else if (op === 2) {
        queues.pushFront(q, nextId);
        model[q].unshift(nextId++);
      } else if (op === 3 && model[q].length > 0) {
        const i = pick(model[q].length);
        if (u() < 0.5) expect(queues.removeAt(q, i)).toBe(model[q].splice(i, 1)[0]);
        else expect(queues.remove(q, model[q].splice(i, 1)[0])).toBe(true);
      } else {
        const highest = pick(queueCount);
        const lowest = pick(highest + 1);
        const limits = Int32Array.from({ length: queueCount }, () => pick(4));
        const limit = op === 4 ? limits : op === 5 ? 2 : Infinity;
        const limitOf = (k: number) => (typeof limit === 'number' ? Math.min(limit, 1e9) : limit[k]);
        const expected = referenceWalk(model, highest, lowest, limitOf);
        const detach = u() < 0.4;
        const n = detach
          ? queues.take(highest, lowest, limit, out)
          : queues.select(highest, lowest, limit, out);
        expect([...out.subarray(0, n)]).toEqual(expected);
        if (detach) {
          for (let k = lowest; k <= highest; k++) model[k].splice(0, limitOf(k));
        }
      }
      if (step % 250 === 0) {
        for (let k = 0; k < queueCount; k++) expect(contents(queues, k)).toEqual(model[k]);
      }
    }
    for (let k = 0; k < queueCount; k++) expect(contents(queues, k)).toEqual(model[k]);
  });
});
