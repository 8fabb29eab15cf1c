import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CalibratedIterationTimeModel } from '../latency/calibrated-model.js';
import { LinearIterationTimeModel } from '../latency/linear-model.js';
import { calibrationBatchShape, type CalibrationFit } from '../machines/calibration-fit.js';
import { PROFILE_MACHINE_PREFIX } from '../machines/worker-machine-ref.js';
import { iterationErrors, type IterationErrorSummary } from '../metrics/iteration-error.js';
import { formatNumber } from '../reports/format-number.js';
import type {
  GpuReportSettings,
  StoredRun,
  SyntheticLengths,
  TwinRunComparison,
} from '../reports/gpu-report-data.js';
import type { Store } from '../store/store.js';
import type { WorkerMachine } from '../store/worker-machine-row.js';
import { executeSweep } from '../sweeps/sweep-executor.js';
import { planSweep } from '../sweeps/sweep-plan.js';
import type { GpuReportCalibrationOutcome } from './gpu-report-calibration.js';
import { TwinRunError } from './twin-run-error.js';

/** Offered load of the in-the-loop run as a fraction of the calibrated model's capacity estimate. */
export const TARGET_UTILISATION = 0.6;
/** Decode batch of the capacity estimate behind the default rate, requests. */
export const RATE_ESTIMATE_BATCH = 16;

/**
 * Prompt and output lengths of the synthetic workload, sized to the model: Llama-2-7B-scale
 * (prompts 100-1,000 tokens, outputs 50-300) for every model but tiny-llama, whose context
 * (2,048 tokens) and CPU speed call for much shorter ones (16-128, 8-48).
 */
export function lengthsFor(model: string): SyntheticLengths {
  return model === 'tiny-llama'
    ? { prompt: [16, 128], output: [8, 48] }
    : { prompt: [100, 1000], output: [50, 300] };
}

/**
 * The default arrival rate: TARGET_UTILISATION over the calibrated model's estimate of one
 * request's GPU time (prefill of the mean prompt + the mean output's decodes at
 * 1/RATE_ESTIMATE_BATCH of a RATE_ESTIMATE_BATCH-decode iteration at the mean KV length),
 * rounded to 3 significant digits.
 * @returns req/s
 */
export function defaultRate(fit: CalibrationFit, lengths: SyntheticLengths): number {
  const model = new CalibratedIterationTimeModel(fit.profile);
  const prompt = Math.round((lengths.prompt[0] + lengths.prompt[1]) / 2);
  const output = Math.round((lengths.output[0] + lengths.output[1]) / 2);
  const prefillS = model.iterationTime(
    calibrationBatchShape({ prefill: [prompt], decodes: 0, decodeKvLen: 0, timeS: 1 }),
  );
  const decodeS =
    model.iterationTime(
      calibrationBatchShape({
        prefill: [],
        decodes: RATE_ESTIMATE_BATCH,
        decodeKvLen: prompt + Math.round(output / 2),
        timeS: 1,
      }),
    ) / RATE_ESTIMATE_BATCH;
  return Number((TARGET_UTILISATION / (prefillS + output * decodeS)).toPrecision(3));
}

/** A YAML scalar: plain when it is a simple word or path, else JSON-quoted. */
function yamlScalar(value: string): string {
  return /^[A-Za-z0-9_][\w./-]*$/.test(value) ? value : JSON.stringify(value);
}

/**
 * The sweep spec (YAML, docs/sweep-spec.schema.json) of one run of the synthetic workload under
 * vllm: `o.requests` requests, seed `o.seed`, uniform lengths, Poisson arrivals at `rate` req/s.
 * @param machine the `machine:` value: a YAML scalar, or the lines of a block mapping (unindented)
 */
