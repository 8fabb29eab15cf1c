/**
 * The `machines.list` operation of the API (runner/api/api-contract.ts): the built-in simulated
 * machines, the registered GPU worker machines and their calibrations, and the policies.
 */
import { BUILT_IN_MACHINES } from '../machines/built-in-machines.js';
import { PROFILE_MACHINE_PREFIX } from '../machines/worker-machine-ref.js';
import type { Store } from '../store/store.js';
import { describeWorkerMachine } from '../workers/start-worker.js';
import type { MachinesOut } from './api-contract.js';
import type { HandlerContext, OperationHandlers } from './handler-context.js';
import { policiesOut } from './policy-parameters.js';

/** The operations this module handles. */
export type MachinesOp = 'machines.list';

/** The `machines.list` handler. */
export function machinesHandlers({ store }: HandlerContext): OperationHandlers<MachinesOp> {
  return { 'machines.list': () => machinesOut(store) };
}

/**
 * Every machine as `machines.list` reports it: each built-in machine (built anew) with its
 * iteration-time model and linear model (a non-finite d0 or d1 as null), each worker machine with
 * how it is reached, each calibration with its `profile:` reference and held-out error, percent,
 * and the registered policies with their parameters (policiesOut).
 */
function machinesOut(store: Store): MachinesOut {
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    simulated: Object.values(BUILT_IN_MACHINES).map((make) => {
      const m = make();
      return {
        name: m.name,
        description: m.description,
        gpu: m.hardware?.gpu ?? null,
        model: m.hardware?.model ?? null,
        kvCapacityBlocks: m.kvCapacityBlocks,
        blockSize: m.blockSize,
        iterationTime: m.iterationTime.describe(),
        linear: {
          d0: finite(m.linear.d0),
          d1: finite(m.linear.d1),
          exact: m.linear.exact,
          r2: m.linear.r2 ?? null,
        },
      };
    }),
    workers: store.listWorkerMachines().map((w) => ({
      name: w.name,
      kind: w.kind,
      reachedBy: describeWorkerMachine(w),
      createdAt: w.createdAt,
    })),
    calibrations: store.listCalibrations().map((c) => ({
      id: c.id,
      machineRef: `${PROFILE_MACHINE_PREFIX}${c.machine}/${c.model}`,
      dtype: c.dtype,
      gpu: c.gpuName ?? c.device,
      torch: c.torch,
      kvBlocks: c.kvBlocks,
      heldOutErrorPct:
        (c.fit as { heldOut?: { profile?: { meanAbsPct?: number } } }).heldOut?.profile?.meanAbsPct ?? null,
      createdAt: c.createdAt,
    })),
    policies: policiesOut(),
  };
}
