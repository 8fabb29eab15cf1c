/**
 * Arrival times of a synthetic stream: Poisson (exact, or clipped as Vidur does), gamma or
 * deterministic inter-arrival times.
 *
 * The first request arrives at 0 and each later one after an independent inter-arrival time, as in
 * vLLM's `benchmarks/benchmark_serving.py` `get_request` (it yields a request, then sleeps). Every
 * process draws from a unit-rate variable divided by the rate, so for one seed the arrival times at
 * rate r are exactly the times at rate 1 divided by r (common random numbers across rates).
 */
import { createGammaSampler } from './gamma-sampler.js';
import type { Uniform } from './random-streams.js';
import type { ArrivalSpec } from './workload-spec.js';

/**
 * Shape k of the gamma inter-arrival distribution: `burstiness` (vLLM) or 1/cv^2 (Vidur), since a
 * gamma variable with shape k has CV 1/sqrt(k).
 */
export function gammaShape(spec: Extract<ArrivalSpec, { process: 'gamma' }>): number {
  if (spec.burstiness !== undefined) return spec.burstiness;
  const cv = spec.cv ?? 1;
  return 1 / (cv * cv);
}

/**
 * Vidur's truncation of Poisson gaps, in units of the mean gap 1/rate: Vidur
 * `vidur/request_generator/poisson_request_interval_generator.py` sets `std = 1.0 / qps`,
 * `max_interval = std * 3.0` and returns `min(-log(1 - random()) / qps, max_interval)` (Sarathi-Serve
 * ships the same generator).
 */
export const VIDUR_CLIP_MEAN_GAPS = 3;

/**
 * The true mean arrival rate of a process, req/s. Equal to `rate` except for `clip: vidur`: the
 * clipped gap min(E, c)/rate with E ~ Exp(1) and c = {@link VIDUR_CLIP_MEAN_GAPS} has mean
 * E[min(E, c)]/rate = (1 - e^-c)/rate, so the offered rate is rate/(1 - e^-3), about 1.0524 x rate.
 * (The rate reported for a workload, `nominalRate`, stays `rate` as written: it is what the user
 * swept and what Vidur calls `qps`.)
 * @param spec the arrival process
 */
export function offeredRate(spec: ArrivalSpec): number {
  if (spec.process === 'poisson' && spec.clip === 'vidur') {
    return spec.rate / -Math.expm1(-VIDUR_CLIP_MEAN_GAPS);
  }
  return spec.rate;
}

/**
 * Generates n arrival times.
 * - poisson: gap = -ln(1 - U)/rate, exponential with mean 1/rate (inverse CDF, as Vidur's
 *   `poisson_request_interval_generator.py`). With `clip: vidur`, gap = min(-ln(1 - U)/rate, 3/rate)
 *   as Vidur computes it (see {@link VIDUR_CLIP_MEAN_GAPS}): the same stream and one uniform per gap,
 *   so for one seed the clipped gaps equal the exact process's gaps except those truncated, and
 *   common random numbers across rates still hold (min(E/r, 3/r) = min(E, 3)/r).
 * - gamma: gap = G/(k*rate) with G ~ Gamma(k, 1) (Marsaglia-Tsang, drawn as stdlib draws it:
 *   gamma-sampler.ts), so mean 1/rate and CV 1/sqrt(k) (vLLM:
 *   `np.random.gamma(shape=burstiness, scale=1/(rate*burstiness))`).
 * - deterministic: gap = 1/rate (no randomness used).
 * @param spec the process and its rate (req/s)
 * @param n number of requests (>= 0)
 * @param uniform the arrivals stream
 * @returns arrival times in seconds, arrival[0] = 0, non-decreasing
 */
export function generateArrivals(spec: ArrivalSpec, n: number, uniform: Uniform): Float64Array {
  const out = new Float64Array(n);
  let next: () => number;
  switch (spec.process) {
    case 'poisson': {
      const rate = spec.rate;
      if (spec.clip === 'vidur') {
        const maxGap = (1 / rate) * VIDUR_CLIP_MEAN_GAPS; // Vidur: std = 1/qps, max = std * 3
        next = () => Math.min(-Math.log(1 - uniform()) / rate, maxGap);
      } else {
        next = () => -Math.log(1 - uniform()) / rate;
      }
      break;
    }
    case 'gamma': {
      const k = gammaShape(spec);
      const draw = createGammaSampler(k, 1, uniform);
      const scale = 1 / (k * spec.rate);
      next = () => draw() * scale;
      break;
    }
    case 'deterministic': {
      const gap = 1 / spec.rate;
      next = () => gap;
      break;
    }
  }
  let t = 0;
  for (let i = 1; i < n; i++) {
    t += next();
    out[i] = t;
  }
  return out;
}
