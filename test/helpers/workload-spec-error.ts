import { expect } from 'vitest';
import { InputError } from '../../runner/errors.js';
import { parseWorkloadSpec } from '../../runner/workloads/workload-spec.js';

/**
 * The InputError parseWorkloadSpec throws for a workload entry of `sweep.yaml` at `field`
 * (default `workloads[1]`); fails the test when it throws anything else or nothing.
 */
export function workloadSpecError(value: unknown, field = 'workloads[1]'): InputError {
  try {
    parseWorkloadSpec(value, { file: 'sweep.yaml', field });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}
