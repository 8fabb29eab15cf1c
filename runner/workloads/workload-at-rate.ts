import type { LoadedWorkload } from './build-workload.js';
import { scaleTypesToRate } from './typed-mix.js';
import type { WorkloadSpec } from './workload-spec.js';

/**
 * The same loaded workload at another mean arrival rate, without reading any file again: a
 * trace rescaled to `rateRps` (as `rate: R` would), a typed mix whose types are scaled to sum to
 * `rateRps` (as the workload's `rate` would), or a lengths/synthetic workload whose arrival
 * process gets `rate: rateRps` (with `sessions`, the request rate: sessions then start at
 * `rateRps` / mean turns, build-workload.ts sessionArrival). The spec is rewritten the same way, so the result equals what
 * loadWorkload gives for the spec written with that rate; lengths and their random streams are
 * untouched, so every rate of a capacity search replays the same requests at other arrival times
 * (common random numbers across rates, build-workload.ts).
 *
 * @param loaded a workload from loadWorkload
 * @param rateRps the new mean arrival rate, requests per second (> 0, finite)
 * @returns a new loaded workload; `loaded` is not changed
 * @throws RangeError when `rateRps` is not a positive finite number
 */
export function workloadAtRate(loaded: LoadedWorkload, rateRps: number): LoadedWorkload {
  if (!(rateRps > 0 && Number.isFinite(rateRps))) {
    throw new RangeError(
      `a workload's rate must be a positive number of requests per second, got ${rateRps}`,
    );
  }
  switch (loaded.kind) {
    case 'trace':
      return { ...loaded, spec: { ...loaded.spec, rate: rateRps }, rate: rateRps };
    case 'types': {
      const spec: WorkloadSpec = { ...loaded.spec, rate: rateRps };
      return { ...loaded, spec, types: scaleTypesToRate(spec.types!, rateRps) };
    }
    case 'lengths':
    case 'synthetic': {
      const arrival = { ...loaded.arrival, rate: rateRps };
      return { ...loaded, spec: { ...loaded.spec, arrival }, arrival };
    }
  }
}
