/**
 * The mean arrival rate of a recorded trace and rescaling a trace to another mean rate.
 *
 * Mean rate of n requests = (n - 1) / (last arrival - first arrival): n - 1 inter-arrival gaps in the
 * span. Rescaling multiplies every arrival time by (measured rate / wanted rate), which keeps the
 * trace's burst structure (relative gaps) and makes the measured rate of the result equal the wanted
 * one (up to floating-point rounding). Both work on a window of n consecutive requests starting at
 * any row (the window a run seed chooses, build-workload.ts), measured over that window alone.
 */
import { InputError } from '../errors.js';

/**
 * Mean rate of the n arrivals `arrival[start .. start + n - 1]`.
 * @param arrival arrival times (s), non-decreasing, arrival[0] = 0
 * @param n how many consecutive requests to use, 2..arrival.length - start
 * @param file the trace's path, for the message
 * @param start index of the window's first request (0 = the trace's first row)
 * @returns (n - 1) / span, req/s
 * @throws InputError naming the trace file and field `requests` when n < 2 or the n requests all
 *   arrive at the same time (the rate is undefined)
 */
export function measuredRate(arrival: Float64Array, n: number, file: string, start = 0): number {
  const span = n >= 2 ? arrival[start + n - 1] - arrival[start] : 0;
  if (n < 2 || !(span > 0)) {
    const which = start === 0 ? `the first ${n}` : `the ${n} (from request #${start + 1} on)`;
    throw new InputError(
      `${file}: ${which} requests of the trace span 0 s, so their mean rate is undefined; ` +
        'use more `requests`',
      { file, field: 'requests' },
    );
  }
  return (n - 1) / span;
}

/**
 * The n arrivals `arrival[start .. start + n - 1]`, shifted to start at 0 and rescaled to a mean
 * rate measured over that window alone.
 * @param arrival arrival times (s), arrival[0] = 0
 * @param n how many consecutive requests
 * @param rate wanted mean rate (req/s, > 0); undefined = as recorded
 * @param file the trace's path, for messages
 * @param start index of the window's first request (0 = the trace's first row)
 * @returns new array of n arrival times (s), first = 0
 * @throws InputError (see {@link measuredRate}) when rescaling a zero-span window of >= 2 requests
 */
export function traceArrivals(
  arrival: Float64Array,
  n: number,
  rate: number | undefined,
  file: string,
  start = 0,
): Float64Array {
  const out = arrival.slice(start, start + n);
  const first = out[0];
  let factor = 1;
  if (rate !== undefined && n >= 2) factor = measuredRate(arrival, n, file, start) / rate;
  for (let i = 0; i < n; i++) out[i] = (out[i] - first) * factor;
  return out;
}
