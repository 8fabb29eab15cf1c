import { describe, expect, it } from 'vitest';
import { Lanes } from '../../../runner/sweeps/lanes.js';

describe('Lanes', () => {
  it('runs at most `size` jobs at once, first come first served, and frees a lane when a job fails', async () => {
    const lanes = new Lanes(2);
    const started: number[] = [];
    const release = new Map<number, () => void>();
    let running = 0;
    let most = 0;
    const job = (id: number, fail = false) =>
      lanes.use(async () => {
        started.push(id);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => release.set(id, resolve));
        running--;
        if (fail) throw new Error(`job ${id} failed`);
        return id;
      });
    const jobs = [job(1, true), job(2), job(3), job(4)];
    await Promise.resolve();
    expect(started).toEqual([1, 2]);
    release.get(1)!();
    await expect(jobs[0]).rejects.toThrow('job 1 failed');
    expect(started).toEqual([1, 2, 3]);
    release.get(2)!();
    await expect(jobs[1]).resolves.toBe(2);
    expect(started).toEqual([1, 2, 3, 4]);
    release.get(3)!();
    release.get(4)!();
    await expect(Promise.all(jobs.slice(2))).resolves.toEqual([3, 4]);
    expect(most).toBe(2);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new Lanes(0)).toThrow(RangeError);
  });
});
