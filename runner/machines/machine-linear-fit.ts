import type { IterationTimeModel } from '../latency/iteration-time-model.js';
import { fitLinearWithPrefill } from '../latency/profile-linear-fit.js';
import type { Machine } from './machine.js';

/** Fits already made in this process, by machine name. */
const fits = new Map<string, Machine['linear']>();

/**
 * The linear model of a built-in machine whose iteration time is not linear: d0, d1 and d2 of
 * fitLinearWithPrefill (tau = d0 + d1 (KV tokens) + d2 (prefill tokens), arXiv 2504.11320v2
 * eq. time_consump plus a prefill term; docs/linear-fit.md), with its R^2 and `exact: false`.
 * The fit depends only on the shipped data, so it is made once per process and machine name:
 * every simulated run resolves its machine again, and the fit costs milliseconds.
 * @param name the built-in machine's name (the cache key; its model must not change in a process)
 * @param model its iteration-time model
 */
export function builtInLinearFit(name: string, model: IterationTimeModel): Machine['linear'] {
  let linear = fits.get(name);
  if (linear === undefined) {
    const fit = fitLinearWithPrefill(model);
    linear = { d0: fit.d0, d1: fit.d1, d2: fit.d2, exact: false, r2: fit.r2 };
    fits.set(name, linear);
  }
  return { ...linear };
}
