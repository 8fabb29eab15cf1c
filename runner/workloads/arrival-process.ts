/**
 * Arrival times of a synthetic stream: Poisson, gamma or deterministic inter-arrival times.
 *
 * The first request arrives at 0 and each later one after an independent inter-arrival time, as in
 * vLLM's `benchmarks/benchmark_serving.py` `get_request` (it yields a request, then sleeps). Every
 * process draws from a unit-rate variable divided by the rate, so for one seed the arrival times at
 * rate r are exactly the times at rate 1 divided by r (common random numbers across rates).
 */
import gammaSampler from '@stdlib/random-base-gamma';
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
 * Generates n arrival times.
 * - poisson: gap = -ln(1 - U)/rate, exponential with mean 1/rate (inverse CDF, as Vidur's
 *   `poisson_request_interval_generator.py`).
 * - gamma: gap = G/(k*rate) with G ~ Gamma(k, 1) (stdlib, Marsaglia-Tsang), so mean 1/rate and CV
 *   1/sqrt(k) (vLLM: `np.random.gamma(shape=burstiness, scale=1/(rate*burstiness))`).
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
    case 'poisson':
      next = () => -Math.log(1 - uniform()) / spec.rate;
      break;
    case 'gamma': {
      const k = gammaShape(spec);
      const draw = gammaSampler.factory(k, 1, { prng: uniform });
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
