/**
 * The mean arrival rate of a recorded trace and rescaling a trace to another mean rate.
 *
 * Mean rate of n requests = (n - 1) / (last arrival - first arrival): n - 1 inter-arrival gaps in the
 * span. Rescaling multiplies every arrival time by (measured rate / wanted rate), which keeps the
 * trace's burst structure (relative gaps) and makes the measured rate of the result equal the wanted
 * one (up to floating-point rounding).
 */
import { InputError } from '../errors.js';

/**
 * Mean rate of the first n arrivals.
 * @param arrival arrival times (s), non-decreasing, arrival[0] = 0
 * @param n how many leading requests to use, 2..arrival.length
 * @param file the trace's path, for the message
 * @returns (n - 1) / span, req/s
 * @throws InputError naming the trace file and field `requests` when n < 2 or the n requests all
 *   arrive at the same time (the rate is undefined)
 */
export function measuredRate(arrival: Float64Array, n: number, file: string): number {
  const span = n >= 2 ? arrival[n - 1] - arrival[0] : 0;
  if (n < 2 || !(span > 0)) {
    throw new InputError(
      `${file}: the first ${n} requests of the trace span 0 s, so their mean rate is undefined; ` +
        'use more `requests`',
      { file, field: 'requests' },
    );
  }
  return (n - 1) / span;
}

/**
 * The first n arrivals, rescaled to a mean rate.
 * @param arrival arrival times (s), arrival[0] = 0
 * @param n how many leading requests
 * @param rate wanted mean rate (req/s, > 0); undefined = as recorded
 * @param file the trace's path, for messages
 * @returns new array of n arrival times (s), first = 0
 * @throws InputError (see {@link measuredRate}) when rescaling a zero-span selection of >= 2 requests
 */
export function traceArrivals(
  arrival: Float64Array,
  n: number,
  rate: number | undefined,
  file: string,
): Float64Array {
  const out = arrival.slice(0, n);
  const first = out[0];
  let factor = 1;
  if (rate !== undefined && n >= 2) factor = measuredRate(arrival, n, file) / rate;
  for (let i = 0; i < n; i++) out[i] = (out[i] - first) * factor;
  return out;
}
