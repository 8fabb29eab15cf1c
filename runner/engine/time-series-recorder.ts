import type { TimeSeries } from './run-records.js';

/**
 * Records one sample per iteration into a buffer of bounded size: when the buffer is full,
 * every other sample is dropped and the sampling stride doubles, so a run of any length keeps
 * between capacity/2 and capacity evenly spaced (in iterations) samples. O(1) amortised per
 * iteration, no allocation after construction.
 */
export class TimeSeriesRecorder {
  private readonly t: Float64Array;
  private readonly queueLength: Int32Array;
  private readonly running: Int32Array;
  private readonly kvBlocks: Int32Array;
  private readonly prefillTokens: Int32Array;
  private readonly decodeCount: Int32Array;
  private size = 0;
  private stride = 1;
  private seen = 0;
  /** Index (in offered samples) of the next one kept: a multiple of stride. */
  private nextKept = 0;

  /**
   * @param capacity maximum number of samples kept, an even number >= 2 (default 2,048)
   * @throws RangeError when capacity is odd or below 2
   */
  constructor(private readonly capacity = 2048) {
    if (capacity < 2 || capacity % 2 !== 0)
      throw new RangeError(`time-series capacity must be even and >= 2, got ${capacity}`);
    this.t = new Float64Array(capacity);
    this.queueLength = new Int32Array(capacity);
    this.running = new Int32Array(capacity);
    this.kvBlocks = new Int32Array(capacity);
    this.prefillTokens = new Int32Array(capacity);
    this.decodeCount = new Int32Array(capacity);
  }

  /** Offers one iteration's sample; kept only when it falls on the current stride. */
  record(
    t: number,
    queueLength: number,
    running: number,
    kvBlocks: number,
    prefillTokens: number,
    decodeCount: number,
  ): void {
    if (this.seen++ !== this.nextKept) return;
    if (this.size === this.capacity) this.halve();
    this.nextKept += this.stride;
    const i = this.size++;
    this.t[i] = t;
    this.queueLength[i] = queueLength;
    this.running[i] = running;
    this.kvBlocks[i] = kvBlocks;
    this.prefillTokens[i] = prefillTokens;
    this.decodeCount[i] = decodeCount;
  }

  private halve(): void {
    const columns = [
      this.t,
      this.queueLength,
      this.running,
      this.kvBlocks,
      this.prefillTokens,
      this.decodeCount,
    ];
    for (const column of columns) {
      for (let i = 0; i < this.size / 2; i++) column[i] = column[2 * i];
    }
    this.size = Math.ceil(this.size / 2);
    this.stride *= 2; // `seen` keeps counting: the sample being offered now is a multiple of the new stride
  }

  /** The recorded series (copies, trimmed to the recorded length). */
  result(): TimeSeries {
    const n = this.size;
    return {
      t: this.t.slice(0, n),
      queueLength: this.queueLength.slice(0, n),
      running: this.running.slice(0, n),
      kvBlocks: this.kvBlocks.slice(0, n),
      prefillTokens: this.prefillTokens.slice(0, n),
      decodeCount: this.decodeCount.slice(0, n),
    };
  }
}