export function twinSweepSpec(
  name: string,
  machine: string | string[],
  o: GpuReportSettings,
  lengths: SyntheticLengths,
  rate: number,
): string {
  return [
    `name: ${name}`,
    ...(typeof machine === 'string'
      ? [`machine: ${machine}`]
      : ['machine:', ...machine.map((l) => `  ${l}`)]),
    `requests: ${o.requests}`,
    `seeds: [${o.seed}]`,
    'workloads:',
    '  - name: synthetic',
    `    promptTokens: { dist: uniform, min: ${lengths.prompt[0]}, max: ${lengths.prompt[1]} }`,
    `    outputTokens: { dist: uniform, min: ${lengths.output[0]}, max: ${lengths.output[1]} }`,
    `    arrival: { process: poisson, rate: ${rate} }`,
    'policies:',
    '  - { policy: vllm }',
    '',
  ].join('\n');
}

/**
 * Step 5 of `schedbench gpu-report`: plans and executes the GPU-in-the-loop sweep (one run on the
 * machine's worker, `kvBlocks: auto` = the calibration's capacity) and then its twin on the
 * simulated machine `profile:NAME/MODEL`, from spec files written to `dir`; then the per-iteration
 * errors (runner/metrics/iteration-error.ts) of the calibrated and the linear model on the GPU
 * run's stored iterations. The arrival rate is `o.rate`, else defaultRate.
 * @param dir an existing folder for the two spec files
 * @param progress called with one line when each run starts and ends
 * @throws TwinRunError when a run fails (with the run's stored error) or the GPU run stores no
 *   iterations; InputError when a spec does not plan (as planSweep)
 */
export async function runTwins(
  store: Store,
  machine: WorkerMachine,
  o: GpuReportSettings,
  calibration: GpuReportCalibrationOutcome,
  dir: string,
  progress: (line: string) => void,
): Promise<TwinRunComparison> {
  const lengths = lengthsFor(o.model);
  const rate = o.rate ?? defaultRate(calibration.fit, lengths);
  const gpuSpec = twinSweepSpec(
    'gpu-report-in-the-loop',
    [
      `worker: ${machine.name}`,
      `model: ${yamlScalar(o.model)}`,
      `dtype: ${calibration.row.dtype}`,
      'kvBlocks: auto',
      `stepTimeoutS: ${o.timeoutS}`,
    ],
    o,
    lengths,
    rate,
  );
  const twinSpec = twinSweepSpec(
    'gpu-report-simulated-twin',
    yamlScalar(`${PROFILE_MACHINE_PREFIX}${machine.name}/${o.model}`),
    o,
    lengths,
    rate,
  );
  const execute = async (label: string, spec: string): Promise<StoredRun> => {
    const file = join(dir, `${label}.yaml`);
    writeFileSync(file, spec);
    const plan = planSweep(file, { registry: () => store });
    progress(`${label}: ${o.requests} requests at ${rate} req/s on ${plan.machine.name}`);
    const outcome = await executeSweep(plan, store, { jobs: 1 });
    const [run] = store.listRuns({ sweepId: outcome.sweepId });
    if (run.status !== 'done' || !run.metrics) {
      throw new TwinRunError(`${label} run #${run.id} ${run.status}: ${run.error ?? 'no metrics'}`);
    }
    progress(
      `${label}: done, ${run.metrics.iterations} iterations, ${formatNumber(run.metrics.makespan_s)} s simulated`,
    );
    return { runId: run.id, metrics: run.metrics };
  };
  const gpu = await execute('gpu-in-the-loop', gpuSpec);
  const twin = await execute('simulated-twin', twinSpec);

  const iterations = store.getIterations(gpu.runId);
  if (!iterations) throw new TwinRunError(`GPU-in-the-loop run #${gpu.runId} stored no iterations`);
  const calibratedErrors = iterationErrors(
    iterations,
    new CalibratedIterationTimeModel(calibration.fit.profile),
  );
  let linearErrors: IterationErrorSummary[] | string;
  try {
    const { d0, d1 } = calibration.fit.linear;
    linearErrors = iterationErrors(iterations, new LinearIterationTimeModel(d0, d1));
  } catch (e) {
    linearErrors = (e as Error).message;
  }
  return {
    lengths,
    rate,
    ...(o.rate === undefined
      ? { derivedRate: { utilisation: TARGET_UTILISATION, estimateBatch: RATE_ESTIMATE_BATCH } }
      : {}),
    gpuSpec,
    twinSpec,
    gpu,
    twin,
    calibratedErrors,
    linearErrors,
  };
}
