/**
 * A fixed number of lanes in which async jobs run, first come first served: at most `size` jobs
 * run at once and the others wait in the order they asked. The sweep executor runs its planned
 * runs and the probes of its capacity searches through one set of lanes, so the planned runs,
 * which ask first, start first.
 */
export class Lanes {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  /** @param size lanes (>= 1) */
  constructor(size: number) {
    if (!(Number.isInteger(size) && size >= 1))
      throw new RangeError(`lanes must be a positive integer, got ${size}`);
    this.free = size;
  }

  /**
   * Runs `job` in a lane once one is free.
   * @returns what `job` returns; its rejection is passed on, and the lane is freed either way
   */
  async use<T>(job: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
